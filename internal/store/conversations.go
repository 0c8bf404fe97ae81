package store

import (
	"context"
	"fmt"
	"time"
)

// Conversation statuses: the status of the conversation's last answer, or ConvPending when
// its last message is a visitor's with no answer stored after it (a reply running, or lost).
const (
	ConvPending = "pending"
)

// ConversationFilter selects conversations (sessions with at least one message) for the
// console, newest first by (StartedAt, SessionID). Message text and page URLs are sealed, so
// filters on them are the caller's, applied to what it reads.
type ConversationFilter struct {
	AllSites  bool     // every site; otherwise SiteIDs
	SiteIDs   []string // the sites to read when !AllSites (empty = none)
	From, To  time.Time
	Status    string // "" or complete, partial, failed, pending
	Returning *bool
	Country   string
	// After is the keyset position: conversations strictly older than (AfterStarted, AfterID).
	AfterStarted time.Time
	AfterID      string
	Limit        int // at most MaxConversationBatch
}

// MaxConversationBatch bounds one ListConversations call (the export reads in batches of it).
const MaxConversationBatch = 1000

// Conversation is one session seen as a conversation, with its messages summarised.
type Conversation struct {
	SessionID     string
	SiteID        string
	VisitorID     string
	StartedAt     time.Time
	LastMessageAt time.Time
	Messages      int
	Status        string // of the last answer, or ConvPending
	Returning     bool
	Country       string
	PageURL       string // opened
	Preview       string // the first visitor message's text, opened
}

// Conversations is what the console reads of conversations.
type Conversations interface {
	// ListConversations returns up to f.Limit conversations matching f, newest first.
	ListConversations(ctx context.Context, f ConversationFilter) ([]Conversation, error)
	// SessionMessages calls fn with every message of the sessions, opened, grouped by session
	// in the order of ids and oldest first within a session; fn's error stops the walk.
	SessionMessages(ctx context.Context, sessionIDs []string, fn func(Message) error) error
}

// ConversationLimit clamps a batch size.
func ConversationLimit(n int) int {
	if n <= 0 {
		return DefaultPageLimit
	}
	return min(n, MaxConversationBatch)
}

// OpenConversation opens a conversation's sealed page URL and preview (the first visitor
// message, firstID, "" when there is none) into c.
func OpenConversation(ci Cipher, c *Conversation, page []byte, firstID string, first []byte) error {
	plain, err := ci.Open(page, SessionAAD(Session{ID: c.SessionID, SiteID: c.SiteID}, "page_url"))
	if err != nil {
		return fmt.Errorf("open page url of session %s: %w", c.SessionID, err)
	}
	c.PageURL = string(plain)
	if firstID == "" {
		return nil
	}
	m := Message{ID: firstID, SessionID: c.SessionID, SiteID: c.SiteID, Role: RoleUser}
	if plain, err = ci.Open(first, MessageAAD(m)); err != nil {
		return fmt.Errorf("open preview of session %s: %w", c.SessionID, err)
	}
	c.Preview = string(plain)
	return nil
}
