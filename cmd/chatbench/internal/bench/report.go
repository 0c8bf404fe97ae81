package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// The issues' targets, printed next to the results (informational): the core issue's and the
// stricter ones of the reliability issue.
var (
	throughputTargets = []float64{1000, 1500} // exchanges/s, PostgreSQL, 50 visitors
	addedTargets      = []float64{1, 0.3}     // ms added first-token latency (p50), 1 visitor
)

// MaxErrorRate is the share of failed exchanges above which a run counts as failed.
const MaxErrorRate = 0.001

// TargetCheck is one target with its verdict: PASS, MISS or "not measured".
type TargetCheck struct {
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Verdict  string `json:"verdict"`
}

func checkTargets(rep *Report) []TargetCheck {
	var checks []TargetCheck
	for _, goal := range throughputTargets {
		tp := TargetCheck{Target: fmt.Sprintf("≥%s exchanges/s at 50 concurrent visitors with PostgreSQL (20-chunk answers)", thousands(goal)),
			Verdict: "not measured", Measured: "no PostgreSQL run at concurrency 50"}
		if r, ok := rep.find(EnginePostgres, 50); ok {
			tp.Measured = fmt.Sprintf("%.0f exchanges/s", r.PerSecond)
			if rep.Settings.Chunks != 20 {
				tp.Measured += fmt.Sprintf(" (with %d-chunk answers)", rep.Settings.Chunks)
			}
			tp.Verdict = verdict(r.PerSecond >= goal && r.ErrorRate() <= MaxErrorRate)
		}
		checks = append(checks, tp)
	}
	for _, goal := range addedTargets {
		target := fmt.Sprintf("≤%g ms added first-token latency (p50) at concurrency 1", goal)
		found := false
		for _, engine := range []string{EngineSQLite, EnginePostgres} {
			if r, ok := rep.find(engine, 1); ok {
				found = true
				measured := fmt.Sprintf("%+.3f ms", r.AddedFirstTokenP50ms)
				if f := r.StoreFloor; f != nil {
					measured += fmt.Sprintf(" (of which at least %.3f ms is one durable PostgreSQL insert, measured alone)", f.DurableInsertP50ms)
				}
				checks = append(checks, TargetCheck{Target: target + " (" + engine + ")",
					Measured: measured, Verdict: verdict(r.AddedFirstTokenP50ms <= goal)})
			}
		}
		if !found {
			checks = append(checks, TargetCheck{Target: target, Verdict: "not measured", Measured: "no run at concurrency 1"})
		}
	}
	return checks
}

// writeJSON writes a report as one indented JSON document.
func writeJSON(w io.Writer, rep any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// thousands writes 1500 as "1,500".
func thousands(v float64) string {
	n := int(v)
	if n < 1000 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d,%03d", n/1000, n%1000)
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func (rep *Report) find(target string, concurrency int) (Result, bool) {
	for _, r := range rep.Runs {
		if r.Target == target && r.Concurrency == concurrency {
			return r, true
		}
	}
	return Result{}, false
}

// Failed reports whether any run lost more than MaxErrorRate of its exchanges.
func (rep *Report) Failed() bool {
	return slices.ContainsFunc(rep.Runs, func(r Result) bool { return r.ErrorRate() > MaxErrorRate })
}

// WriteJSON writes the report as one indented JSON document.
func (rep *Report) WriteJSON(w io.Writer) error { return writeJSON(w, rep) }

// WriteText writes one table per concurrency (direct baseline first, then each engine), then
// the targets and any errors.
func (rep *Report) WriteText(w io.Writer) {
	s := rep.Settings
	fmt.Fprintf(w, "chatbench: %s\n", rep.Machine)
	fmt.Fprintf(w, "%d chunks per answer, %d messages per session, chunk delay %gms; rate limits and reply buffer in %s; encryption on; %gs warm-up + %gs per run\n",
		s.Chunks, s.PerSession, s.ChunkDelayMs, s.Limiter, s.WarmupS, s.DurationS)
	fmt.Fprintf(w, "tracing: %s", s.Tracing)
	if s.Tracing == "otlp-sink" {
		fmt.Fprintf(w, " (spans exported over OTLP/HTTP to a sink in this process: %d spans in %d exports, %.0f KB)", s.TraceSpans, s.TraceExports, s.TraceKB)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "first token: message sent → first item event (direct: request sent → first item line)")
	fmt.Fprintln(w, "total: session create (every messages-per-session exchanges) + message + stream to [DONE] (direct: request → EOF); latencies in ms")
	fmt.Fprintln(w, "added: proxy − direct at the same concurrency; cpu: process CPU-seconds per second (proxy + fake n8n + load generator), and per exchange")
	fmt.Fprintln(w, "db: CPU of the PostgreSQL backends serving this database and transactions, per exchange (SQLite is inside cpu)")
	fmt.Fprintln(w, "machine: cores busy machine-wide (PostgreSQL and other processes included)")
	fmt.Fprintln(w, "load: the machine's 1-minute load average at the end of the run (above the core count = other processes competed)")
	for _, c := range rep.concurrencies() {
		fmt.Fprintf(w, "\nconcurrency %d\n", c)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "target\texch/s\tfirst p50\tfirst p99\tadded p50\tadded p99\ttotal p50\ttotal p99\terrors\tcpu\tcpu ms/exch\tdb ms/exch\tdb tx/exch\tmachine\theap MB\tload\t")
		for _, r := range rep.Runs {
			if r.Concurrency == c {
				writeRow(tw, r)
			}
		}
		_ = tw.Flush()
	}
	rep.writeFloor(w)
	rep.writeEvents(w)
	fmt.Fprintln(w, "\ntargets (informational)")
	for _, t := range rep.Targets {
		fmt.Fprintf(w, "  %-12s %s: %s\n", t.Verdict, t.Target, t.Measured)
	}
	rep.writeRedis(w)
	rep.writeErrors(w)
}

func writeRow(tw io.Writer, r Result) {
	added := "\t\t"
	if r.Target != "direct" {
		added = fmt.Sprintf("%+.3f\t%+.3f\t", r.AddedFirstTokenP50ms, r.AddedFirstTokenP99ms)
	}
	errs := fmt.Sprint(r.Errors)
	if r.Errors > 0 {
		errs += fmt.Sprintf(" (%.2f%%)", 100*r.ErrorRate())
	}
	fmt.Fprintf(tw, "%s\t%.0f\t%.3f\t%.3f\t%s%.3f\t%.3f\t%s\t%.2f\t%.3f\t%s\t%.2f\t%.0f\t%.1f\t\n", r.Target, r.PerSecond,
		r.FirstToken.P50ms, r.FirstToken.P99ms, added, r.Total.P50ms, r.Total.P99ms, errs, r.CPUCores, r.CPUPerExchangeMs, dbColumns(r), r.MachineCores, r.HeapInuseMB, r.Load1)
}

func dbColumns(r Result) string {
	if r.DBXactsPerExchange == 0 {
		return "-\t-"
	}
	return fmt.Sprintf("%.3f\t%.1f", r.DBCPUPerExchangeMs, r.DBXactsPerExchange)
}

func (rep *Report) concurrencies() []int {
	var cs []int
	for _, r := range rep.Runs {
		if !slices.Contains(cs, r.Concurrency) {
			cs = append(cs, r.Concurrency)
		}
	}
	return cs
}

// writeFloor shows what PostgreSQL alone costs at concurrency 1 (see StoreFloor).
func (rep *Report) writeFloor(w io.Writer) {
	for _, r := range rep.Runs {
		if f := r.StoreFloor; f != nil {
			fmt.Fprintf(w, "\nPostgreSQL alone, concurrency 1, this database: round trip (SELECT 1) p50 %.3f ms; durable one-row INSERT p50 %.3f ms\n",
				f.RoundTripP50ms, f.DurableInsertP50ms)
			fmt.Fprintln(w, "(a message is committed before n8n is called, so the durable INSERT is part of every added first-token latency)")
		}
	}
}

// writeRedis lists, for -redis runs, what the Redis server spent per exchange.
func (rep *Report) writeRedis(w io.Writer) {
	for _, r := range rep.Runs {
		if r.RedisCommandsPerExchange > 0 {
			fmt.Fprintf(w, "redis %s c=%d: %.1f commands and %.3f ms server CPU per exchange\n",
				r.Target, r.Concurrency, r.RedisCommandsPerExchange, r.RedisCPUPerExchangeMs)
		}
	}
}

func (rep *Report) writeErrors(w io.Writer) {
	for _, r := range rep.Runs {
		if r.Errors == 0 {
			continue
		}
		kinds := make([]string, 0, len(r.ErrorKinds))
		for k, n := range r.ErrorKinds {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
		}
		slices.Sort(kinds)
		fmt.Fprintf(w, "errors %s c=%d: %s\n", r.Target, r.Concurrency, strings.Join(kinds, "; "))
	}
	if rep.Failed() {
		fmt.Fprintf(w, "FAILED: a run lost more than %.1f%% of its exchanges\n", 100*MaxErrorRate)
	}
}

// writeEvents prints the analytics ingest that ran next to each proxy run (-events-rate).
func (rep *Report) writeEvents(w io.Writer) {
	for _, r := range rep.Runs {
		if e := r.Events; e != nil {
			fmt.Fprintf(w, "\nanalytics ingest (%s, concurrency %d): %.0f events/s accepted, %d refused or failed, %d stored, %d dropped by the recorder\n",
				r.Target, r.Concurrency, e.AcceptedPerSecond, e.Failed, e.Stored, e.Dropped)
		}
	}
}
