// Package tracing exports OpenTelemetry traces of chatproxy's work over OTLP/HTTP.
//
// Setup builds the SDK's tracer provider from config.Tracing (on only when an endpoint is set).
// The rest of chatproxy holds a Tracer: its zero value is off, and then starting a span returns
// the context unchanged and a shared no-op span, so the hot path pays a nil check and nothing
// else. LogHandler adds trace_id and span_id to log lines; Store traces a store's writes. Span
// attributes never hold message text, tokens, query strings or n8n's URL or host.
package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName names chatproxy's instrumentation in every exported span.
const ScopeName = "github.com/chatproxy/chatproxy"

// Attribute keys of chatproxy's own (semantic-convention keys are used where one exists).
const (
	AttrRequestID    = attribute.Key("chatproxy.request_id")
	AttrSiteID       = attribute.Key("chatproxy.site_id")
	AttrSessionID    = attribute.Key("chatproxy.session_id")
	AttrMessageID    = attribute.Key("chatproxy.message_id")
	AttrErrorCode    = attribute.Key("chatproxy.error_code")
	AttrStatus       = attribute.Key("chatproxy.reply_status")
	AttrFirstTokenMS = attribute.Key("chatproxy.first_token_ms")
	AttrRelaySource  = attribute.Key("chatproxy.relay_source")
)

// EventFirstToken marks, on the n8n call's span, the moment its first text arrived.
const EventFirstToken = "first_token"

// off is the span an off Tracer returns: the API's shared no-op span, so returning it allocates
// nothing (a noop.Span value would be boxed on every call).
var off = trace.SpanFromContext(context.Background())

// Tracer starts chatproxy's spans; the zero Tracer is off.
type Tracer struct{ t trace.Tracer }

// NewTracer wraps an OpenTelemetry tracer (nil = off).
func NewTracer(t trace.Tracer) Tracer { return Tracer{t: t} }

// On reports whether spans are recorded.
func (t Tracer) On() bool { return t.t != nil }

// Start begins an internal span.
func (t Tracer) Start(ctx context.Context, name string) (context.Context, trace.Span) {
	if t.t == nil {
		return ctx, off
	}
	return t.t.Start(ctx, name)
}

// StartServer begins the span of a request chatproxy serves.
func (t Tracer) StartServer(ctx context.Context, name string) (context.Context, trace.Span) {
	if t.t == nil {
		return ctx, off
	}
	return t.t.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer))
}

// StartClient begins the span of a call chatproxy makes.
func (t Tracer) StartClient(ctx context.Context, name string) (context.Context, trace.Span) {
	if t.t == nil {
		return ctx, off
	}
	return t.t.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient))
}

// Detach returns a context under base that carries the span of from: work that outlives a
// request (a reply) stays in the request's trace without inheriting its cancellation.
func (t Tracer) Detach(base, from context.Context) context.Context {
	if t.t == nil {
		return base
	}
	return trace.ContextWithSpan(base, trace.SpanFromContext(from))
}

// Fail marks span failed with a code of chatproxy's own. The error's text is never recorded:
// network errors name hosts and ports, database errors name servers.
func Fail(span trace.Span, code string) {
	if !span.IsRecording() {
		return
	}
	span.SetStatus(codes.Error, code)
	span.SetAttributes(AttrErrorCode.String(code))
}
