package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

var (
	errFirstByteTimeout = errors.New("no response byte within the first-byte timeout")
	errIdleTimeout      = errors.New("no data within the idle timeout")
	errTotalTimeout     = errors.New("the call exceeded the total timeout")
)

// callTimer enforces the first-byte and idle timeouts of one call by cancelling its context, so a
// stalled read is interrupted wherever it blocks (dial, headers or body). It is one timer re-armed
// on every read, not a goroutine per call.
type callTimer struct {
	timer     *time.Timer
	idle      time.Duration
	streaming atomic.Bool
	body      io.Reader
	verdict   *verdict // told "healthy" at the first byte of the body
}

func newCallTimer(firstByte, idle time.Duration, cancel context.CancelCauseFunc) *callTimer {
	ct := &callTimer{idle: idle}
	ct.timer = time.AfterFunc(firstByte, func() {
		if ct.streaming.Load() {
			cancel(errIdleTimeout)
			return
		}
		cancel(errFirstByteTimeout)
	})
	return ct
}

// Read reads the response body and re-arms the timer for the idle gap after any data.
func (ct *callTimer) Read(p []byte) (int, error) {
	n, err := ct.body.Read(p)
	if n > 0 {
		if !ct.streaming.Swap(true) && ct.verdict != nil {
			ct.verdict.give(nil)
		}
		ct.timer.Reset(ct.idle)
	}
	return n, err
}

func (ct *callTimer) stop() { ct.timer.Stop() }

// contextError explains a failure that happened because the call's context ended: one of our
// timeouts (counted by the breaker) or the caller giving up (not counted). nil when ctx is live.
func contextError(ctx context.Context, sent, partial bool) *Error {
	if ctx.Err() == nil {
		return nil
	}
	cause := context.Cause(ctx)
	var e *Error
	switch {
	case errors.Is(cause, errFirstByteTimeout), errors.Is(cause, errIdleTimeout), errors.Is(cause, errTotalTimeout):
		e = NewError(CodeTimeout, sent, cause)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		e = NewError(CodeTimeout, sent, fmt.Errorf("%w: %w", errCallerCanceled, cause))
	default:
		e = NewError(CodeCanceled, sent, fmt.Errorf("%w: %w", errCallerCanceled, cause))
	}
	e.Partial = partial
	return e
}

// classifySend maps a failure before any response arrived.
func classifySend(ctx context.Context, err error, sent bool) *Error {
	if e := contextError(ctx, sent, false); e != nil {
		return e
	}
	switch {
	case !sent:
		return NewError(CodeUnreachable, false, err)
	case isTimeout(err):
		return NewError(CodeTimeout, true, err)
	}
	return NewError(CodeUnreachable, true, err)
}

// classifyRead maps a failure while reading a 2xx body: protocol errors from the parser pass
// through; a read error is a timeout, a cancellation, or a cut-off body.
func classifyRead(ctx context.Context, err error, textSeen bool) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	if e := contextError(ctx, true, textSeen); e != nil {
		return e
	}
	code := CodeBadResponse
	if isTimeout(err) {
		code = CodeTimeout
	}
	e := NewError(code, true, err)
	e.Partial = textSeen
	return e
}
