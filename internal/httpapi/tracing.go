package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/chatproxy/chatproxy/internal/tracing"
)

// Span names of the HTTP layer (the request's own span is named after its route).
const (
	spanAuthenticate = "session.authenticate"
	spanRelay        = "sse.relay"
)

// startRequestSpan begins the server span of a request. Its name and http.route are set when
// it ends, from the route pattern that served it: never the raw path, whose ids would make
// every request a name of its own, and never the query string (it carries message text). A
// traceparent is honoured only from a trusted proxy: a visitor's would let anyone on the
// internet pick trace ids or force sampling.
func (s *Server) startRequestSpan(ctx context.Context, r *http.Request) (context.Context, trace.Span) {
	if s.Tracer.On() && r.Header.Get("Traceparent") != "" && s.fromTrustedProxy(r) {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}
	return s.Tracer.StartServer(ctx, r.Method)
}

// endRequestSpan names the span after its route and records the status (5xx = error, as the
// HTTP conventions have it for servers: a 4xx is the client's doing).
func endRequestSpan(span trace.Span, r *http.Request, ri *reqInfo, status int) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(attribute.String("http.request.method", r.Method),
		attribute.Int("http.response.status_code", status), tracing.AttrRequestID.String(ri.id))
	if ri.route != "" {
		route := ri.route
		if method, path, ok := strings.Cut(route, " "); ok && method == r.Method {
			route = path
		}
		span.SetName(r.Method + " " + route)
		span.SetAttributes(attribute.String("http.route", route))
	}
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// noteErrorCode puts the error code a request answered with on its span.
func noteErrorCode(r *http.Request, code string) {
	if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
		span.SetAttributes(tracing.AttrErrorCode.String(code))
	}
}

// endAuthSpan records who was authenticated, or the code of the refusal.
func endAuthSpan(span trace.Span, siteID, sessionID string, err error) {
	if !span.IsRecording() {
		return
	}
	if err != nil {
		tracing.Fail(span, errorCode(err))
	} else {
		span.SetAttributes(tracing.AttrSiteID.String(siteID), tracing.AttrSessionID.String(sessionID))
	}
	span.End()
}

// endRelaySpan records how a stream was served and how it ended.
func endRelaySpan(span trace.Span, source string, err error) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(tracing.AttrRelaySource.String(source))
	if err != nil {
		span.SetAttributes(attribute.String("chatproxy.relay_end", relayEnd(err)))
	}
	span.End()
}

// errorCode is the client-visible code err maps to ("internal" for an unknown error).
func errorCode(err error) string {
	if ae, ok := apierr.As(classify(err)); ok {
		return ae.Code
	}
	return apierr.Internal().Code
}

// relayEnd names why a stream stopped early.
func relayEnd(err error) string {
	switch {
	case errors.Is(err, stream.ErrSlowClient):
		return "slow_client"
	case errors.Is(err, context.Canceled):
		return "client_gone"
	}
	return "write_failed"
}
