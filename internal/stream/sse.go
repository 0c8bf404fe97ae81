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
}

// NewWriter sends the SSE headers and a first `retry:` line (jittered, so a mass reconnect
// spreads out) and flushes them at once.
func NewWriter(w http.ResponseWriter, writeTimeout time.Duration) (*Writer, error) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	sw := &Writer{w: w, rc: http.NewResponseController(w), writeTimeout: writeTimeout}
	return sw, sw.write([]byte("retry: " + strconv.Itoa(JitterMS(2000, 5000)) + "\n\n"))
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
	// Stop, when closed, ends the relay with a reconnect event (server shutting down).
	Stop <-chan struct{}
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
		go func() {
			select {
			case <-o.Stop:
				cancel()
			case <-stopCtx.Done():
			}
		}()
	}
	for {
		beatCtx, beatCancel := context.WithTimeout(stopCtx, o.Heartbeat)
		done, err := relayUntilBeat(beatCtx, sub, sw)
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

// relayUntilBeat writes events until the heartbeat context expires or the reply ends. Frames
// that are already buffered are written together with one flush (one syscall) instead of one
// each; the first frame of a batch is never delayed.
func relayUntilBeat(ctx context.Context, sub Subscription, sw *Writer) (bool, error) {
	batch := make([][]byte, 0, maxBatch)
	for {
		_, frame, done, err := sub.Next(ctx)
		if err != nil || done {
			return done, err
		}
		batch = append(batch[:0], frame)
		finished := false
		for len(batch) < maxBatch {
			_, f, d, err := sub.Next(readyCtx)
			if d {
				finished = true
			}
			if err != nil || d {
				break
			}
			batch = append(batch, f)
		}
		if err := sw.Frames(batch); err != nil {
			return false, err
		}
		if finished {
			return true, nil
		}
	}
}
