package bench

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
)

// visitorsPerTransport spreads the streams mode's connections over several client transports.
const visitorsPerTransport = 500

// Every stream holds four sockets in this process: the visitor's, chatproxy's two (visitor side
// and n8n side) and the fake n8n's. fileMargin covers listeners, database connections and files.
const (
	filesPerStream = 4
	fileMargin     = 1024
)

// StreamsOptions are the scale test: Streams visitors, each with one answer streamed over Hold.
type StreamsOptions struct {
	Options
	Streams int
	Hold    time.Duration // Chunks items spread over this (the fake pauses Hold/Chunks per item)
	Ramp    time.Duration // visitors start evenly spread over this
	// Split runs chatproxy in a process of its own (measured alone, exactly) and calls the fake
	// n8n over HTTP/2 without TLS (CHATPROXY_UPSTREAM_H2C, unless Settings turn it off): each
	// process then holds about one socket per stream, which is what lets 10,000 streams fit a
	// 20,000 open-file limit.
	Split bool
}

// StreamsReport is the scale test's outcome: the direct baseline, then chatproxy per engine.
type StreamsReport struct {
	Machine      Machine        `json:"machine"`
	Streams      int            `json:"streams"`
	Chunks       int            `json:"chunks"`
	ChunkDelayMs float64        `json:"chunk_delay_ms"`
	RampS        float64        `json:"ramp_s"`
	Limiter      string         `json:"limiter"`
	FileLimit    uint64         `json:"file_limit"`
	Phases       []StreamsPhase `json:"phases"`
}

// StreamsPhase is one target's streams. Memory and goroutines are the whole process (load
// generator, fake n8n and, in proxy phases, chatproxy), sampled every 200 ms.
type StreamsPhase struct {
	Target               string         `json:"target"`
	Completed            int            `json:"completed"`
	Errors               int            `json:"errors"`
	ErrorKinds           map[string]int `json:"error_kinds,omitempty"`
	PeakOpen             int64          `json:"peak_open"`
	Headers              Summary        `json:"headers"` // message sent → response headers
	FirstToken           Summary        `json:"first_token"`
	Total                Summary        `json:"total"`
	AddedFirstTokenP50ms float64        `json:"added_first_token_p50_ms"`
	AddedFirstTokenP99ms float64        `json:"added_first_token_p99_ms"`
	BaseRSSMB            float64        `json:"base_rss_mb"`
	PeakRSSMB            float64        `json:"peak_rss_mb"`
	PeakHeapInuseMB      float64        `json:"peak_heap_inuse_mb"`
	PeakStackInuseMB     float64        `json:"peak_stack_inuse_mb"`
	PeakGoroutines       int            `json:"peak_goroutines"`
	BaseGoroutines       int            `json:"base_goroutines"`
	CPUCores             float64        `json:"cpu_cores"`
	Seconds              float64        `json:"seconds"`
	Load1                float64        `json:"load_1m"`
	// Proxy* describe the chatproxy process alone (split mode only).
	ProxyBaseRSSMB      float64 `json:"proxy_base_rss_mb,omitempty"`
	ProxyPeakRSSMB      float64 `json:"proxy_peak_rss_mb,omitempty"`
	ProxyPeakHeapMB     float64 `json:"proxy_peak_heap_inuse_mb,omitempty"`
	ProxyPeakStackMB    float64 `json:"proxy_peak_stack_inuse_mb,omitempty"`
	ProxyBaseGoroutines int     `json:"proxy_base_goroutines,omitempty"`
	ProxyPeakGoroutines int     `json:"proxy_peak_goroutines,omitempty"`
	// The chatproxy process's collections that ended while visitors arrived (the ramp), the CPU
	// its mark assists took, and the first tokens later than the direct run's p99 + 50 ms, with
	// how many of those waited across the end of one of its collections (split mode only).
	ProxyGCCyclesArriving  uint64  `json:"proxy_gc_cycles_arriving,omitempty"`
	ProxyGCAssistSArriving float64 `json:"proxy_gc_assist_cpu_s_arriving,omitempty"`
	SlowFirstTokens        int     `json:"slow_first_tokens,omitempty"`
	SlowAcrossProxyGC      int     `json:"slow_first_tokens_across_proxy_gc,omitempty"`
	SlowByArrivalTenth     []int   `json:"slow_first_tokens_by_arrival_tenth,omitempty"`
	ProxyCPUCores          float64 `json:"proxy_cpu_cores,omitempty"` // the chatproxy process's CPU over the phase
	MachineCores           float64 `json:"machine_cores"`             // cores busy machine-wide over the phase
}

// RunStreams runs Streams long answers straight from the fake n8n, then through chatproxy on
// each engine, sampling the process's memory and goroutines.
func RunStreams(ctx context.Context, o StreamsOptions) (*StreamsReport, error) {
	if o.Streams < 1 || o.Chunks < 1 {
		return nil, fmt.Errorf("streams and chunks must be at least 1")
	}
	delay := cmp.Or(o.ChunkDelay, o.Hold/time.Duration(o.Chunks))
	perStream, fakeOpts := filesPerStream, []n8ntest.Option(nil)
	h2c := o.Split && splitOverH2C(o.Settings)
	if o.Split {
		// The fake serves h2c either way; over HTTP/1.1 this process also holds the fake's end
		// of every call.
		perStream, fakeOpts = 2, []n8ntest.Option{n8ntest.WithH2C()}
		if h2c {
			perStream = 1
		}
	}
	limit, err := fileLimitFor(o.Streams, perStream)
	if err != nil {
		return nil, err
	}
	rep := &StreamsReport{Machine: thisMachine(), Streams: o.Streams, Chunks: o.Chunks, ChunkDelayMs: ms(delay),
		RampS: o.Ramp.Seconds(), Limiter: settingsOf(o.Options).Limiter, FileLimit: limit}
	fake := startFake(ctx, o.Chunks, delay, fakeOpts...)
	defer fake.Close()
	want := n8ntest.StreamText(o.Chunks)
	webhook := fake.URL + webhookPath
	o.progress("direct n8n: %d streams of %d chunks × %s", o.Streams, o.Chunks, delay)
	direct := runStreamsPhase(ctx, o, "direct", newVisitorPool(o.Streams, visitorsPerTransport, "", webhook, want).overH2C(h2c),
		(*visitor).direct, proxyWatch{})
	rep.Phases = append(rep.Phases, direct)
	cpuProf := &profiler{path: o.CPUProfile, multi: len(o.Engines) > 1}
	heapProf := &profiler{path: o.MemProfile, multi: len(o.Engines) > 1}
	for _, engine := range o.Engines {
		spec := proxySpec{engine: engine, pgAdminURL: o.PostgresURL, redisURL: o.RedisURL, settings: o.Settings,
			fakeURL: fake.URL, maxUpstream: o.Streams + defaultUpstreamCap}
		start := startProxy
		if o.Split {
			spec.settings = map[string]string{}
			maps.Copy(spec.settings, o.Settings)
			if _, set := spec.settings[h2cSetting]; !set { // a value given is the child's to check
				spec.settings[h2cSetting] = "true"
			}
			start = startChildProxy
		}
		var window func(bool)
		if o.Split && cpuProf.path != "" { // the child profiles itself, start to stop
			spec.childCPUProfile = cpuProf.pathFor(engine, o.Streams)
		} else {
			window = cpuProf.window(engine, o.Streams)
		}
		p, err := start(ctx, spec)
		if err != nil {
			return nil, fmt.Errorf("start chatproxy (%s): %w", engine, err)
		}
		o.progress("chatproxy %s: %d streams", engine, o.Streams)
		if window != nil {
			window(true)
		}
		ph := runStreamsPhase(ctx, o, engine, newVisitorPool(o.Streams, visitorsPerTransport, p.url, webhook, want),
			(*visitor).exchange, proxyWatch{midway: midwayProfile(p, heapProf, engine, o), child: p.child,
				slowAfter: time.Duration(direct.FirstToken.P99ms*float64(time.Millisecond)) + slowMargin})
		if window != nil {
			window(false)
		}
		p.close()
		ph.AddedFirstTokenP50ms = ph.FirstToken.P50ms - direct.FirstToken.P50ms
		ph.AddedFirstTokenP99ms = ph.FirstToken.P99ms - direct.FirstToken.P99ms
		rep.Phases = append(rep.Phases, ph)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return rep, cmp.Or(cpuProf.err, heapProf.err)
}

// h2cSetting is chatproxy's setting for calling n8n over HTTP/2 without TLS.
const h2cSetting = "CHATPROXY_UPSTREAM_H2C"

// splitOverH2C: in split mode chatproxy calls the fake n8n over h2c unless -set
// CHATPROXY_UPSTREAM_H2C says otherwise (HTTP/1.1, the default in production, needs a socket per
// call in each process).
func splitOverH2C(settings map[string]string) bool {
	v, set := settings[h2cSetting]
	on, err := strconv.ParseBool(v)
	return !set || err != nil || on
}

// fileLimitFor raises the open-file limit for n streams, or explains why it cannot.
func fileLimitFor(n, filesPerStream int) (uint64, error) {
	need := uint64(filesPerStream*n + fileMargin)
	limit, err := raiseFileLimit(need)
	if err != nil {
		return 0, fmt.Errorf("raise the open-file limit: %w", err)
	}
	if limit < need {
		return 0, fmt.Errorf("%d streams need about %d open files in this process (%d per stream; in one process: visitor, chatproxy in, "+
			"chatproxy out, fake n8n) but the limit is %d and the hard limit cannot be raised here (needs CAP_SYS_RESOURCE): "+
			"use -streams %d at most, -split, or raise it (ulimit -Hn, systemd LimitNOFILE)",
			n, need, filesPerStream, limit, (limit-fileMargin)/uint64(filesPerStream))
	}
	return limit, nil
}

// proxyWatch is what a phase through chatproxy watches besides the visitors.
type proxyWatch struct {
	midway    func()        // runs once every visitor has started and none should have finished (Ramp + Hold/2)
	child     *childStats   // split mode: the chatproxy process
	slowAfter time.Duration // a first token later than this is slow (the direct run's p99 + slowMargin)
}

// runStreamsPhase starts o.Streams visitors spread over o.Ramp, each doing one exchange, and
// samples the process until all are done.
func runStreamsPhase(ctx context.Context, o StreamsOptions, target string, visitors *visitorPool,
	do func(*visitor, context.Context) (sample, error), w proxyWatch) StreamsPhase {
	child := w.child
	runtime.GC()
	debug.FreeOSMemory() // a baseline without the previous phase's garbage
	ph := StreamsPhase{Target: target, BaseRSSMB: mb(procStatusKB("VmRSS")), BaseGoroutines: runtime.NumGoroutine()}
	if child != nil {
		ph.ProxyBaseRSSMB = child.rssMB()
		ph.ProxyBaseGoroutines, _, _ = child.read()
	}
	var open atomic.Int64
	stopSampling := startSampler(&ph, &open, child)
	var proxyCPU0 time.Duration
	if child != nil {
		proxyCPU0 = processCPU(child.pid)
	}
	start, cpu0, machine0 := time.Now(), cpuTime(), machineTicks()
	ctx, cancel := context.WithTimeout(ctx, o.Ramp+o.Hold+2*time.Minute)
	defer cancel()
	samples := make([]sample, o.Streams)
	errs := make([]error, o.Streams)
	var wg sync.WaitGroup
	labelled(ctx, sideClient, func(ctx context.Context) {
		for i := range o.Streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sleepUntil(ctx, start.Add(o.Ramp*time.Duration(i)/time.Duration(o.Streams)))
				v := visitors.visitor(i)
				open.Add(1)
				samples[i], errs[i] = do(v, ctx)
				open.Add(-1)
			}()
		}
	})
	if w.midway != nil {
		sleepUntil(ctx, start.Add(o.Ramp+o.Hold/2))
		w.midway()
	}
	wg.Wait()
	stopSampling()
	visitors.close()
	ph.Seconds = time.Since(start).Seconds()
	ph.CPUCores = (cpuTime() - cpu0).Seconds() / ph.Seconds
	ph.MachineCores = busyCores(machine0, machineTicks(), runtime.NumCPU())
	ph.Load1 = loadAvg1()
	ph.summarize(samples, errs)
	if child != nil {
		ph.ProxyCPUCores = (processCPU(child.pid) - proxyCPU0).Seconds() / ph.Seconds
		tl := child.collections()
		ph.ProxyGCCyclesArriving, ph.ProxyGCAssistSArriving = tl.during(start, start.Add(o.Ramp))
		tail := slowFirstTokens(samples, errs, w.slowAfter, tl, start, o.Ramp)
		ph.SlowFirstTokens, ph.SlowAcrossProxyGC, ph.SlowByArrivalTenth = tail.slow, tail.acrossGC, tail.byArrival[:]
	}
	return ph
}

func (ph *StreamsPhase) summarize(samples []sample, errs []error) {
	var headers, first, total []time.Duration
	ph.ErrorKinds = map[string]int{}
	for i, err := range errs {
		if err != nil {
			ph.Errors++
			ph.ErrorKinds[errorKind(err)]++
			continue
		}
		headers = append(headers, samples[i].headers)
		first = append(first, samples[i].firstToken)
		total = append(total, samples[i].total)
	}
	ph.Completed = len(total)
	ph.Headers, ph.FirstToken, ph.Total = summarize(headers), summarize(first), summarize(total)
	if ph.Errors == 0 {
		ph.ErrorKinds = nil
	}
}

// startSampler records peaks every 200 ms (MemStats every 1 s: it stops the world) until the
// returned function is called; that call takes a last sample and waits for the sampler.
func startSampler(ph *StreamsPhase, open *atomic.Int64, child *childStats) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			ph.PeakRSSMB = max(ph.PeakRSSMB, mb(procStatusKB("VmRSS")))
			ph.PeakGoroutines = max(ph.PeakGoroutines, runtime.NumGoroutine())
			ph.PeakOpen = max(ph.PeakOpen, open.Load())
			if child != nil {
				g, heap, stack := child.read()
				ph.ProxyPeakRSSMB = max(ph.ProxyPeakRSSMB, child.rssMB())
				ph.ProxyPeakGoroutines = max(ph.ProxyPeakGoroutines, g)
				ph.ProxyPeakHeapMB = max(ph.ProxyPeakHeapMB, heap)
				ph.ProxyPeakStackMB = max(ph.ProxyPeakStackMB, stack)
			}
			if n%5 == 0 {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				ph.PeakHeapInuseMB = max(ph.PeakHeapInuseMB, mb(m.HeapInuse))
				ph.PeakStackInuseMB = max(ph.PeakStackInuseMB, mb(m.StackInuse))
			}
			select {
			case <-tick.C:
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func mb(bytes uint64) float64 { return float64(bytes) / (1 << 20) }

// Failed reports whether a phase lost more than MaxErrorRate of its streams.
func (rep *StreamsReport) Failed() bool {
	for _, ph := range rep.Phases {
		if float64(ph.Errors) > MaxErrorRate*float64(ph.Errors+ph.Completed) {
			return true
		}
	}
	return false
}

// WriteJSON writes the report as one indented JSON document.
func (rep *StreamsReport) WriteJSON(w io.Writer) error { return writeJSON(w, rep) }

// WriteText writes one row per phase and the estimated chatproxy share of memory.
func (rep *StreamsReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "chatbench streams: %s\n", rep.Machine)
	fmt.Fprintf(w, "%d visitors started over %gs, each streaming %d chunks × %gms; rate limits and reply buffer in %s; open-file limit %d\n",
		rep.Streams, rep.RampS, rep.Chunks, rep.ChunkDelayMs, rep.Limiter, rep.FileLimit)
	fmt.Fprintln(w, "memory and goroutines are the whole process (load generator + fake n8n [+ chatproxy]); latencies in ms")
	fmt.Fprintln(w, "headers: message sent → response headers (chatproxy: authentication, limits, message stored); first: → first item")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tdone\terrors\tpeak open\theaders p99\tfirst p50\tfirst p99\tadded p50\tadded p99\ttotal p99\tbase RSS MB\tpeak RSS MB\theap MB\tstacks MB\tgoroutines\tcpu\tload\t")
	for _, ph := range rep.Phases {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%+.1f\t%+.1f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%d\t%.2f\t%.1f\t\n",
			ph.Target, ph.Completed, ph.Errors, ph.PeakOpen, ph.Headers.P99ms, ph.FirstToken.P50ms, ph.FirstToken.P99ms,
			ph.AddedFirstTokenP50ms, ph.AddedFirstTokenP99ms, ph.Total.P99ms, ph.BaseRSSMB, ph.PeakRSSMB,
			ph.PeakHeapInuseMB, ph.PeakStackInuseMB, ph.PeakGoroutines, ph.CPUCores, ph.Load1)
	}
	_ = tw.Flush()
	if len(rep.Phases) == 0 {
		return
	}
	d := rep.Phases[0]
	for _, ph := range rep.Phases[1:] {
		if ph.ProxyPeakRSSMB > 0 {
			fmt.Fprintf(w, "chatproxy process on %s (measured alone): peak RSS %.0f MB (base %.0f; %.1f KB per stream above base), "+
				"heap %.0f MB, stacks %.0f MB, goroutines %d (%.1f per stream above base %d)\n",
				ph.Target, ph.ProxyPeakRSSMB, ph.ProxyBaseRSSMB, (ph.ProxyPeakRSSMB-ph.ProxyBaseRSSMB)*1024/float64(rep.Streams),
				ph.ProxyPeakHeapMB, ph.ProxyPeakStackMB, ph.ProxyPeakGoroutines,
				float64(ph.ProxyPeakGoroutines-ph.ProxyBaseGoroutines)/float64(rep.Streams), ph.ProxyBaseGoroutines)
			fmt.Fprintf(w, "chatproxy process CPU %.2f cores, machine %.2f cores busy; its collector while visitors arrived: "+
				"%d cycles, mark assists %.2f s CPU\n", ph.ProxyCPUCores, ph.MachineCores, ph.ProxyGCCyclesArriving, ph.ProxyGCAssistSArriving)
			fmt.Fprintf(w, "first tokens over direct p99 + %s: %d, %d of them waited across the end of a collection; "+
				"by tenth of the arrivals: %v\n", slowMargin, ph.SlowFirstTokens, ph.SlowAcrossProxyGC, ph.SlowByArrivalTenth)
			continue
		}
		rss := (ph.PeakRSSMB - ph.BaseRSSMB) - (d.PeakRSSMB - d.BaseRSSMB)
		g := (ph.PeakGoroutines - ph.BaseGoroutines) - (d.PeakGoroutines - d.BaseGoroutines)
		fmt.Fprintf(w, "chatproxy share on %s (its phase − direct phase): RSS %+.0f MB (%.1f KB per stream), goroutines %+d (%.1f per stream)\n",
			ph.Target, rss, rss*1024/float64(rep.Streams), g, float64(g)/float64(rep.Streams))
	}
	for _, ph := range rep.Phases {
		for k, n := range ph.ErrorKinds {
			fmt.Fprintf(w, "errors %s: %s ×%d\n", ph.Target, k, n)
		}
	}
	if rep.Failed() {
		fmt.Fprintf(w, "FAILED: a phase lost more than %.1f%% of its streams\n", 100*MaxErrorRate)
	}
}

// midwayProfile is the heap snapshot taken midway: of this process, or of the chatproxy child.
func midwayProfile(p *proxy, heapProf *profiler, engine string, o StreamsOptions) func() {
	if p.child == nil || o.MemProfile == "" {
		return heapProf.heapSnapshot(engine, o.Streams)
	}
	return func() {
		if err := p.childHeapProfile(heapProf.pathFor(engine, o.Streams)); err != nil {
			fmt.Fprintln(os.Stderr, "chatbench:", err)
		}
	}
}
