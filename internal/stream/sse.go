package stream

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// ErrSlowClient is returned when a write did not complete within the per-write deadline.
var ErrSlowClient = errors.New("stream: client too slow")

// Writer writes SSE frames to one client, flushing after each and bounding each write in time so
// a client that stops reading cannot hold a goroutine or memory.
type Writer struct {
	w            http.ResponseWriter
	rc           *http.ResponseController
	writeTimeout time.Duration
	// unflushed: the headers and the retry line are buffered, not yet sent. They go out with
	// the first frames, or alone when a relay has nothing ready to send with them: one write
	// instead of two on the first-token path.
	unflushed bool
}

// NewWriter prepares the SSE headers and a first `retry:` line (jittered, so a mass reconnect
// spreads out). They are sent with the first write, or by Flush.
func NewWriter(w http.ResponseWriter, writeTimeout time.Duration) (*Writer, error) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	sw := &Writer{w: w, rc: http.NewResponseController(w), writeTimeout: writeTimeout, unflushed: true}
	if _, err := w.Write([]byte("retry: " + strconv.Itoa(JitterMS(2000, 5000)) + "\n\n")); err != nil {
		return nil, err
	}
	return sw, nil
}

// Flush sends what is buffered (the headers and retry line) if nothing was sent yet.
func (sw *Writer) Flush() error {
	if !sw.unflushed {
		return nil
	}
	return sw.Frames(nil)
}

// JitterMS returns a random number of milliseconds in [lo, hi).
func JitterMS(lo, hi int) int { return lo + rand.IntN(hi-lo) }

func (sw *Writer) write(b []byte) error { return sw.Frames([][]byte{b}) }

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// Frame writes one pre-rendered event frame.
func (sw *Writer) Frame(frame []byte) error { return sw.write(frame) }

// Frames writes several pre-rendered frames under one write deadline and one flush.
func (sw *Writer) Frames(frames [][]byte) error {
	if sw.writeTimeout > 0 {
		_ = sw.rc.SetWriteDeadline(time.Now().Add(sw.writeTimeout))
	}
	for _, f := range frames {
		if _, err := sw.w.Write(f); err != nil {
			if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
				return ErrSlowClient
			}
			return err
		}
	}
	sw.unflushed = false
	if err := sw.rc.Flush(); err != nil {
		if isTimeout(err) {
			return ErrSlowClient
		}
		return err
	}
	return nil
}

// Event renders and writes an event that is not part of a buffered reply (no id).
func (sw *Writer) Event(e Event) error { return sw.write(e.Frame("")) }

// Comment writes a `:` comment line (heartbeat).
func (sw *Writer) Comment(text string) error { return sw.write([]byte(": " + text + "\n\n")) }

// Done writes the end-of-stream sentinel the seed widget expects.
func (sw *Writer) Done() error { return sw.write([]byte("data: [DONE]\n\n")) }

// RelayOptions tune Relay.
type RelayOptions struct {
	Heartbeat time.Duration
	// WriteDelay lets events that follow the first text gather for up to this long before they
	// are written, so a burst of tokens costs one write (and one wake-up of the visitor's
	// browser) instead of one each. Only events that come within WriteDelay of the one before
	// gather: a sparser stream would wait for company that does not come. The first text is
	// never delayed. 0 writes at once.
	WriteDelay time.Duration
	// Stop, when cancelled, ends the relay with a reconnect event (server shutting down).
	Stop context.Context
}

// Relay copies a subscription to the client until the reply is done, the client goes away, the
// client is too slow, or Stop closes. It writes `[DONE]` after a finished reply.
func Relay(ctx context.Context, sub Subscription, sw *Writer, o RelayOptions) error {
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	stopCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Stop != nil {
		// AfterFunc, not a goroutine per stream: 10,000 open streams would hold 10,000 stacks.
		unregister := context.AfterFunc(o.Stop, cancel)
		defer unregister()
	}
	rs := &relayState{delay: o.WriteDelay}
	for {
		beatCtx, beatCancel := context.WithTimeout(stopCtx, o.Heartbeat)
		done, err := rs.untilBeat(beatCtx, sub, sw)
		beatCancel()
		switch {
		case done:
			return sw.Done()
		case err == nil || (errors.Is(err, context.DeadlineExceeded) && stopCtx.Err() == nil):
			if err := sw.Comment("ping"); err != nil {
				return err
			}
		case stopCtx.Err() != nil && ctx.Err() == nil:
			return sw.Event(Event{Type: TypeReconnect, RetryMS: JitterMS(1000, 10000)})
		default:
			return err
		}
	}
}

// maxBatch bounds how many ready frames are written with one flush.
const maxBatch = 64

// readyCtx is already cancelled: Next with it returns an event only when one is ready.
var readyCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// relayState is what a relay remembers across heartbeats.
type relayState struct {
	delay    time.Duration
	textSent bool        // an item went out: later writes may wait for company
	timer    *time.Timer // fires at the gather deadline; reused (see timedNexter)
	until    time.Time   // the gather deadline
	lastAt   time.Time   // when the last event was taken
}

// inBurst notes that an event was taken now and reports whether it came within the write
// delay of the one before. Gathering only then spares a stream of sparse tokens (one a second
// at 10,000 streams: 10,000 timers a second) a timer and a wake-up per token that never
// catch a second event.
func (rs *relayState) inBurst() bool {
	now := time.Now()
	burst := now.Sub(rs.lastAt) < rs.delay
	rs.lastAt = now
	return burst
}

// timedNexter is implemented by subscriptions that can wait for an event until a timer fires.
// A gather per write would otherwise cost a context, a timer and a channel: at 10,000 streams
// of one token a second that is 10,000 of each per second for the collector.
type timedNexter interface {
	NextBefore(ctx context.Context, deadline <-chan time.Time) (e Event, frame []byte, done bool, err error)
}

// untilBeat writes events until the reply is done or ctx ends. Every event ready at once goes
// out in one write. After the first text, an event that follows the one before within the
// write delay starts a gather: the write waits up to the delay for more (it stops early at the
// end of the reply), so a burst costs one write.
func (rs *relayState) untilBeat(ctx context.Context, sub Subscription, sw *Writer) (bool, error) {
	batch := make([][]byte, 0, maxBatch)
	for {
		e, frame, done, err := sub.Next(readyCtx)
		if err != nil && !done && errors.Is(err, context.Canceled) { // nothing ready: wait
			if err := sw.Flush(); err != nil {
				return false, err
			}
			e, frame, done, err = sub.Next(ctx)
		}
		if err != nil || done {
			return done, err
		}
		gathering := rs.inBurst() && rs.textSent && rs.delay > 0 && !final(e)
		rs.textSent = rs.textSent || e.Type == TypeItem
		batch = append(batch[:0], frame)
		finished := false
		stop := rs.startGather(gathering)
		for len(batch) < maxBatch {
			gathering = gathering && !final(e) // the reply is ending: take what is ready, wait no more
			var f []byte
			e, f, finished, err = rs.next(ctx, sub, gathering)
			if err != nil || finished {
				break
			}
			rs.textSent = rs.textSent || e.Type == TypeItem
			rs.lastAt = time.Now()
			batch = append(batch, f)
		}
		stop()
		if err := sw.Frames(batch); err != nil {
			return false, err
		}
		if finished {
			return true, nil
		}
	}
}

// startGather arms the gather deadline; the returned func disarms it.
func (rs *relayState) startGather(gathering bool) (stop func()) {
	if !gathering {
		return func() {}
	}
	rs.until = time.Now().Add(rs.delay)
	if rs.timer == nil {
		rs.timer = time.NewTimer(rs.delay)
	} else {
		rs.timer.Reset(rs.delay)
	}
	return func() { rs.timer.Stop() }
}

// next reads the next event of a batch: one that is ready, or while gathering one that comes
// before the gather deadline.
func (rs *relayState) next(ctx context.Context, sub Subscription, gathering bool) (Event, []byte, bool, error) {
	if !gathering {
		return sub.Next(readyCtx)
	}
	if tn, ok := sub.(timedNexter); ok {
		return tn.NextBefore(ctx, rs.timer.C)
	}
	// Other subscriptions (Redis, read on another replica) get a context with the deadline.
	gctx, cancel := context.WithDeadline(ctx, rs.until)
	defer cancel()
	return sub.Next(gctx)
}

// final reports an event after which a reply sends nothing but its end.
func final(e Event) bool {
	return e.Type == TypeEnd || e.Type == TypeError || e.Type == TypeReset
}
