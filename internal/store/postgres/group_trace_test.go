package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/tracing"
)

// TestWriteGroupBatchSpan: when the writes are traced, every batch gets one span under the
// write that led it, linked to the writes that rode along; 2 held leaders and 10 queued writes
// make 3 batch spans, the last with 9 links. Untraced writes start no span at all.
func TestWriteGroupBatchSpan(t *testing.T) {
	t.Parallel()
	s, gate := groupFixture(t)
	sess := newSession(t, s)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tracer := tp.Tracer("test")

	const n = 12
	writeSpans := make([]trace.SpanContext, n)
	var wg sync.WaitGroup
	for i := range n {
		ctx, span := tracer.Start(context.Background(), fmt.Sprintf("write %d", i))
		writeSpans[i] = span.SpanContext()
		m := store.Message{ID: newTestID(), SessionID: sess.ID, SiteID: "shop", Role: store.RoleUser, Content: "x", Status: store.StatusComplete, CreatedAt: time.Now().UTC()}
		wg.Go(func() {
			defer span.End()
			if _, _, err := s.AddMessage(ctx, m); err != nil {
				t.Error(err)
			}
		})
	}
	waitPending(t, s.writes, n-groupSlots)
	close(gate.release)
	wg.Wait()

	isWrite := map[trace.SpanID]bool{}
	for _, sc := range writeSpans {
		isWrite[sc.SpanID()] = true
	}
	var batches []sdktrace.ReadOnlySpan
	for _, sp := range rec.Ended() {
		if sp.Name() == tracing.SpanCommitBatch {
			batches = append(batches, sp)
		}
	}
	if len(batches) != groupSlots+1 {
		t.Fatalf("%d batch spans, want %d", len(batches), groupSlots+1)
	}
	links := 0
	for _, b := range batches {
		if !isWrite[b.Parent().SpanID()] {
			t.Errorf("batch span's parent %s is not a write's span", b.Parent().SpanID())
		}
		for _, l := range b.Links() {
			if !isWrite[l.SpanContext.SpanID()] || l.SpanContext.SpanID() == b.Parent().SpanID() {
				t.Errorf("batch links %s, not another write", l.SpanContext.SpanID())
			}
		}
		links += len(b.Links())
	}
	if links != n-groupSlots-1 {
		t.Errorf("%d links, want %d (every queued write but the batch's leader)", links, n-groupSlots-1)
	}

	before := len(rec.Ended())
	m := store.Message{ID: newTestID(), SessionID: sess.ID, SiteID: "shop", Role: store.RoleUser, Content: "y", Status: store.StatusComplete, CreatedAt: time.Now().UTC()}
	if _, _, err := s.AddMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := len(rec.Ended()); got != before {
		t.Errorf("an untraced write started %d spans", got-before)
	}
}
