package conversations

import (
	"context"

	"github.com/chatproxy/chatproxy/internal/store"
)

// Session returns the session of a conversation (store.ErrNotFound when there is none), for
// the caller's scope check before Messages.
func (s *Service) Session(ctx context.Context, id string) (store.Session, error) {
	return s.Store.GetSession(ctx, id)
}

// Messages returns every message of the session, oldest first, opened.
func (s *Service) Messages(ctx context.Context, sessionID string) ([]store.Message, error) {
	msgs := make([]store.Message, 0, 16)
	err := s.Store.SessionMessages(ctx, []string{sessionID}, func(m store.Message) error {
		msgs = append(msgs, m)
		return nil
	})
	return msgs, err
}

// Delete removes the session with its messages and events (store.ErrNotFound when gone).
func (s *Service) Delete(ctx context.Context, sessionID string) error {
	return s.Store.DeleteSession(ctx, sessionID)
}

// Export calls fn with every conversation matching q, newest first, in batches of
// store.MaxConversationBatch: each batch is one short query, so no statement or transaction
// stays open while a slow client reads, and memory stays at two batches. The next batch is
// read while fn writes the current one (the database and the encoding overlap). q.Limit and
// the search's scan bound do not apply. It returns how many conversations went to fn.
func (s *Service) Export(ctx context.Context, q Query, fn func(store.Conversation) error) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		rows []store.Conversation
		err  error
	}
	batches := make(chan batch, 1)
	go func() {
		defer close(batches)
		q := q
		q.Limit = exportBatch
		scan := &Scan{}
		for {
			b, err := s.Store.ListConversations(ctx, q.ConversationFilter)
			rows := b
			if err == nil && q.needsScan() {
				rows, _, err = s.match(ctx, q, b, len(b)+1, scan)
			}
			select {
			case batches <- batch{rows, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(b) < exportBatch {
				return
			}
			last := b[len(b)-1]
			q.AfterStarted, q.AfterID = last.StartedAt, last.SessionID
		}
	}()
	n := 0
	for b := range batches {
		if b.err != nil {
			return n, b.err
		}
		for _, c := range b.rows {
			c.Preview = Preview(c.Preview)
			if err := fn(c); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, ctx.Err()
}
