package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/store"
)

// DefaultMaxBody bounds a console request body unless a route asks for more.
const DefaultMaxBody = 64 << 10

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	ID      string `json:"id,omitempty"`
}

// writeError turns err into the JSON error response; unknown errors become a 500 whose id is
// logged with the cause.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if rw, ok := w.(*responseWriter); ok && rw.wrote {
		s.Log.Debug("error after the response started", "route", routeOf(r), "err", err)
		return
	}
	ae, ok := apierr.As(classify(err))
	if !ok {
		id := newRequestID()
		s.Log.Error("internal error", "error_id", id, "route", routeOf(r), "request_id", requestID(r), "err", err)
		s.Metrics.Errors.WithLabelValues("internal").Inc()
		in := apierr.Internal()
		writeJSON(w, in.Status, errorBody{errorDetail{Code: in.Code, Message: in.Message, ID: id}})
		return
	}
	if ae.Cause != nil {
		s.Log.Warn("request failed", "code", ae.Code, "route", routeOf(r), "request_id", requestID(r), "err", ae.Cause)
	}
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((ae.RetryAfter+999_999_999)/1_000_000_000)))
	}
	for k, v := range ae.Headers {
		w.Header().Set(k, v)
	}
	if ae.Status >= 500 || ae.Status == http.StatusTooManyRequests {
		s.Metrics.Errors.WithLabelValues(ae.Code).Inc()
	}
	writeJSON(w, ae.Status, errorBody{errorDetail{Code: ae.Code, Message: ae.Message}})
}

// classify maps failures with a client-visible meaning that are not *apierr.Error yet.
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

// writeJSON writes v with status; console answers are never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON object body of at most DefaultMaxBody bytes into v (see decodeLimit).
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeLimit(w, r, v, DefaultMaxBody)
}

// decodeLimit reads a JSON object body into v: application/json (415 otherwise), at most
// limit bytes (413), valid UTF-8, and no field v does not have (400 invalid_request naming it).
func decodeLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return apierr.UnsupportedMediaType("Send the body as application/json.")
		}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierr.BodyTooLarge()
		}
		return apierr.InvalidRequest("The request body could not be read.")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		b = []byte("{}")
	}
	if !utf8.Valid(b) {
		return apierr.InvalidUTF8()
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return apierr.InvalidJSON()
	}
	return nil
}

func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return apierr.InvalidRequest("Field " + te.Field + " has the wrong type.")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return apierr.InvalidRequest("Unknown field " + name + ".")
	}
	return apierr.InvalidJSON()
}

// client is the request's origin for sessions and the audit log.
func (s *Server) client(r *http.Request) console.Client {
	return console.Client{IP: s.IPs.ClientIP(r), UserAgent: r.UserAgent()}
}

func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// record writes an audit entry for p's request (actor, client IP and request id filled in).
// A failure to write is logged and counted, not returned: the change it describes happened.
func (s *Server) record(r *http.Request, p *console.Principal, e audit.Entry) {
	if p != nil {
		e.Actor.ID, e.Actor.Label = p.ID(), p.Label()
		if p.Via == console.ViaToken {
			e.Actor.Label += " (token " + p.TokenID + ")"
		}
	}
	if ip := s.IPs.ClientIP(r); ip.IsValid() {
		e.Actor.IP = ip.String()
	}
	e.RequestID = requestID(r)
	if _, err := s.Audit.Record(r.Context(), e); err != nil {
		s.Metrics.Errors.WithLabelValues("audit_write").Inc()
		s.Log.Error("audit entry not written", "action", e.Action.String(), "request_id", e.RequestID, "err", err)
	}
}

// deny records a refused attempt and returns the 403 to answer with. Handlers call it when
// the site scope refuses what the role allows.
func (s *Server) deny(r *http.Request, p *console.Principal, e audit.Entry) error {
	e.Result = audit.Denied
	s.record(r, p, e)
	return apierr.Forbidden("This is outside your sites or your role.")
}
