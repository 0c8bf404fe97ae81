// Package apierr is the one error type that crosses from the domain packages to HTTP: a stable
// code, the HTTP status and a message safe to show. Anything else becomes a 500 with a logged id.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error is a client-visible failure.
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration     // sets Retry-After when > 0
	Headers    map[string]string // extra response headers (e.g. RateLimit)
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// New builds an *Error.
func New(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// As returns err as *Error when it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Constructors for the common cases.
func BadRequest(code, message string) *Error { return New(http.StatusBadRequest, code, message) }
func Unauthorized(code, message string) *Error {
	return New(http.StatusUnauthorized, code, message)
}
func Forbidden(code, message string) *Error { return New(http.StatusForbidden, code, message) }
func NotFound(code, message string) *Error  { return New(http.StatusNotFound, code, message) }

// TooMany is a 429 with Retry-After (whole seconds, at least 1).
func TooMany(code, message string, retry time.Duration) *Error {
	if retry < time.Second {
		retry = time.Second
	}
	return &Error{Status: http.StatusTooManyRequests, Code: code, Message: message, RetryAfter: retry}
}

// Unavailable is a 503 with Retry-After.
func Unavailable(code, message string, retry time.Duration) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: code, Message: message, RetryAfter: retry}
}

// Well-known errors.
var (
	ErrStorage = func() *Error {
		return Unavailable("storage_unavailable", "The chat is temporarily unavailable. Please try again shortly.", 5*time.Second)
	}
	ErrUnauthorized = func() *Error {
		return Unauthorized("unauthorized", "A valid session token or cookie is required.")
	}
)
