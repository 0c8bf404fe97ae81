// Package conversations is the operator console's view of visitors' conversations.
//
// It lists conversations with filters and keyset pagination, searches their text (sealed at
// rest, so it is opened and matched in a bounded streaming scan), reads transcripts, exports
// and deletes them. Site scope is decided by the caller (internal/adminapi) and passed in the
// filter; this package never widens it.
package conversations

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Limits of the search scan and of the lists (docs/console.md, Conversations).
const (
	MaxSearchRange    = 31 * 24 * time.Hour // q needs a range of at most this
	MaxScanMessages   = 50_000              // messages opened per list request with q
	MaxScanDuration   = 2 * time.Second     // and the time it may take
	searchBatch       = 200                 // conversations read per scan step
	exportBatch       = store.MaxConversationBatch
	PreviewRunes      = 160 // a conversation's preview: its first visitor message, cut
	MaxQueryLength    = 200 // q and page
	DefaultListLimit  = store.DefaultPageLimit
	MaxListLimit      = store.MaxPageLimit
	maxCursorIDLength = 36
)

// Query is a validated list, search or export request.
type Query struct {
	store.ConversationFilter
	Text string // q: message text contains it (case-insensitive); needs From and To
	Page string // page: the page URL contains it (case-insensitive)
}

// needsScan reports whether rows must be opened and matched after the database's filter.
func (q Query) needsScan() bool { return q.Text != "" || q.Page != "" }

// Scan says how much a search read, so the app can tell a partial page from the end.
type Scan struct {
	Conversations int  `json:"conversations"`
	Messages      int  `json:"messages"`
	Stopped       bool `json:"stopped"` // the bound was reached before limit matches: continue with next_cursor
}

// Page is one page of a list.
type Page struct {
	Items      []store.Conversation
	NextCursor string // "" at the end
	Scan       *Scan  // set when the query searched text or page URLs
}

// Service reads and deletes conversations.
type Service struct {
	Store store.Store
	Now   func() time.Time // nil = time.Now
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// List returns one page, newest first.
func (s *Service) List(ctx context.Context, q Query) (Page, error) {
	limit := q.Limit
	if !q.needsScan() {
		q.Limit = limit + 1 // one more tells whether a next page exists
		items, err := s.Store.ListConversations(ctx, q.ConversationFilter)
		if err != nil {
			return Page{}, err
		}
		p := Page{Items: items}
		if len(items) > limit {
			p.Items = items[:limit]
			p.NextCursor = EncodeCursor(p.Items[limit-1])
		}
		cutPreviews(p.Items)
		return p, nil
	}
	return s.search(ctx, q, limit)
}

// search reads batches of conversations, opens their messages and keeps the matches, until
// limit matches, the end, or the scan's bound (MaxScanMessages, MaxScanDuration).
func (s *Service) search(ctx context.Context, q Query, limit int) (Page, error) {
	deadline := s.now().Add(MaxScanDuration)
	scan := &Scan{}
	p := Page{Scan: scan, Items: make([]store.Conversation, 0, limit)}
	q.Limit = searchBatch
	for {
		batch, err := s.Store.ListConversations(ctx, q.ConversationFilter)
		if err != nil {
			return Page{}, err
		}
		matched, examined, err := s.match(ctx, q, batch, limit-len(p.Items), scan)
		if err != nil {
			return Page{}, err
		}
		p.Items = append(p.Items, matched...)
		if len(p.Items) == limit {
			p.NextCursor = EncodeCursor(p.Items[limit-1])
			break
		}
		if len(batch) < searchBatch {
			break // the end
		}
		last := batch[examined-1]
		q.AfterStarted, q.AfterID = last.StartedAt, last.SessionID
		if scan.Messages >= MaxScanMessages || !s.now().Before(deadline) {
			scan.Stopped = true
			p.NextCursor = EncodeCursor(last)
			break
		}
	}
	cutPreviews(p.Items)
	return p, nil
}

// match keeps the conversations of batch that match q's page and text filters, at most want
// of them, and reports how many of batch it examined.
func (s *Service) match(ctx context.Context, q Query, batch []store.Conversation, want int, scan *Scan) ([]store.Conversation, int, error) {
	page, text := strings.ToLower(q.Page), strings.ToLower(q.Text)
	candidates := batch
	if page != "" {
		candidates = make([]store.Conversation, 0, len(batch))
		for _, c := range batch {
			if strings.Contains(strings.ToLower(c.PageURL), page) {
				candidates = append(candidates, c)
			}
		}
	}
	hits := map[string]bool{}
	if text != "" && len(candidates) > 0 {
		ids := make([]string, len(candidates))
		for i, c := range candidates {
			ids[i] = c.SessionID
		}
		err := s.Store.SessionMessages(ctx, ids, func(m store.Message) error {
			scan.Messages++
			if !hits[m.SessionID] && containsFold(m.Content, text) {
				hits[m.SessionID] = true
			}
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	var out []store.Conversation
	for i, c := range batch {
		scan.Conversations++
		if page != "" && !strings.Contains(strings.ToLower(c.PageURL), page) {
			continue
		}
		if text != "" && !hits[c.SessionID] {
			continue
		}
		out = append(out, c)
		if len(out) == want {
			return out, i + 1, nil
		}
	}
	return out, len(batch), nil
}

// containsFold reports whether s contains lowerNeedle, ignoring case; ASCII text, the usual
// case, is compared without allocating.
func containsFold(s, lowerNeedle string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(s), lowerNeedle)
		}
	}
	n := len(lowerNeedle)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lowerNeedle[j] {
				break
			}
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func cutPreviews(items []store.Conversation) {
	for i := range items {
		items[i].Preview = Preview(items[i].Preview)
	}
}

// Preview cuts text to PreviewRunes runes, with an ellipsis when cut.
func Preview(text string) string {
	if utf8.RuneCountInString(text) <= PreviewRunes {
		return text
	}
	n := 0
	for i := range text {
		if n == PreviewRunes {
			return text[:i] + "…"
		}
		n++
	}
	return text
}

// EncodeCursor names the position after c.
func EncodeCursor(c store.Conversation) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.StartedAt.UnixMicro(), 10) + "." + c.SessionID))
}

// DecodeCursor reads a cursor of EncodeCursor into f.
func DecodeCursor(cursor string, f *store.ConversationFilter) error {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) > 24+maxCursorIDLength {
		return apierr.InvalidCursor()
	}
	micros, id, ok := strings.Cut(string(raw), ".")
	us, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || uuid.Validate(id) != nil {
		return apierr.InvalidCursor()
	}
	f.AfterStarted, f.AfterID = time.UnixMicro(us).UTC(), id
	return nil
}
