package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/store"
)

// handlerFunc is the shape of every handler: it returns an error instead of writing one.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type errorBody struct {
	Error errorDetail `json:"error"`
	// Message repeats the error's message on the @n8n/chat routes: the widget shows a reply's
	// output, text or message field, and ignores the status.
	Message string `json:"message,omitempty"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	ID      string `json:"id,omitempty"`
}

// writeError turns err into the JSON error response. Unknown errors become a 500 whose random id
// is logged, so a visitor's report can be matched to a log line without leaking details.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if rw, ok := w.(*responseWriter); ok && rw.wrote {
		// The response (e.g. an SSE stream) already started; nothing more can be said.
		s.log.DebugContext(r.Context(), "error after response started", "route", routeOf(r), "err", err)
		return
	}
	ae, ok := apierr.As(classify(err))
	if !ok {
		id := newRequestID()
		noteErrorCode(r, apierr.Internal().Code)
		s.log.ErrorContext(r.Context(), "internal error", "error_id", id, "route", routeOf(r), "request_id", requestID(r), "err", err)
		s.metrics.Errors.WithLabelValues("internal").Inc()
		in := apierr.Internal()
		writeJSON(w, in.Status, errorBody{Error: errorDetail{Code: in.Code, Message: in.Message, ID: id}})
		return
	}
	noteErrorCode(r, ae.Code)
	if ae.Cause != nil {
		s.log.WarnContext(r.Context(), "request failed", "code", ae.Code, "route", routeOf(r), "request_id", requestID(r), "err", ae.Cause)
	}
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((ae.RetryAfter+999_999_999)/1_000_000_000)))
	}
	for k, v := range ae.Headers {
		w.Header().Set(k, v)
	}
	if ae.Status >= 500 || ae.Status == http.StatusTooManyRequests {
		s.metrics.Errors.WithLabelValues(ae.Code).Inc()
	}
	body := errorBody{Error: errorDetail{Code: ae.Code, Message: ae.Message}}
	if strings.HasPrefix(r.URL.Path, n8nPrefix) {
		body.Message = ae.Message
	}
	writeJSON(w, ae.Status, body)
}

// classify maps failures that are not *apierr.Error yet but have a client-visible meaning: the
// one place where a storage failure becomes 503 storage_unavailable (its cause is logged with
// the request id by writeError), and an over-long body 413.
func classify(err error) error {
	if _, ok := apierr.As(err); ok {
		return err
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return apierr.BodyTooLarge()
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return apierr.StorageUnavailable(err)
	}
	return err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func newRequestID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
