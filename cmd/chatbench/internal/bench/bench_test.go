package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
)

// TestMain lets this test binary serve as the chatproxy child process of split runs, as the
// chatbench binary does.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == ChildFlag {
		if err := ServeChild(context.Background(), os.Args[2], os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString("child: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func postgresURL() string {
	if u := os.Getenv("CHATPROXY_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

func redisURL() string {
	if u := os.Getenv("CHATPROXY_TEST_REDIS_URL"); u != "" {
		return u
	}
	return DefaultRedisURL
}

func TestPercentileIsNearestRank(t *testing.T) {
	ds := make([]time.Duration, 200)
	for i := range ds {
		ds[len(ds)-1-i] = time.Duration(i+1) * time.Millisecond // 200 … 1, unsorted
	}
	s := summarize(ds)
	if s.N != 200 || s.P50ms != 100 || s.P99ms != 198 || s.MaxMs != 200 {
		t.Fatalf("summary %+v, want n=200 p50=100 p99=198 max=200", s)
	}
	if one := summarize([]time.Duration{3 * time.Millisecond}); one.P50ms != 3 || one.P99ms != 3 {
		t.Fatalf("single sample: %+v", one)
	}
	if empty := summarize(nil); empty.N != 0 {
		t.Fatalf("empty: %+v", empty)
	}
}

func sseBody(events ...string) string {
	var b strings.Builder
	b.WriteString("retry: 3000\n\n")
	for i, e := range events {
		b.WriteString("id: ep-" + string(rune('1'+i)) + "\ndata: " + e + "\n\n")
	}
	return b.String()
}

func TestReadSSEChecksTheAnswer(t *testing.T) {
	v := newVisitor(nil, "http://proxy", "", "x", "Hello!")
	item := func(s string) string { return `{"type":"item","content":"` + s + `","message_id":"m"}` }
	begin, end := `{"type":"begin","message_id":"m"}`, `{"type":"end","message_id":"m","status":"complete"}`
	cases := []struct {
		name string
		body string
		want error
	}{
		{"complete", sseBody(begin, item("Hel")) + ": ping\n\n" + sseBody(item("lo!"), end) + "data: [DONE]\n\n", nil},
		{"crlf", strings.ReplaceAll(sseBody(begin, item("Hello!"), end)+"data: [DONE]\n\n", "\n", "\r\n"), nil},
		{"other text", sseBody(begin, item("Hello?"), end) + "data: [DONE]\n\n", errMismatch},
		{"no done", sseBody(begin, item("Hello!"), end), errNoDone},
		{"partial", sseBody(begin, item("Hello!"), `{"type":"end","status":"partial"}`) + "data: [DONE]\n\n", errNotComplete},
		{"no item", sseBody(begin, end) + "data: [DONE]\n\n", errNoItem},
	}
	for _, c := range cases {
		_, err := v.readSSE(strings.NewReader(c.body), time.Now())
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
	_, err := v.readSSE(strings.NewReader(sseBody(begin, `{"type":"error","code":"upstream_timeout"}`)), time.Now())
	var se *streamError
	if !errors.As(err, &se) || se.code != "upstream_timeout" || errorKind(err) != "stream error upstream_timeout" {
		t.Fatalf("error event: %v", err)
	}
}

func TestDirectDetectsAWrongAnswer(t *testing.T) {
	ctx := context.Background()
	fake := startFake(ctx, 3, 0)
	defer fake.Close()
	client := newClient(1)
	good := newVisitor(client, "", fake.URL+webhookPath, "d", n8ntest.StreamText(3))
	s, err := good.direct(ctx)
	if err != nil || s.firstToken <= 0 || s.total < s.firstToken {
		t.Fatalf("direct call: %+v, %v", s, err)
	}
	bad := newVisitor(client, "", fake.URL+webhookPath, "d", n8ntest.StreamText(4))
	if _, err := bad.direct(ctx); !errors.Is(err, errMismatch) {
		t.Fatalf("a shorter answer must be an error, got %v", err)
	}
}

// TestRunDrivesBothEngines runs the real thing briefly: every exchange must succeed on both
// engines, with encryption on and rate limits in Redis.
func TestRunDrivesBothEngines(t *testing.T) {
	rep, err := Run(context.Background(), Options{
		Engines: []string{EngineSQLite, EnginePostgres}, Concurrency: []int{1, 4},
		Duration: 700 * time.Millisecond, Warmup: 100 * time.Millisecond, Chunks: 5, MessagesPerSession: 3,
		PostgresURL: postgresURL(), RedisURL: redisURL(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 6 {
		t.Fatalf("%d runs, want direct, sqlite and postgres at two concurrencies", len(rep.Runs))
	}
	for _, r := range rep.Runs {
		if r.Errors != 0 || r.Exchanges == 0 || r.FirstToken.N != r.Exchanges || r.Total.N != r.Exchanges {
			t.Errorf("%s c=%d: %d exchanges, %d errors %v, %d/%d samples", r.Target, r.Concurrency,
				r.Exchanges, r.Errors, r.ErrorKinds, r.FirstToken.N, r.Total.N)
		}
	}
	if rep.Failed() || rep.Settings.Limiter != "redis" || len(rep.Targets) != 6 {
		t.Fatalf("failed %v, limiter %q, targets %+v", rep.Failed(), rep.Settings.Limiter, rep.Targets)
	}
	checkStoreFloor(t, rep)
	var text bytes.Buffer
	rep.WriteText(&text)
	for _, want := range []string{"concurrency 4", "postgres", "not measured", "3 messages per session", "durable one-row INSERT p50", "tracing: off"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	var back Report
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil || json.Unmarshal(js.Bytes(), &back) != nil || len(back.Runs) != 6 {
		t.Fatalf("JSON report does not round-trip: %v\n%s", err, js.String())
	}
}

func TestRunStreamsHoldsEveryStream(t *testing.T) {
	rep, err := RunStreams(context.Background(), StreamsOptions{
		Options: Options{Engines: []string{EngineSQLite}, Chunks: 5, PostgresURL: postgresURL()},
		Streams: 30, Hold: 500 * time.Millisecond, Ramp: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Phases) != 2 || rep.Failed() {
		t.Fatalf("phases %+v", rep.Phases)
	}
	for _, ph := range rep.Phases {
		if ph.Completed != 30 || ph.Errors != 0 || ph.PeakOpen < 1 || ph.PeakGoroutines < 30 || ph.PeakRSSMB <= 0 {
			t.Errorf("%s: %+v", ph.Target, ph)
		}
	}
	if rep.FileLimit < 4*30 {
		t.Errorf("open-file limit %d", rep.FileLimit)
	}
}

// TestRunStreamsSplit runs chatproxy in a child process calling the fake over h2c, and reads
// the child's own memory and goroutines.
func TestRunStreamsSplit(t *testing.T) {
	rep, err := RunStreams(context.Background(), StreamsOptions{
		Options: Options{Engines: []string{EnginePostgres}, Chunks: 5, PostgresURL: postgresURL(),
			Settings: map[string]string{"GOMEMLIMIT": "512MiB"}},
		Streams: 40, Hold: time.Second, Ramp: 100 * time.Millisecond, Split: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Phases) != 2 || rep.Failed() {
		t.Fatalf("phases %+v", rep.Phases)
	}
	ph := rep.Phases[1]
	if ph.Completed != 40 || ph.ProxyPeakRSSMB <= ph.ProxyBaseRSSMB || ph.ProxyBaseRSSMB <= 0 ||
		ph.ProxyPeakGoroutines < 40 || ph.ProxyPeakHeapMB <= 0 {
		t.Fatalf("chatproxy process not measured: %+v", ph)
	}
	if d := rep.Phases[0]; d.ProxyPeakRSSMB != 0 || d.Completed != 40 {
		t.Errorf("direct phase %+v", d)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "chatproxy process on postgres (measured alone)") {
		t.Errorf("report:\n%s", text.String())
	}
}

func TestStartProxyFailsWithoutServices(t *testing.T) {
	ctx := context.Background()
	_, err := startProxy(ctx, proxySpec{engine: EnginePostgres, pgAdminURL: "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable"})
	if err == nil {
		t.Fatal("an unreachable PostgreSQL must stop the benchmark")
	}
	_, err = startProxy(ctx, proxySpec{engine: EngineSQLite, redisURL: "redis://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "redis") {
		t.Fatalf("an unreachable Redis must stop the benchmark, got %v", err)
	}
}

// checkStoreFloor: PostgreSQL's floor is measured once, on the run at concurrency 1, and a
// durable insert (a round trip plus a commit that waits for the disk) costs more than a round trip.
func checkStoreFloor(t *testing.T, rep *Report) {
	t.Helper()
	floors := 0
	for _, r := range rep.Runs {
		f := r.StoreFloor
		if f == nil {
			continue
		}
		floors++
		if r.Target != EnginePostgres || r.Concurrency != 1 {
			t.Errorf("floor measured on %s c=%d", r.Target, r.Concurrency)
		}
		if f.RoundTripP50ms <= 0 || f.DurableInsertP50ms <= f.RoundTripP50ms {
			t.Errorf("floor round trip %.3f ms, durable insert %.3f ms", f.RoundTripP50ms, f.DurableInsertP50ms)
		}
	}
	if floors != 1 {
		t.Errorf("%d floors measured, want 1", floors)
	}
}

// TestSplitOverH2CFollowsTheSetting: split runs call the fake over h2c unless -set turns it
// off, in which case each process needs a socket per call (the file limit is sized for it).
func TestSplitOverH2CFollowsTheSetting(t *testing.T) {
	cases := []struct {
		settings map[string]string
		want     bool
	}{
		{nil, true},
		{map[string]string{"CHATPROXY_UPSTREAM_H2C": "true"}, true},
		{map[string]string{"CHATPROXY_UPSTREAM_H2C": "1"}, true},
		{map[string]string{"CHATPROXY_UPSTREAM_H2C": "false"}, false},
		{map[string]string{"CHATPROXY_UPSTREAM_H2C": "0"}, false},
		{map[string]string{"LOG_LEVEL": "debug"}, true},
	}
	for _, c := range cases {
		if got := splitOverH2C(c.settings); got != c.want {
			t.Errorf("splitOverH2C(%v) = %v, want %v", c.settings, got, c.want)
		}
	}
}

// TestRunWithTracingExportsSpans: -otlp-sink runs the proxy with tracing on, and its sink
// receives the spans of every exchange (at least the 6 of a message's request each).
func TestRunWithTracingExportsSpans(t *testing.T) {
	rep, err := Run(context.Background(), Options{
		Engines: []string{EngineSQLite}, Concurrency: []int{2}, Duration: 500 * time.Millisecond,
		Warmup: 100 * time.Millisecond, Chunks: 3, MessagesPerSession: 2, OTLPSink: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Runs[len(rep.Runs)-1]
	if r.Errors != 0 || r.Exchanges == 0 || rep.Settings.Tracing != "otlp-sink" {
		t.Fatalf("%d exchanges, %d errors, tracing %q", r.Exchanges, r.Errors, rep.Settings.Tracing)
	}
	if rep.Settings.TraceSpans < 6*int64(r.Exchanges) || rep.Settings.TraceExports == 0 {
		t.Errorf("%d spans in %d exports for %d measured exchanges, want at least 6 each",
			rep.Settings.TraceSpans, rep.Settings.TraceExports, r.Exchanges)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "tracing: otlp-sink") {
		t.Errorf("the report does not say tracing was on:\n%s", text.String())
	}
}
