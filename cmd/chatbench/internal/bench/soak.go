package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
)

// SoakOptions describe a soak: a fixed rate of complete exchanges for a long time, watching
// whether memory, goroutines or file descriptors keep growing.
type SoakOptions struct {
	Engine      string
	Rate        int           // exchanges started per second (open loop)
	Duration    time.Duration // whole soak
	Chunks      int
	PostgresURL string
	RedisURL    string
	Sample      time.Duration // how often resources are sampled
	CPUProfile  string        // CPU profile of the whole soak ("" = none)
	Progress    io.Writer
}

// SoakSample is one reading of the whole process.
type SoakSample struct {
	At         time.Duration `json:"at"`
	HeapMB     float64       `json:"heap_mb"`
	Goroutines int           `json:"goroutines"`
	FDs        int           `json:"fds"`
	Exchanges  int64         `json:"exchanges"`
	Errors     int64         `json:"errors"`
}

// SoakReport is the outcome; Problems lists every reason the soak failed.
type SoakReport struct {
	Options  SoakOptions  `json:"-"`
	Samples  []SoakSample `json:"samples"`
	Problems []string     `json:"problems"`
}

// RunSoak runs the soak on one engine. Exchanges run open-loop at Rate; at most 4×Rate may be in
// flight (beyond that a start counts as an error: the proxy fell behind).
func RunSoak(ctx context.Context, o SoakOptions) (*SoakReport, error) {
	fake := startFake(ctx, o.Chunks, 0)
	defer fake.Close()
	p, err := startProxy(ctx, proxySpec{engine: o.Engine, pgAdminURL: o.PostgresURL, redisURL: o.RedisURL, fakeURL: fake.URL, maxUpstream: 4 * o.Rate})
	if err != nil {
		return nil, err
	}
	defer p.close()
	if o.CPUProfile != "" {
		stop, err := startCPUProfile(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	inflight := 4 * o.Rate
	pool := newVisitorPool(inflight, 64, p.url, fake.URL+webhookPath, n8ntest.StreamText(o.Chunks))
	defer pool.close()
	free := make(chan int, inflight)
	for i := range inflight {
		free <- i
	}
	var done, failed atomic.Int64
	var wg sync.WaitGroup
	rep := &SoakReport{Options: o}
	start := time.Now()
	tick := time.NewTicker(time.Second / time.Duration(o.Rate))
	defer tick.Stop()
	sample := time.NewTicker(o.Sample)
	defer sample.Stop()
	end := time.After(o.Duration)
	labelled(ctx, sideClient, func(ctx context.Context) {
		for {
			select {
			case <-ctx.Done():
				return
			case <-end:
				return
			case <-sample.C:
				s := readSample(time.Since(start), done.Load(), failed.Load())
				rep.Samples = append(rep.Samples, s)
				if o.Progress != nil {
					fmt.Fprintf(o.Progress, "%6.0fs  exchanges %d  errors %d  heap %.0f MB  goroutines %d  fds %d\n",
						s.At.Seconds(), s.Exchanges, s.Errors, s.HeapMB, s.Goroutines, s.FDs)
				}
			case <-tick.C:
				select {
				case i := <-free:
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := pool.visitor(i).exchange(ctx); err != nil {
							failed.Add(1)
						} else {
							done.Add(1)
						}
						free <- i
					}()
				default:
					failed.Add(1) // too many in flight: the proxy fell behind the rate
				}
			}
		}
	})
	wg.Wait()
	rep.Problems = soakProblems(rep.Samples, done.Load(), failed.Load())
	return rep, ctx.Err()
}

func readSample(at time.Duration, done, failed int64) SoakSample {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fds, _ := os.ReadDir("/proc/self/fd")
	return SoakSample{At: at, HeapMB: float64(m.HeapInuse) / (1 << 20), Goroutines: runtime.NumGoroutine(),
		FDs: len(fds), Exchanges: done, Errors: failed}
}

// soakProblems compares the second fifth of the run (after warm-up) with the last fifth: a
// resource that grew by more than both a relative and an absolute margin is a leak suspect.
func soakProblems(s []SoakSample, done, failed int64) []string {
	var out []string
	if failed > 0 {
		out = append(out, fmt.Sprintf("%d of %d exchanges failed", failed, done+failed))
	}
	if len(s) < 10 {
		return append(out, "too few samples to judge growth (run longer or sample more often)")
	}
	n := len(s) / 5
	early, late := s[n:2*n], s[len(s)-n:]
	avg := func(xs []SoakSample, f func(SoakSample) float64) float64 {
		t := 0.0
		for _, x := range xs {
			t += f(x)
		}
		return t / float64(len(xs))
	}
	checks := []struct {
		name     string
		f        func(SoakSample) float64
		rel, abs float64
	}{
		{"heap MB", func(x SoakSample) float64 { return x.HeapMB }, 0.25, 32},
		{"goroutines", func(x SoakSample) float64 { return float64(x.Goroutines) }, 0.20, 200},
		{"file descriptors", func(x SoakSample) float64 { return float64(x.FDs) }, 0.20, 64},
	}
	for _, c := range checks {
		a, b := avg(early, c.f), avg(late, c.f)
		if b-a > c.abs && b > a*(1+c.rel) {
			out = append(out, fmt.Sprintf("%s kept growing: %.0f → %.0f", c.name, a, b))
		}
	}
	return out
}

// WriteText prints the soak's verdict.
func (r *SoakReport) WriteText(w io.Writer) {
	if len(r.Samples) > 0 {
		last := r.Samples[len(r.Samples)-1]
		fmt.Fprintf(w, "soak %s: %d exchanges, %d errors in %s (target %d/s); heap %.0f MB, goroutines %d, fds %d at the end\n",
			r.Options.Engine, last.Exchanges, last.Errors, last.At.Round(time.Second), r.Options.Rate, last.HeapMB, last.Goroutines, last.FDs)
	}
	if len(r.Problems) == 0 {
		fmt.Fprintln(w, "PASS: no failed exchange; memory, goroutines and file descriptors flat")
		return
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, "FAIL:", p)
	}
}

// Failed reports whether the soak found a problem.
func (r *SoakReport) Failed() bool { return len(r.Problems) > 0 }
