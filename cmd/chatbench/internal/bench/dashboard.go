package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/chatproxy/chatproxy/internal/analytics"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/postgres"
)

// DashboardOptions: the dashboard benchmark seeds a fresh PostgreSQL database with Events
// events of one site spread over Days days (through the store's batch write, so rollups are
// built as in production), then times every dashboard query for the whole range Repeats times.
type DashboardOptions struct {
	PostgresURL string
	Events      int
	Days        int
	Repeats     int
	Progress    func(string)
}

// DashboardReport is the dashboard benchmark's result.
type DashboardReport struct {
	Machine       Machine          `json:"machine"`
	Events        int              `json:"events"`
	Days          int              `json:"days"`
	SeedSeconds   float64          `json:"seed_s"`
	SeedPerSecond float64          `json:"seed_events_per_s"`
	RollupCells   int              `json:"rollup_cells"`
	Queries       []DashboardQuery `json:"queries"`
	AllP95ms      float64          `json:"all_p95_ms"`
}

// DashboardQuery is one kind of dashboard request, timed Repeats times.
type DashboardQuery struct {
	Name  string  `json:"name"`
	N     int     `json:"n"`
	P50ms float64 `json:"p50_ms"`
	P95ms float64 `json:"p95_ms"`
	MaxMs float64 `json:"max_ms"`
}

// Failed reports a p95 over the 100 ms target.
func (r *DashboardReport) Failed() bool { return r.AllP95ms > 100 }

// WriteJSON prints the report as JSON.
func (r *DashboardReport) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(r)
}

// WriteText prints the report as a table.
func (r *DashboardReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "chatbench dashboard: %s\n", r.Machine)
	fmt.Fprintf(w, "%d events over %d days in PostgreSQL, seeded in %.0f s (%.0f events/s through the batch writer with rollups); %d rollup cells for the range\n",
		r.Events, r.Days, r.SeedSeconds, r.SeedPerSecond, r.RollupCells)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query (90-day range)\tn\tp50 ms\tp95 ms\tmax ms\t")
	for _, q := range r.Queries {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t\n", q.Name, q.N, q.P50ms, q.P95ms, q.MaxMs)
	}
	_ = tw.Flush()
	verdict := "met"
	if r.Failed() {
		verdict = "MISSED"
	}
	fmt.Fprintf(w, "target p95 ≤ 100 ms for every query: %s (p95 over all queries %.2f ms)\n", verdict, r.AllP95ms)
}

// RunDashboard seeds and measures.
func RunDashboard(ctx context.Context, o DashboardOptions) (*DashboardReport, error) {
	dbURL, _, drop, err := createDatabase(ctx, o.PostgresURL)
	if err != nil {
		return nil, err
	}
	defer drop()
	st, err := postgres.Open(ctx, dbURL, store.PlainCipher{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	if err := st.UpsertSite(ctx, store.Site{ID: siteID, Name: siteID, Config: []byte("{}"), CreatedAt: now, UpdatedAt: now}); err != nil {
		return nil, err
	}
	rep := &DashboardReport{Machine: thisMachine(), Events: o.Events, Days: o.Days}
	from := now.Add(-time.Duration(o.Days) * 24 * time.Hour)
	start := time.Now()
	if err := seedEvents(ctx, st, o, from, now); err != nil {
		return nil, err
	}
	rep.SeedSeconds = time.Since(start).Seconds()
	rep.SeedPerSecond = float64(o.Events) / rep.SeedSeconds
	for _, g := range []int{store.GrainHour, store.GrainDay} {
		r, err := st.ReadRollups(ctx, store.RollupQuery{SiteID: siteID, Grain: g, From: from.Add(-time.Hour), To: now.Add(time.Hour)})
		if err != nil {
			return nil, err
		}
		rep.RollupCells += len(r.Counts) + len(r.Hist) + len(r.Sketches)
	}
	progress(o, "seeded %d events in %.0f s; timing queries", o.Events, rep.SeedSeconds)
	rep.Queries, rep.AllP95ms = timeQueries(ctx, &analytics.Query{Store: st}, from, now, o.Repeats)
	return rep, nil
}

func progress(o DashboardOptions, format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// seedEvents writes the events in time order from two writers, in batches of a quarter of a
// day's events (5,000 to 8,000: larger ones can pass the store's statement timeout on a busy
// host): each batch is one transaction with its rollup delta, like the recorder's batches.
func seedEvents(ctx context.Context, st store.Store, o DashboardOptions, from, to time.Time) error {
	const writers = 2
	batch := min(max(5000, o.Events/max(o.Days, 1)/4), 8000)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	per := o.Events / writers
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 42))
			for done := 0; done < per && ctx.Err() == nil; done += batch {
				evs := syntheticEvents(r, min(batch, per-done), from, to, w*per+done, o.Events)
				if _, err := st.WriteEvents(ctx, evs, analytics.Derive); err != nil {
					errs <- err
					return
				}
				if w == 0 && done%(batch*20) == 0 {
					progress(o, "seeding: %d of %d", done*writers, o.Events)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// syntheticEvents: a shop's mix of events with 50 pages, 30 countries and 300,000 visitors.
// Event pos of total happens at from + span·pos/total: batches arrive in time order, as live
// events do (a batch touches an hour or two of rollups, not the whole range).
func syntheticEvents(r *rand.Rand, n int, from, to time.Time, pos, total int) []store.Event {
	span := to.Sub(from)
	out := make([]store.Event, n)
	for i := range out {
		at := from.Add(time.Duration(float64(span) * float64(pos+i) / float64(total)))
		e := store.Event{ID: fmt.Sprintf("%010d", pos+i), SiteID: siteID, VisitorID: fmt.Sprintf("v%d", r.IntN(300000)), CreatedAt: at}
		var props map[string]any
		switch k := r.IntN(100); {
		case k < 10:
			e.Type, props = analytics.SessionStarted, map[string]any{"returning": r.IntN(3) == 0, "page": fmt.Sprintf("/p/%d", r.IntN(50)), "country": fmt.Sprintf("C%d", r.IntN(30))}
		case k < 30:
			e.Type = analytics.MessageSent
		case k < 48:
			e.Type, props = analytics.ReplyFirstToken, map[string]any{"ms": 200 + r.IntN(3000)}
		case k < 66:
			e.Type, props = analytics.ReplyCompleted, map[string]any{"ms": 1000 + r.IntN(9000), "chars": r.IntN(800), "status": "complete"}
		case k < 68:
			e.Type, props = analytics.ReplyFailed, map[string]any{"code": "upstream_timeout"}
		case k < 70:
			e.Type, props = analytics.Refused, map[string]any{"reason": "ip"}
		case k < 72:
			e.Type, props, e.DedupeKey = analytics.Feedback, map[string]any{"message_id": e.ID, "rating": "up"}, "feedback:"+e.ID+":1"
		case k < 74:
			e.Type, props, e.DedupeKey = analytics.Purchase, map[string]any{"order_id": e.ID, "value": 49.9, "currency": "EUR", "assisted": r.IntN(2) == 0}, "purchase:"+e.ID
		case k < 78:
			e.Type, props = analytics.AddToCart, map[string]any{"sku": "A", "value": 19.9, "currency": "EUR"}
		default:
			e.Type = []string{analytics.WidgetLoaded, analytics.WidgetOpened, analytics.SuggestionClicked}[r.IntN(3)]
		}
		e.Data, _ = json.Marshal(props)
		out[i] = e
	}
	return out
}

// timeQueries runs every dashboard query for [from, to) repeats times, interleaved.
func timeQueries(ctx context.Context, q *analytics.Query, from, to time.Time, repeats int) ([]DashboardQuery, float64) {
	type job struct {
		name string
		run  func() error
	}
	jobs := []job{{"summary", func() error { _, err := q.Summary(ctx, siteID, from, to); return err }}}
	for _, m := range analytics.SeriesMetrics() {
		jobs = append(jobs, job{"timeseries " + m + " day", func() error { _, err := q.Timeseries(ctx, siteID, m, "day", from, to); return err }})
	}
	jobs = append(jobs, job{"timeseries conversations hour", func() error {
		_, err := q.Timeseries(ctx, siteID, "conversations", "hour", from, to)
		return err
	}})
	for _, by := range []string{"page", "country", "hour_of_week", "refusal_reason", "error_code"} {
		jobs = append(jobs, job{"breakdown " + by, func() error { _, err := q.Breakdown(ctx, siteID, by, from, to, 100); return err }})
	}
	times := make([][]time.Duration, len(jobs))
	var all []time.Duration
	for range repeats {
		for i, j := range jobs {
			t0 := time.Now()
			if err := j.run(); err != nil {
				continue
			}
			d := time.Since(t0)
			times[i] = append(times[i], d)
			all = append(all, d)
		}
	}
	out := make([]DashboardQuery, len(jobs))
	for i, j := range jobs {
		ds := times[i]
		slices.Sort(ds)
		out[i] = DashboardQuery{Name: j.name, N: len(ds)}
		if len(ds) > 0 {
			out[i].P50ms, out[i].P95ms, out[i].MaxMs = ms(percentile(ds, 50)), ms(percentile(ds, 95)), ms(ds[len(ds)-1])
		}
	}
	slices.Sort(all)
	if len(all) == 0 {
		return out, 0
	}
	return out, ms(percentile(all, 95))
}
