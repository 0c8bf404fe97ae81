package bench

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Result is one measured run: one target at one concurrency.
type Result struct {
	Target      string         `json:"target"` // "direct" (the fake n8n itself), "sqlite" or "postgres"
	Concurrency int            `json:"concurrency"`
	Seconds     float64        `json:"seconds"`
	Exchanges   int            `json:"exchanges"`
	PerSecond   float64        `json:"exchanges_per_s"`
	Errors      int            `json:"errors"`
	ErrorKinds  map[string]int `json:"error_kinds,omitempty"`
	Headers     Summary        `json:"headers"` // message sent → response headers
	FirstToken  Summary        `json:"first_token"`
	Total       Summary        `json:"total"`
	// CPUCores is the whole process's CPU time (proxy, fake n8n and load generator) per second
	// of the measured window: 2.0 means both cores of a 2-core machine were busy.
	CPUCores float64 `json:"cpu_cores"`
	// HeapInuseMB is the Go heap in use as the window closes (whole process).
	HeapInuseMB float64 `json:"heap_inuse_mb"`
	// CPUPerExchangeMs is the process's CPU time per exchange: unlike the rate, it hardly
	// depends on what else the machine runs.
	CPUPerExchangeMs float64 `json:"cpu_per_exchange_ms"`
	// DBCPUPerExchangeMs is the PostgreSQL backends' CPU time per exchange (0 when unknown:
	// SQLite runs inside the process and is counted in CPUPerExchangeMs).
	DBCPUPerExchangeMs float64 `json:"db_cpu_per_exchange_ms"`
	// DBXactsPerExchange and DBRowWritesPerExchange come from pg_stat_database (PostgreSQL
	// flushes these counters about once a second, so they are approximate).
	DBXactsPerExchange     float64 `json:"db_xacts_per_exchange"`
	DBRowWritesPerExchange float64 `json:"db_row_writes_per_exchange"`
	// RedisCPUPerExchangeMs and RedisCommandsPerExchange are the Redis server's CPU (when it
	// runs on this machine) and commands per exchange, with -redis. Other clients of the same
	// server count too.
	RedisCPUPerExchangeMs    float64 `json:"redis_cpu_per_exchange_ms,omitempty"`
	RedisCommandsPerExchange float64 `json:"redis_commands_per_exchange,omitempty"`
	// StoreFloor is PostgreSQL's own cost at concurrency 1 (PostgreSQL runs at concurrency 1 only).
	StoreFloor *StoreFloor `json:"store_floor,omitempty"`
	// MachineCores is how many cores the whole machine was busy (PostgreSQL and other
	// processes included); near the core count means the run was CPU-bound.
	MachineCores float64 `json:"machine_cores"`
	// Load1 is the machine's 1-minute load average as the window closes.
	Load1 float64 `json:"load_1m"`
	// Added is proxy − direct at the same concurrency (zero for the direct rows).
	AddedFirstTokenP50ms float64 `json:"added_first_token_p50_ms"`
	AddedFirstTokenP99ms float64 `json:"added_first_token_p99_ms"`
	// Events is the analytics ingest next to this run (-events-rate), nil without it.
	Events *EventsResult `json:"events,omitempty"`
}

// ErrorRate is errors per attempted exchange in the window.
func (r Result) ErrorRate() float64 {
	if n := r.Exchanges + r.Errors; n > 0 {
		return float64(r.Errors) / float64(n)
	}
	return 0
}

// loadSpec is one closed-loop run: concurrency visitors, each starting its next exchange as soon
// as the previous one ends. Only exchanges that end inside the measured window count.
type loadSpec struct {
	target      string
	concurrency int
	warmup      time.Duration
	duration    time.Duration
	visitors    *visitorPool
	do          func(v *visitor, ctx context.Context) (sample, error)
	// dbUsage and redisUsage, when set, read what PostgreSQL and Redis did so far.
	dbUsage    func() dbUsage
	redisUsage func() redisUsage
	// window, when set, is called as the measured window opens (true) and closes (false).
	window func(open bool)
	// windowEnd, when set, runs as the window closes, while the visitors still run.
	windowEnd func()
}

// tally is one worker's record; workers never share one, so recording takes no lock.
type tally struct {
	headers, first, total []time.Duration
	errors                map[string]int
}

func runLoad(ctx context.Context, s loadSpec) Result {
	from := time.Now().Add(s.warmup)
	until := from.Add(s.duration)
	// Exchanges still running long after the window are abandoned (the run is over anyway).
	workCtx, cancel := context.WithDeadline(ctx, until.Add(time.Minute))
	defer cancel()
	tallies := make([]tally, s.concurrency)
	var wg sync.WaitGroup
	labelled(workCtx, sideClient, func(ctx context.Context) {
		for i := range s.concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.work(ctx, s.visitors.visitor(i), &tallies[i], from, until)
			}()
		}
	})
	sleepUntil(ctx, from)
	if s.window != nil {
		s.window(true)
	}
	cpu0, ticks0, db0, rd0 := cpuTime(), machineTicks(), s.db(), s.redis()
	sleepUntil(ctx, until)
	cpu := cpuTime() - cpu0
	db1, rd1 := s.db(), s.redis()
	machine := busyCores(ticks0, machineTicks(), runtime.NumCPU())
	load1 := loadAvg1()
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	if s.window != nil {
		s.window(false)
	}
	if s.windowEnd != nil {
		s.windowEnd()
	}
	wg.Wait()
	s.visitors.close()
	r := s.merge(tallies, cpu)
	r.HeapInuseMB = float64(mem.HeapInuse) / (1 << 20)
	r.Load1 = load1
	r.MachineCores = machine
	if n := float64(r.Exchanges); n > 0 {
		r.DBCPUPerExchangeMs = ms(db1.cpu-db0.cpu) / n
		r.DBXactsPerExchange = float64(db1.xacts-db0.xacts) / n
		r.DBRowWritesPerExchange = float64(db1.rowsWrite-db0.rowsWrite) / n
		r.RedisCPUPerExchangeMs = ms(rd1.cpu-rd0.cpu) / n
		r.RedisCommandsPerExchange = float64(rd1.commands-rd0.commands) / n
	}
	return r
}

func (s loadSpec) db() dbUsage {
	if s.dbUsage == nil {
		return dbUsage{}
	}
	return s.dbUsage()
}

func (s loadSpec) redis() redisUsage {
	if s.redisUsage == nil {
		return redisUsage{}
	}
	return s.redisUsage()
}

func (s loadSpec) work(ctx context.Context, v *visitor, t *tally, from, until time.Time) {
	t.errors = map[string]int{}
	for ctx.Err() == nil && time.Now().Before(until) {
		res, err := s.do(v, ctx)
		end := time.Now()
		if end.Before(from) || end.After(until) {
			continue
		}
		if err != nil {
			t.errors[errorKind(err)]++
			continue
		}
		t.headers = append(t.headers, res.headers)
		t.first = append(t.first, res.firstToken)
		t.total = append(t.total, res.total)
	}
}

func (s loadSpec) merge(tallies []tally, cpu time.Duration) Result {
	r := Result{Target: s.target, Concurrency: s.concurrency, Seconds: s.duration.Seconds(), ErrorKinds: map[string]int{}}
	var headers, first, total []time.Duration
	for _, t := range tallies {
		headers = append(headers, t.headers...)
		first = append(first, t.first...)
		total = append(total, t.total...)
		for k, n := range t.errors {
			r.ErrorKinds[k] += n
			r.Errors += n
		}
	}
	r.Exchanges = len(total)
	r.PerSecond = float64(r.Exchanges) / s.duration.Seconds()
	r.Headers = summarize(headers)
	r.FirstToken = summarize(first)
	r.Total = summarize(total)
	r.CPUCores = cpu.Seconds() / s.duration.Seconds()
	if r.Exchanges > 0 {
		r.CPUPerExchangeMs = ms(cpu) / float64(r.Exchanges)
	}
	if len(r.ErrorKinds) == 0 {
		r.ErrorKinds = nil
	}
	return r
}

func sleepUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}
