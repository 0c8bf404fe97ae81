package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// runConcurrency hammers the store from 8 goroutines × 50 exchanges. On SQLite this is the
// check that writers queue on the single writer instead of failing with "database is locked".
func runConcurrency(t *testing.T, open Opener) {
	f := newFixture(t, open)
	const workers, writes = 8, 50
	sessions := make([]store.Session, workers)
	for i := range sessions {
		sessions[i] = f.session()
	}
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { errs <- exchanges(f, sessions[w], writes) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, sess := range sessions {
		msgs, err := f.s.ListMessages(f.ctx, sess.ID, store.Page{Limit: 200})
		if err != nil || len(msgs) != writes {
			t.Errorf("session %s: %d messages, %v; want %d", sess.ID, len(msgs), err, writes)
		}
	}
}

// exchanges runs the hot path of a chat exchange n times: read the session, touch it, read the
// history, store a message.
func exchanges(f *fixture, sess store.Session, n int) error {
	for i := range n {
		if _, err := f.s.GetSession(f.ctx, sess.ID); err != nil {
			return fmt.Errorf("GetSession: %w", err)
		}
		if err := f.s.TouchSession(f.ctx, sess.ID, f.now.Add(time.Duration(i)*time.Second)); err != nil {
			return fmt.Errorf("TouchSession: %w", err)
		}
		if _, err := f.s.ListMessages(f.ctx, sess.ID, store.Page{Limit: 10}); err != nil {
			return fmt.Errorf("ListMessages: %w", err)
		}
		m := newMessage(sess, store.RoleUser, "concurrent ✓", fmt.Sprintf("c-%d", i), f.now)
		if _, created, err := f.s.AddMessage(f.ctx, m); err != nil || !created {
			return fmt.Errorf("AddMessage #%d: created=%v: %w", i, created, err)
		}
	}
	return nil
}

func runErrors(t *testing.T, open Opener) {
	t.Run("Closed", func(t *testing.T) {
		f := newFixture(t, open)
		sess := f.session()
		if err := f.s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		checks := map[string]error{
			"Ping":         f.s.Ping(f.ctx),
			"TouchSession": f.s.TouchSession(f.ctx, sess.ID, f.now),
		}
		_, checks["GetSession"] = f.s.GetSession(f.ctx, sess.ID)
		_, _, checks["AddMessage"] = f.s.AddMessage(f.ctx, newMessage(sess, store.RoleUser, "x", "", f.now))
		_, checks["ListMessages"] = f.s.ListMessages(f.ctx, sess.ID, store.Page{})
		_, _, checks["SchemaVersion"] = f.s.SchemaVersion(f.ctx)
		checks["Migrate"] = f.s.Migrate(f.ctx)
		for name, err := range checks {
			if !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("%s on a closed store: err = %v, want ErrUnavailable", name, err)
			}
		}
		if err := f.s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
	t.Run("CancelledContext", func(t *testing.T) {
		f := newFixture(t, open)
		sess := f.session()
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		_, err := f.s.GetSession(ctx, sess.ID)
		if !errors.Is(err, context.Canceled) || errors.Is(err, store.ErrUnavailable) {
			t.Errorf("GetSession with a cancelled context: err = %v, want context.Canceled and not ErrUnavailable", err)
		}
	})
}
