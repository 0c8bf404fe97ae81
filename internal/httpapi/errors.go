package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/chatproxy/chatproxy/internal/apierr"
)

// handlerFunc is the shape of every handler: it returns an error instead of writing one.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type errorBody struct {
	Error errorDetail `json:"error"`
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
		s.log.Debug("error after response started", "route", routeOf(r), "err", err)
		return
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = apierr.New(http.StatusRequestEntityTooLarge, "body_too_large", "The request body is too large.")
	}
	ae, ok := apierr.As(err)
	if !ok {
		id := newRequestID()
		s.log.Error("internal error", "error_id", id, "route", routeOf(r), "request_id", requestID(r), "err", err)
		s.metrics.Errors.WithLabelValues("internal").Inc()
		writeJSON(w, http.StatusInternalServerError, errorBody{errorDetail{Code: "internal", Message: "Something went wrong on our side.", ID: id}})
		return
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
	writeJSON(w, ae.Status, errorBody{errorDetail{Code: ae.Code, Message: ae.Message}})
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

// logAttrsForError is used where a handler logs an error it also returns.
func logAttrsForError(r *http.Request, err error) []any {
	return []any{slog.String("route", routeOf(r)), slog.String("request_id", requestID(r)), slog.Any("err", err)}
}
