package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/tracing"
	"github.com/chatproxy/chatproxy/internal/tracing/tracingtest"
)

// recorder returns a Tracer whose spans end up in the returned recorder.
func recorder(t *testing.T, sampler sdktrace.Sampler) (tracing.Tracer, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sampler))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tracing.NewTracer(tp.Tracer(tracing.ScopeName)), rec
}

// TestOffTracerDoesNothing: the zero Tracer hands back the caller's context and a span that
// records nothing, without allocating, and Store leaves the store unwrapped.
func TestOffTracerDoesNothing(t *testing.T) {
	var off tracing.Tracer
	ctx := context.WithValue(context.Background(), struct{}{}, 1)
	allocs := testing.AllocsPerRun(100, func() {
		c, span := off.StartServer(ctx, "x")
		c2, span2 := off.Start(c, "y")
		c3, span3 := off.StartClient(c2, "z")
		span3.AddEvent(tracing.EventFirstToken)
		tracing.Fail(span3, "code")
		span3.End()
		span2.End()
		span.End()
		if c3 != ctx || span.IsRecording() || off.Detach(context.Background(), c3) != context.Background() {
			t.Fatal("an off tracer changed the context or recorded")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request's worth of spans with tracing off, want 0", allocs)
	}
	var st store.Store = fakeStore{}
	if tracing.Store(st, off, "sqlite") != st {
		t.Error("an off tracer wrapped the store")
	}
}

// TestLogHandlerAddsSampledTraceIDs: a line logged with a sampled span's context gets its ids;
// an unsampled span's context, or none, adds nothing.
func TestLogHandlerAddsSampledTraceIDs(t *testing.T) {
	tr, _ := recorder(t, sdktrace.AlwaysSample())
	never, _ := recorder(t, sdktrace.NeverSample())
	var out bytes.Buffer
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(&out, nil))).With("component", "test")
	ctx, span := tr.Start(context.Background(), "work")
	span.End() // a line about finished work still belongs to it
	unsampled, uspan := never.Start(context.Background(), "skipped")
	defer uspan.End()
	log.InfoContext(ctx, "sampled")
	log.InfoContext(unsampled, "unsampled")
	log.Info("no context")
	var lines []map[string]any
	for _, raw := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	sc := span.SpanContext()
	if lines[0][tracing.LogTraceID] != sc.TraceID().String() || lines[0][tracing.LogSpanID] != sc.SpanID().String() || lines[0]["component"] != "test" {
		t.Errorf("sampled line: %v, want trace %s span %s", lines[0], sc.TraceID(), sc.SpanID())
	}
	for _, l := range lines[1:] {
		if l[tracing.LogTraceID] != nil || l[tracing.LogSpanID] != nil {
			t.Errorf("line %q carries trace ids: %v", l["msg"], l)
		}
	}
}

// TestStoreSpansRecordErrorClassesOnly: a failed write's span is an error with a code of ours;
// the error's text (which may name the database server) is nowhere in it.
func TestStoreSpansRecordErrorClassesOnly(t *testing.T) {
	tr, rec := recorder(t, sdktrace.AlwaysSample())
	st := tracing.Store(fakeStore{err: fmt.Errorf("dial db-primary.internal:5432: %w", store.ErrUnavailable)}, tr, "postgresql")
	ctx, parent := tr.Start(context.Background(), "request")
	if _, _, err := st.AddMessage(ctx, store.Message{ID: "m1", Role: store.RoleAssistant, Content: "the answer text"}); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("the wrapper changed the error: %v", err)
	}
	parent.End()
	spans := rec.Ended()
	if len(spans) != 2 || spans[0].Name() != tracing.SpanAddMessage {
		t.Fatalf("spans %v", spans)
	}
	s := spans[0]
	if s.Parent().SpanID() != parent.SpanContext().SpanID() || s.Status().Code != codes.Error || s.Status().Description != "store_unavailable" {
		t.Errorf("store span: parent %s status %v", s.Parent().SpanID(), s.Status())
	}
	for _, kv := range s.Attributes() {
		if v := kv.Value.Emit(); bytes.Contains([]byte(v), []byte("db-primary")) || bytes.Contains([]byte(v), []byte("answer text")) {
			t.Errorf("attribute %s=%s leaks", kv.Key, v)
		}
	}
	if len(s.Events()) != 0 {
		t.Errorf("events %v: the error was recorded with its text", s.Events())
	}
}

// TestSetupExportsWithOTELSettings: Setup sends spans over OTLP/HTTP to the configured
// endpoint with its headers and service name; a sampler that keeps nothing exports nothing.
func TestSetupExportsWithOTELSettings(t *testing.T) {
	rcv := tracingtest.NewReceiver()
	defer rcv.Close()
	load := func(vars map[string]string) config.Tracing {
		c, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
		if err != nil {
			t.Fatal(err)
		}
		return c.Tracing
	}
	log := slog.New(slog.DiscardHandler)
	for _, sampler := range []string{"always_off", "always_on"} {
		p, err := tracing.Setup(t.Context(), load(map[string]string{
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rcv.URL() + "/v1/traces", "OTEL_SERVICE_NAME": "shop-chat",
			"OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=k%201", "OTEL_TRACES_SAMPLER": sampler,
		}), log)
		if err != nil {
			t.Fatal(err)
		}
		_, span := p.Tracer().StartServer(context.Background(), "GET /health/live")
		span.End()
		if err := p.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	spans, _ := rcv.Wait(5*time.Second, func(s []tracingtest.Span) bool { return len(s) > 0 })
	if len(spans) != 1 {
		t.Fatalf("%d spans exported, want the always_on one only", len(spans))
	}
	if s := spans[0]; s.Name != "GET /health/live" || s.Kind != "server" || s.Resource["service.name"] != "shop-chat" || s.Scope != tracing.ScopeName {
		t.Errorf("exported %+v", s)
	}
	if got := rcv.Header().Get("X-Api-Key"); got != "k 1" {
		t.Errorf("export header x-api-key = %q, want %q", got, "k 1")
	}
	off, err := tracing.Setup(t.Context(), load(nil), log)
	if err != nil || off != nil || off.Tracer().On() {
		t.Errorf("no endpoint: provider %v, err %v; want none", off, err)
	}
}

// fakeStore fails its writes with err.
type fakeStore struct {
	store.Store
	err error
}

func (f fakeStore) AddMessage(context.Context, store.Message) (store.Message, bool, error) {
	return store.Message{}, false, f.err
}
