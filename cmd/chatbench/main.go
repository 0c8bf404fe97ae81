// Command chatbench is chatproxy's load generator and benchmark (`make bench`).
//
// It runs a fake n8n and a real chatproxy in this process and measures exchanges per second and
// latencies; see docs/benchmarks.md. This file parses flags only: the work is in
// cmd/chatbench/internal/bench.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chatproxy/chatproxy/cmd/chatbench/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var code int
	if len(os.Args) == 3 && os.Args[1] == bench.ChildFlag { // chatproxy alone, for -streams -split
		if err := bench.ServeChild(ctx, os.Args[2], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "chatbench child:", err)
			code = 1
		}
	} else {
		code = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chatbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	engine := fs.String("engine", "both", "storage engine: sqlite, postgres or both")
	conc := fs.String("c", "1,50", "comma-separated concurrency levels (visitors in flight)")
	o := bench.Options{}
	fs.DurationVar(&o.Duration, "d", 10*time.Second, "measured duration per run")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "unmeasured warm-up per run")
	fs.IntVar(&o.Chunks, "chunks", 20, "items per answer (streams mode: 200 unless set)")
	fs.IntVar(&o.MessagesPerSession, "per-session", 5, "exchanges per conversation: a visitor makes a new session every N messages (1 = a session per exchange)")
	fs.DurationVar(&o.ChunkDelay, "chunk-delay", 0, "fake n8n pause before each item (streams mode: hold/chunks)")
	redis := fs.Bool("redis", false, "REDIS_URL="+bench.DefaultRedisURL+": rate limits and reply buffer in Redis instead of in memory")
	fs.StringVar(&o.PostgresURL, "pg-url", bench.DefaultPostgresURL, "PostgreSQL admin URL; a fresh database is created next to it (same parameters, e.g. pool_max_conns) and dropped")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of each chatproxy run's measured window")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write a heap profile as each chatproxy run's window closes (streams mode: midway)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.IntVar(&o.EventsRate, "events-rate", 0, "analytics events per second posted to POST /api/v1/events (batches of 50) during each chatproxy run")
	fs.BoolVar(&o.OTLPSink, "otlp-sink", false, "tracing on: spans go over OTLP/HTTP to a sink in this process (sets OTEL_EXPORTER_OTLP_ENDPOINT)")
	o.Settings = map[string]string{}
	fs.Func("set", "NAME=VALUE: a chatproxy setting for the proxy under test (repeatable), e.g. -set CHATPROXY_STREAM_WRITE_DELAY=0", func(v string) error {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return errors.New("want NAME=VALUE")
		}
		o.Settings[name] = value
		return nil
	})
	streams := fs.Int("streams", 0, "scale test: this many concurrent long streams instead of the exchange runs")
	hold := fs.Duration("hold", 20*time.Second, "streams mode: how long each answer streams")
	ramp := fs.Duration("ramp", 10*time.Second, "streams mode: visitors start spread over this time")
	split := fs.Bool("split", false, "streams mode: chatproxy in a process of its own (measured alone), calling the fake n8n over h2c")
	soak := fs.Duration("soak", 0, "soak mode: run this long at -rate exchanges/s and fail if memory, goroutines or fds keep growing")
	rate := fs.Int("rate", 300, "soak mode: exchanges started per second")
	dashEvents := fs.Int("dashboard", 0, "dashboard mode: seed this many events over -days days in PostgreSQL, then time every dashboard query for the whole range")
	dashDays := fs.Int("days", 90, "dashboard mode: days the events are spread over (the queries' range)")
	dashRepeats := fs.Int("repeats", 50, "dashboard mode: times each query is timed")
	rollingN := fs.Int("rolling", 0, "rolling restart: this many visitors streaming from one of two replicas (PostgreSQL + Redis) when it is stopped; -hold is the answer length")
	fillN := fs.Int("fill-conversations", 0, "fill the database of DATABASE_URL (or the data dir) with this many conversations through the store's write path, with the server's CHATPROXY_ENCRYPTION_KEYS, then exit")
	fillSites := fs.Int("fill-sites", 10, "fill mode: spread over this many sites (fill-00, …)")
	fillDays := fs.Int("fill-days", 30, "fill mode: conversations start over the last N days")
	fillWorkers := fs.Int("fill-workers", 16, "fill mode: concurrent writers")
	var co bench.ConsoleOptions
	fs.StringVar(&co.URL, "console-url", "", "console mode: measure the conversation list, transcripts and export of the chatproxy console at this URL (e.g. http://127.0.0.1:8081)")
	fs.StringVar(&co.Token, "console-token", os.Getenv("CHATBENCH_CONSOLE_TOKEN"), "console mode: an API token of an account reading every site (default $CHATBENCH_CONSOLE_TOKEN)")
	fs.StringVar(&co.Site, "console-site", bench.FillSiteID(0), "console mode: the site of the list and transcript runs")
	fs.IntVar(&co.Requests, "console-n", 200, "console mode: requests per run")
	fs.IntVar(&co.PID, "console-pid", 0, "console mode: chatproxy's process id, to sample its memory during the export")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if co.URL != "" {
		rep, err := bench.RunConsole(ctx, co)
		return finish(failNever{rep}, err, *asJSON, stdout, stderr)
	}
	if *fillN > 0 {
		return runFill(ctx, bench.FillOptions{Conversations: *fillN, Sites: *fillSites, Days: *fillDays, Workers: *fillWorkers}, stdout, stderr)
	}
	var err error
	if o.Engines, err = parseEngines(*engine); err == nil {
		o.Concurrency, err = parseInts(*conc)
	}
	if err == nil && (o.Duration <= 0 || o.Warmup < 0 || o.Chunks < 1 || o.MessagesPerSession < 1) {
		err = errors.New("-d must be positive, -warmup not negative, -chunks and -per-session at least 1")
	}
	if err != nil {
		fmt.Fprintln(stderr, "chatbench:", err)
		return 2
	}
	if *redis {
		o.RedisURL = bench.DefaultRedisURL
	}
	o.Progress = func(msg string) { fmt.Fprintln(stderr, "chatbench:", msg) }
	if *soak > 0 {
		return runSoak(ctx, bench.SoakOptions{Engine: o.Engines[len(o.Engines)-1], Rate: *rate, Duration: *soak, Chunks: o.Chunks,
			PostgresURL: o.PostgresURL, RedisURL: o.RedisURL, Sample: max(*soak/120, time.Second), Progress: stderr,
			CPUProfile: o.CPUProfile}, stdout, stderr)
	}
	if *dashEvents > 0 {
		rep, err := bench.RunDashboard(ctx, bench.DashboardOptions{PostgresURL: o.PostgresURL, Events: *dashEvents, Days: *dashDays,
			Repeats: *dashRepeats, Progress: o.Progress})
		return finish(rep, err, *asJSON, stdout, stderr)
	}
	if *rollingN > 0 {
		o.RedisURL = bench.DefaultRedisURL
		rep, err := bench.RunRolling(ctx, bench.RollingOptions{Options: o, Streams: *rollingN, Hold: *hold})
		return finish(rep, err, *asJSON, stdout, stderr)
	}
	if *streams > 0 {
		chunksSet := false
		fs.Visit(func(f *flag.Flag) { chunksSet = chunksSet || f.Name == "chunks" })
		if !chunksSet {
			o.Chunks = 200
		}
		return runStreams(ctx, bench.StreamsOptions{Options: o, Streams: *streams, Hold: *hold, Ramp: *ramp, Split: *split}, *asJSON, stdout, stderr)
	}
	rep, err := bench.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "chatbench:", err)
		return 1
	}
	if err := output(rep, *asJSON, stdout); err != nil {
		fmt.Fprintln(stderr, "chatbench:", err)
		return 1
	}
	if rep.Failed() {
		return 1
	}
	return 0
}

func runStreams(ctx context.Context, o bench.StreamsOptions, asJSON bool, stdout, stderr io.Writer) int {
	rep, err := bench.RunStreams(ctx, o)
	return finish(rep, err, asJSON, stdout, stderr)
}

// finish prints a report and turns it into the exit status.
func finish[R interface {
	report
	Failed() bool
}](rep R, err error, asJSON bool, stdout, stderr io.Writer) int {
	if err != nil {
		fmt.Fprintln(stderr, "chatbench:", err)
		return 1
	}
	if err := output(rep, asJSON, stdout); err != nil {
		fmt.Fprintln(stderr, "chatbench:", err)
		return 1
	}
	if rep.Failed() {
		return 1
	}
	return 0
}

func runSoak(ctx context.Context, o bench.SoakOptions, stdout, stderr io.Writer) int {
	if o.Rate < 1 {
		fmt.Fprintln(stderr, "chatbench: -rate must be at least 1")
		return 2
	}
	rep, err := bench.RunSoak(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "chatbench:", err)
		return 1
	}
	rep.WriteText(stdout)
	if rep.Failed() {
		return 1
	}
	return 0
}

type report interface {
	WriteJSON(io.Writer) error
	WriteText(io.Writer)
}

func output(rep report, asJSON bool, w io.Writer) error {
	if asJSON {
		return rep.WriteJSON(w)
	}
	rep.WriteText(w)
	return nil
}

func parseEngines(s string) ([]string, error) {
	switch s {
	case "both":
		return []string{bench.EngineSQLite, bench.EnginePostgres}, nil
	case bench.EngineSQLite, bench.EnginePostgres:
		return []string{s}, nil
	}
	return nil, fmt.Errorf("-engine must be sqlite, postgres or both, not %q", s)
}

func parseInts(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-c wants positive whole numbers separated by commas, not %q", s)
		}
		out = append(out, n)
	}
	return out, nil
}
