package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Group commit. Every message is committed before n8n is called, so at 50 visitors PostgreSQL
// runs a few thousand tiny transactions a second and its per-transaction work (snapshot, commit
// record, WAL flush wait, backend wake-ups) costs more than the statements. Writes that arrive
// together are therefore sent as one pipelined batch: one round trip and one commit for all.
//
// There is no timer: a write that finds a free slot runs at once, so a lone visitor waits for
// nothing. Only a write that arrives while every slot is busy waits, and it then goes out with
// the others that queued behind the same batch. (PostgreSQL's commit_delay only shares WAL
// flushes, still one transaction per write, and is a server setting.) A batch that fails on a
// statement (a deadlock between twins, a deleted session) is rolled back as a whole, so each of
// its writes is then run alone: one bad write never fails another.
const (
	// Batches in flight at once. More slots make fewer and smaller groups: at 50 visitors 4 and
	// 8 slots measured 15–30 % below 2 (docs/benchmarks.md); one slot would let a single slow
	// batch stop every write of the replica.
	groupSlots   = 2
	groupMaxOps  = 64 // writes per batch
	groupTimeout = 5 * time.Second
)

// groupOp is one write: the statements it queues and how it reads their results. read must set
// the op's outcome from scratch, because a failed group is run again one write at a time.
type groupOp struct {
	queue func(*pgx.Batch)
	read  func(pgx.BatchResults) error
	err   error
	// ctx is the context of a write that queued behind a batch (nil for one that ran at once):
	// the batch that carries it links its span to the write's.
	ctx context.Context
	// wake carries nil when the op is done, or the batch the op must now run as its leader.
	wake chan []*groupOp
}

// batcher is the sender of a batch; *pgxpool.Pool is one.
type batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

type writeGroup struct {
	db      batcher
	mu      sync.Mutex
	running int        // batches in flight
	pending []*groupOp // non-empty only while running == groupSlots
}

func newWriteGroup(db batcher) *writeGroup {
	return &writeGroup{db: db}
}

// do runs op, alone or with others, and returns its error.
func (g *writeGroup) do(ctx context.Context, op *groupOp) error {
	g.mu.Lock()
	if g.running < groupSlots {
		g.running++
		g.mu.Unlock()
		g.run(ctx, []*groupOp{op})
		return op.err
	}
	op.wake, op.ctx = make(chan []*groupOp, 1), ctx
	g.pending = append(g.pending, op)
	g.mu.Unlock()
	// No select on ctx: the op is already promised to a batch, and the batch is bounded by
	// groupTimeout and the statement timeout.
	if batch := <-op.wake; batch != nil {
		g.run(ctx, batch)
	}
	return op.err
}

// run executes a batch led by ops[0], wakes the others, then hands the slot to the next batch
// (its first op leads it) or frees it.
func (g *writeGroup) run(ctx context.Context, ops []*groupOp) {
	if len(ops) > 1 {
		// Other callers' writes ride on this one: the leader's cancellation must not fail them.
		ctx = context.WithoutCancel(ctx)
	}
	// Bounded even when the caller's context is not: writes queued behind a batch on a dead
	// connection must not wait for TCP to give up.
	ctx, cancel := context.WithTimeout(ctx, groupTimeout)
	ctx, span := startBatchSpan(ctx, ops)
	g.exec(ctx, ops)
	span.End()
	cancel()
	g.mu.Lock()
	var next []*groupOp
	if n := min(len(g.pending), groupMaxOps); n > 0 {
		next = make([]*groupOp, n)
		copy(next, g.pending)
		g.pending = g.pending[n:]
		if len(g.pending) == 0 {
			g.pending = nil
		}
	} else {
		g.running--
	}
	g.mu.Unlock()
	for _, op := range ops[1:] {
		op.wake <- nil
	}
	if next != nil {
		next[0].wake <- next
	}
}

// rolledBackByOne reports a statement error that one write can cause on its own: a constraint
// (class 23) or a deadlock or serialization failure (class 40). Anything else (a timeout, the
// server going away) would fail each write again, so it is the whole batch's outcome.
func rolledBackByOne(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || len(pgErr.Code) < 2 {
		return false
	}
	class := pgErr.Code[:2]
	return class == "23" || class == "40"
}

// exec sends the ops as one batch (one implicit transaction). When a statement fails, the whole
// batch was rolled back, and each op is run alone to find its own outcome.
func (g *writeGroup) exec(ctx context.Context, ops []*groupOp) {
	b := &pgx.Batch{}
	for _, op := range ops {
		op.queue(b)
	}
	results := g.db.SendBatch(ctx, b)
	var err error
	for _, op := range ops {
		if err = op.read(results); err != nil {
			break
		}
	}
	if cerr := results.Close(); err == nil {
		err = cerr
	}
	if len(ops) > 1 && rolledBackByOne(err) {
		trace.SpanFromContext(ctx).AddEvent("rolled back: each write runs alone")
		for _, op := range ops {
			g.exec(ctx, []*groupOp{op})
		}
		return
	}
	for _, op := range ops {
		op.err = err
	}
}

// noSpan is what startBatchSpan returns when it starts none: the API's shared no-op span.
var noSpan = trace.SpanFromContext(context.Background())

// startBatchSpan starts the span of a batch ("store.commit_batch", tracing.SpanCommitBatch)
// under its leader's write span, linked to the spans of the writes that rode along, when the
// leader's span records. Otherwise (tracing off, trace not sampled) it costs one context lookup
// per batch.
func startBatchSpan(ctx context.Context, ops []*groupOp) (context.Context, trace.Span) {
	leader := trace.SpanFromContext(ctx)
	if !leader.IsRecording() {
		return ctx, noSpan
	}
	links := make([]trace.Link, 0, len(ops)-1)
	for _, op := range ops[1:] {
		if op.ctx == nil {
			continue
		}
		if sc := trace.SpanContextFromContext(op.ctx); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	return leader.TracerProvider().Tracer(tracerName).Start(ctx, "store.commit_batch",
		trace.WithSpanKind(trace.SpanKindClient), trace.WithLinks(links...),
		trace.WithAttributes(attribute.String("db.system.name", "postgresql"), attribute.Int("db.operation.batch.size", len(ops))))
}

// tracerName is the instrumentation scope of the batch spans.
const tracerName = "github.com/chatproxy/chatproxy/internal/store/postgres"
