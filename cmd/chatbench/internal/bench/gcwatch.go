package bench

import (
	"runtime/metrics"
	"time"
)

// The scale test's tail latency is decided by chatproxy's garbage collector: while it marks,
// goroutines that allocate (new visitors' requests above all) are made to help, and wait. The
// split child reports its collections; the parent records them and tells how many slow first
// tokens waited across one, so every run says what its tail was.

// childStatsInterval is how often the child reports.
const childStatsInterval = 200 * time.Millisecond

// slowMargin: a first token later than the direct run's p99 by more than this is slow (the
// target for added first-token latency at p99).
const slowMargin = 50 * time.Millisecond

// gcMetrics reads the process's completed collections and the CPU its goroutines spent in mark
// assists. The runtime updates both as a collection's mark phase ends.
type gcMetrics struct{ samples []metrics.Sample }

func newGCMetrics() *gcMetrics {
	return &gcMetrics{samples: []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/cpu/classes/gc/mark/assist:cpu-seconds"},
	}}
}

func (g *gcMetrics) read() (cycles uint64, assistS float64) {
	metrics.Read(g.samples)
	if v := g.samples[0].Value; v.Kind() == metrics.KindUint64 {
		cycles = v.Uint64()
	}
	if v := g.samples[1].Value; v.Kind() == metrics.KindFloat64 {
		assistS = v.Float64()
	}
	return cycles, assistS
}

// gcPoint is the child's collection count and assist CPU as the parent read them. The first
// point is the baseline; every later one marks the end of at least one collection within the
// childStatsInterval before at.
type gcPoint struct {
	at      time.Time
	cycles  uint64
	assistS float64
}

// gcTimeline holds the points in the order read, one per change.
type gcTimeline []gcPoint

// add records a report when it differs from the last one.
func (tl gcTimeline) add(p gcPoint) gcTimeline {
	if n := len(tl); n > 0 && tl[n-1].cycles == p.cycles {
		return tl
	}
	return append(tl, p)
}

// during returns the collections that ended in [from, to] and their assist CPU.
func (tl gcTimeline) during(from, to time.Time) (cycles uint64, assistS float64) {
	var base, last *gcPoint
	for i := range tl {
		switch p := &tl[i]; {
		case p.at.Before(from):
			base = p
		case !p.at.After(to):
			last = p
		}
	}
	if base == nil || last == nil {
		return 0, 0
	}
	return last.cycles - base.cycles, last.assistS - base.assistS
}

// endedWithin reports whether a collection ended while a request waited, from sent to done.
func (tl gcTimeline) endedWithin(sent, done time.Time) bool {
	for _, p := range tl[min(1, len(tl)):] {
		if !p.at.Before(sent) && !p.at.Add(-childStatsInterval).After(done) {
			return true
		}
	}
	return false
}

// slowTail describes the first tokens later than a limit: how many, how many of them waited
// across the end of one of the child's collections, and when their messages were sent (by
// tenth of the ramp; later ones count in the last), which tells a collection's burst from a
// machine that got busier as streams opened.
type slowTail struct {
	slow, acrossGC int
	byArrival      [10]int
}

// slowFirstTokens finds the slow tail of a phase's successful samples.
func slowFirstTokens(samples []sample, errs []error, limit time.Duration, tl gcTimeline, start time.Time, ramp time.Duration) slowTail {
	var t slowTail
	for i, s := range samples {
		if errs[i] != nil || s.firstToken <= limit {
			continue
		}
		t.slow++
		if tl.endedWithin(s.sent, s.sent.Add(s.firstToken)) {
			t.acrossGC++
		}
		tenth := len(t.byArrival) - 1
		if ramp > 0 {
			tenth = min(tenth, max(0, int(10*s.sent.Sub(start)/ramp)))
		}
		t.byArrival[tenth]++
	}
	return t
}
