package bench

import (
	"bufio"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestGCMetricsCountCollections(t *testing.T) {
	g := newGCMetrics()
	before, _ := g.read()
	runtime.GC()
	after, assist := g.read()
	if after < before+1 || assist < 0 {
		t.Fatalf("cycles %d → %d after runtime.GC, assist %v s: want at least one more", before, after, assist)
	}
}

func TestGCTimelineAttributesSlowFirstTokens(t *testing.T) {
	t0 := time.Unix(1_000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var tl gcTimeline
	for _, p := range []gcPoint{
		{at(0), 10, 1.0},    // baseline
		{at(200), 10, 1.0},  // no change: not kept
		{at(1000), 11, 1.5}, // a collection ended in (800, 1000] ms
		{at(5000), 13, 3.0}, // two more in (4800, 5000]
	} {
		tl = tl.add(p)
	}
	if len(tl) != 3 {
		t.Fatalf("timeline keeps %d points, want 3 (unchanged reports dropped): %v", len(tl), tl)
	}
	if c, a := tl.during(at(100), at(6000)); c != 3 || a != 2.0 {
		t.Errorf("during the whole run: %d cycles, %v s assists; want 3, 2", c, a)
	}
	if c, a := tl.during(at(100), at(2000)); c != 1 || a != 0.5 {
		t.Errorf("during the first 2 s: %d cycles, %v s assists; want 1, 0.5", c, a)
	}
	if c, _ := tl.during(at(1500), at(4000)); c != 0 {
		t.Errorf("between collections: %d cycles, want 0", c)
	}

	limit := 100 * time.Millisecond
	samples := []sample{
		{sent: at(700), firstToken: 300 * time.Millisecond},  // slow, waited across the end at ≤ 1000
		{sent: at(2000), firstToken: 300 * time.Millisecond}, // slow, no collection then
		{sent: at(4900), firstToken: 50 * time.Millisecond},  // fast
		{sent: at(4700), firstToken: 150 * time.Millisecond}, // slow, ends 4850: within the 200 ms before 5000
		{sent: at(900), firstToken: time.Second},             // failed: not counted
		{sent: at(0), firstToken: 200 * time.Millisecond},    // slow; the baseline is no collection
	}
	errs := make([]error, len(samples))
	errs[4] = errors.New("lost")
	tail := slowFirstTokens(samples, errs, limit, tl, at(0), 5*time.Second)
	if tail.slow != 4 || tail.acrossGC != 2 {
		t.Errorf("slow %d, across a collection %d; want 4, 2", tail.slow, tail.acrossGC)
	}
	// sent at 0.7 s, 2 s, 4.7 s and 0 s of a 5 s ramp: tenths 1, 4, 9 and 0
	if want := [10]int{1, 1, 0, 0, 1, 0, 0, 0, 0, 1}; tail.byArrival != want {
		t.Errorf("slow by tenth of the ramp %v, want %v", tail.byArrival, want)
	}
}

// TestChildStatsReadGCReports feeds the parent the lines a child writes.
func TestChildStatsReadGCReports(t *testing.T) {
	cs := &childStats{}
	cs.follow(bufio.NewScanner(strings.NewReader(
		"stats 40 12.5 3.0 7 0.125\nstats 41 12.6 3.0 7 0.125\nnoise\nstats 90 30.0 6.5 9 0.500\n")))
	g, heap, stack := cs.read()
	if g != 90 || heap != 30.0 || stack != 6.5 {
		t.Errorf("last sample: %d goroutines, heap %v, stacks %v; want 90, 30, 6.5", g, heap, stack)
	}
	tl := cs.collections()
	if len(tl) != 2 || tl[0].cycles != 7 || tl[1].cycles != 9 || tl[1].assistS != 0.5 {
		t.Errorf("collections %+v: want the baseline (7 cycles) and one change (9 cycles, 0.5 s)", tl)
	}
}
