// Package bench drives chatproxy with visitor exchanges and measures it.
//
// It starts a fake n8n and a real chatproxy (wired by internal/app, served over loopback HTTP)
// in this process, drives complete visitor exchanges through it (session, message, SSE reply to
// [DONE], answer checked), calls the fake n8n directly at the same concurrency for the
// baseline, and reports throughput and latency. Only cmd/chatbench uses it.
package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/tracing/tracingtest"
)

// Storage engines, and the services used when no other is named.
const (
	EngineSQLite       = "sqlite"
	EnginePostgres     = "postgres"
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	DefaultRedisURL    = "redis://127.0.0.1:6379"
)

// defaultUpstreamCap is chatproxy's default CHATPROXY_UPSTREAM_MAX_CONCURRENT.
var defaultUpstreamCap = config.Default().Upstream.MaxConcurrent

// Options are one benchmark invocation.
type Options struct {
	Engines     []string      // EngineSQLite and/or EnginePostgres
	Concurrency []int         // visitors in flight, one run each
	Duration    time.Duration // measured window per run
	Warmup      time.Duration // unmeasured lead-in per run
	Chunks      int           // items per answer
	// MessagesPerSession is how many exchanges a visitor makes in one conversation before it
	// starts a new session (1 = a new session for every exchange; <= 0 means 1).
	MessagesPerSession int
	ChunkDelay         time.Duration    // the fake n8n's pause before each item
	RedisURL           string           // REDIS_URL: rate limits and reply buffer in Redis; "" = in memory
	PostgresURL        string           // admin URL; a fresh database is created and dropped
	CPUProfile         string           // CPU profile of each proxy run's window ("" = none)
	MemProfile         string           // heap profile as each proxy run's window closes ("" = none)
	Progress           func(msg string) // optional progress lines (stderr)
	// Settings are extra chatproxy settings (environment names) for the proxy under test.
	Settings map[string]string
	// OTLPSink turns tracing on: spans go over OTLP/HTTP to a sink in this process that reads
	// and counts them (OTEL_EXPORTER_OTLP_ENDPOINT is set to it).
	OTLPSink bool
	// EventsRate: analytics events per second posted to POST /api/v1/events during each
	// proxy run (0 = none), to measure ingest next to the chat.
	EventsRate int
}

func (o Options) progress(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// Report is everything measured, ready to print.
type Report struct {
	Machine  Machine       `json:"machine"`
	Settings Settings      `json:"settings"`
	Runs     []Result      `json:"runs"`
	Targets  []TargetCheck `json:"targets"`
}

// Settings echo the options that shape the numbers.
type Settings struct {
	Chunks       int     `json:"chunks"`
	PerSession   int     `json:"messages_per_session"`
	ChunkDelayMs float64 `json:"chunk_delay_ms"`
	WarmupS      float64 `json:"warmup_s"`
	DurationS    float64 `json:"duration_s"`
	Limiter      string  `json:"limiter"`
	Encryption   bool    `json:"encryption"`
	// Tracing is "off", "otlp-sink" (-otlp-sink) or "otlp" (an endpoint given with -set).
	Tracing string `json:"tracing"`
	// TraceExports, TraceSpans and TraceKB count what the sink received (with -otlp-sink).
	TraceExports int64   `json:"trace_exports,omitempty"`
	TraceSpans   int64   `json:"trace_spans,omitempty"`
	TraceKB      float64 `json:"trace_kb,omitempty"`
}

// Run measures the direct baseline at every concurrency, then chatproxy on every engine.
func Run(ctx context.Context, o Options) (*Report, error) {
	fake := startFake(ctx, o.Chunks, o.ChunkDelay)
	defer fake.Close()
	var sink *tracingtest.Receiver
	if o.OTLPSink {
		sink = tracingtest.NewSink()
		defer sink.Close()
		o.Settings = maps.Clone(o.Settings)
		if o.Settings == nil {
			o.Settings = map[string]string{}
		}
		o.Settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.URL()
	}
	b := &exchangeBench{o: o, fakeURL: fake.URL, webhook: fake.URL + webhookPath, want: n8ntest.StreamText(o.Chunks),
		direct: map[int]Result{}}
	multi := len(o.Engines)*len(o.Concurrency) > 1
	b.cpuProf, b.heapProf = &profiler{path: o.CPUProfile, multi: multi}, &profiler{path: o.MemProfile, multi: multi}
	rep := &Report{Machine: thisMachine(), Settings: settingsOf(o)}
	for _, c := range o.Concurrency {
		o.progress("direct n8n, %d concurrent, %s", c, o.Duration)
		r := runLoad(ctx, loadSpec{
			target: "direct", concurrency: c, warmup: o.Warmup, duration: o.Duration,
			visitors: newVisitorPool(c, c, "", b.webhook, b.want),
			do:       (*visitor).direct,
		})
		b.direct[c] = r
		rep.Runs = append(rep.Runs, r)
	}
	for _, engine := range o.Engines {
		runs, err := b.engine(ctx, engine)
		if err != nil {
			return nil, err
		}
		rep.Runs = append(rep.Runs, runs...)
	}
	if err := cmp.Or(b.cpuProf.err, b.heapProf.err); err != nil {
		return nil, err
	}
	if sink != nil { // every proxy has shut down, flushing its spans
		rep.Settings.TraceExports, rep.Settings.TraceSpans, rep.Settings.TraceKB = sink.Requests(), sink.Count(), float64(sink.Bytes())/1024
	}
	rep.Targets = checkTargets(rep)
	return rep, nil
}

// exchangeBench is what the runs of one Run share.
type exchangeBench struct {
	o                 Options
	fakeURL, webhook  string
	want              string
	direct            map[int]Result // baseline per concurrency
	cpuProf, heapProf *profiler
}

// engine starts chatproxy on one engine and measures it at every concurrency.
func (b *exchangeBench) engine(ctx context.Context, engine string) ([]Result, error) {
	o := b.o
	p, err := startProxy(ctx, proxySpec{
		engine: engine, pgAdminURL: o.PostgresURL, redisURL: o.RedisURL, fakeURL: b.fakeURL,
		maxUpstream: upstreamCap(o.Concurrency), settings: o.Settings,
	})
	if err != nil {
		return nil, fmt.Errorf("start chatproxy (%s): %w", engine, err)
	}
	defer p.close()
	var runs []Result
	for _, c := range o.Concurrency {
		o.progress("chatproxy %s, %d concurrent, %s", engine, c, o.Duration)
		events := startEvents(ctx, p.url, o.EventsRate)
		r := runLoad(ctx, loadSpec{
			target: engine, concurrency: c, warmup: o.Warmup, duration: o.Duration,
			visitors:   newVisitorPool(c, c, p.url, b.webhook, b.want).conversations(o.MessagesPerSession),
			do:         (*visitor).exchange,
			window:     b.cpuProf.window(engine, c),
			windowEnd:  b.heapProf.heapSnapshot(engine, c),
			dbUsage:    p.dbUsage,
			redisUsage: p.redisUsage,
		})
		r.Events = events.finish(ctx, p)
		r.AddedFirstTokenP50ms = r.FirstToken.P50ms - b.direct[c].FirstToken.P50ms
		r.AddedFirstTokenP99ms = r.FirstToken.P99ms - b.direct[c].FirstToken.P99ms
		if c == 1 && p.dbURL != "" {
			o.progress("PostgreSQL floor: round trip and durable insert, %d each", floorSamples)
			floor, err := measureFloor(ctx, p.dbURL)
			if err != nil {
				return nil, err
			}
			r.StoreFloor = &floor
		}
		runs = append(runs, r)
	}
	return runs, ctx.Err()
}

// upstreamCap keeps chatproxy's per-site cap on n8n calls out of the way of the largest run.
func upstreamCap(concurrency []int) int {
	top := 0
	for _, c := range concurrency {
		top = max(top, c)
	}
	if top < defaultUpstreamCap {
		return 0
	}
	return top + 16
}

func thisMachine() Machine {
	return Machine{CPUs: runtime.NumCPU(), CPUModel: cpuModel(), GoVersion: runtime.Version()}
}

func settingsOf(o Options) Settings {
	limiter := "memory"
	if o.RedisURL != "" {
		limiter = "redis" // REDIS_URL moves the reply buffer to Redis Streams too
	}
	tracing := "off"
	switch {
	case o.OTLPSink:
		tracing = "otlp-sink"
	case o.Settings["OTEL_EXPORTER_OTLP_ENDPOINT"] != "" || o.Settings["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != "":
		tracing = "otlp"
	}
	return Settings{
		Chunks: o.Chunks, PerSession: max(o.MessagesPerSession, 1), ChunkDelayMs: ms(o.ChunkDelay), WarmupS: o.Warmup.Seconds(),
		DurationS: o.Duration.Seconds(), Limiter: limiter, Encryption: true, Tracing: tracing,
	}
}

// profiler records a CPU profile of each proxy run's measured window. With several runs each
// gets its own file: cpu.out becomes cpu-postgres-c50.out.
type profiler struct {
	path  string
	multi bool
	stop  func() // ends the CPU profile being written
	err   error
}

func (p *profiler) window(engine string, c int) func(bool) {
	if p.path == "" {
		return nil
	}
	path := p.pathFor(engine, c)
	return func(open bool) {
		if !open {
			if p.stop != nil {
				p.stop()
				p.stop = nil
			}
			return
		}
		stop, err := startCPUProfile(path)
		p.keep(err)
		p.stop = stop
	}
}

// heapSnapshot returns a function writing a heap profile, or nil. The profile holds what is
// live after a GC (inuse_space) and every allocation since the start (alloc_space).
func (p *profiler) heapSnapshot(engine string, c int) func() {
	if p.path == "" {
		return nil
	}
	path := p.pathFor(engine, c)
	return func() { p.keep(writeHeapProfile(path)) }
}

func (p *profiler) pathFor(engine string, c int) string {
	if !p.multi {
		return p.path
	}
	ext := filepath.Ext(p.path)
	return fmt.Sprintf("%s-%s-c%d%s", strings.TrimSuffix(p.path, ext), engine, c, ext)
}

func (p *profiler) keep(err error) {
	if p.err == nil && err != nil {
		p.err = err
	}
}

// startCPUProfile writes this process's CPU profile to path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

// writeHeapProfile writes what is live after a GC, and every allocation so far, to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	return errors.Join(pprof.WriteHeapProfile(f), f.Close())
}

// writeGoroutines writes a summary of this process's goroutines (grouped by stack) to path.
func writeGoroutines(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	return errors.Join(pprof.Lookup("goroutine").WriteTo(f, 1), f.Close())
}
