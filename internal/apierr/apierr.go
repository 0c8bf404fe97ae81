// Package apierr is the one client-visible error type and its catalogue of codes.
//
// An *Error carries a stable code, the HTTP status and a message safe to show, plus an optional
// cause kept for the log (never shown). Every code is declared once in catalogue.go with a
// named constructor; docs/api.md lists them all (a test checks it). Anything that is not an
// *Error becomes a 500 with a logged id.
package apierr

import (
	"errors"
	"fmt"
	"time"
)

// Error is a client-visible failure.
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration     // sets Retry-After when > 0
	Headers    map[string]string // extra response headers (e.g. RateLimit)
	// Cause is what went wrong underneath, for the log only; errors.Is/As see it.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Status, e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// As returns err as *Error when it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
