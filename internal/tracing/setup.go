package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/chatproxy/chatproxy/internal/config"
)

// DefaultServiceName is service.name unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES
// names another.
const DefaultServiceName = "chatproxy"

// Provider is a running tracer provider; nil when tracing is off (its methods allow that).
type Provider struct {
	tp *sdktrace.TracerProvider
}

// Setup starts the tracer provider with a batching OTLP/HTTP exporter, or returns nil when
// c has no endpoint. Export failures are logged (at most one line per exportLogEvery), never
// returned to callers: a collector that is away costs spans, not requests.
func Setup(ctx context.Context, c config.Tracing, log *slog.Logger) (*Provider, error) {
	if !c.Enabled() {
		return nil, nil
	}
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(c.Endpoint)}
	if len(c.Headers) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(c.Headers))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := newResource(ctx, c.ServiceName)
	if err != nil {
		return nil, err
	}
	otel.SetErrorHandler(exportErrorLogger(log))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sampler(c.Sampler, c.SamplerArg)),
	)
	return &Provider{tp: tp}, nil
}

// Tracer returns chatproxy's tracer (off when p is nil).
func (p *Provider) Tracer() Tracer {
	if p == nil {
		return Tracer{}
	}
	return NewTracer(p.tp.Tracer(ScopeName))
}

// Shutdown sends the spans still queued and stops the exporter.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	return p.tp.Shutdown(ctx)
}

// newResource describes this process: service.name (chatproxy by default, then what
// OTEL_RESOURCE_ATTRIBUTES says, then OTEL_SERVICE_NAME as config read it) and the SDK.
func newResource(ctx context.Context, serviceName string) (*resource.Resource, error) {
	opts := []resource.Option{
		resource.WithAttributes(semconv.ServiceName(DefaultServiceName)),
		resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithSchemaURL(semconv.SchemaURL),
	}
	if serviceName != "" {
		opts = append(opts, resource.WithAttributes(semconv.ServiceName(serviceName)))
	}
	res, err := resource.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	return res, nil
}

// sampler maps OTEL_TRACES_SAMPLER (checked by config) to the SDK's sampler.
func sampler(name string, ratio float64) sdktrace.Sampler {
	switch name {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio)
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
	}
	return sdktrace.ParentBased(sdktrace.AlwaysSample())
}

// exportLogEvery spaces the log lines of a collector that keeps failing.
const exportLogEvery = 30 * time.Second

// exportErrorLogger logs the SDK's errors (failed exports, mostly), one line per
// exportLogEvery with the count of those left out.
func exportErrorLogger(log *slog.Logger) otel.ErrorHandlerFunc {
	var mu sync.Mutex
	var last time.Time
	skipped := 0
	return func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if now := time.Now(); now.Sub(last) >= exportLogEvery {
			log.Warn("tracing: spans could not be exported", "err", err, "errors_since_last_line", skipped)
			last, skipped = now, 0
			return
		}
		skipped++
	}
}
