package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// eventsBatch is the events per POST /api/v1/events request of the ingest load (the loader's
// batch size).
const eventsBatch = 50

// eventsLoad posts analytics events to the proxy at rate events/s (batches of 50) until
// stopped, next to the chat load: the ingest benchmark (docs/benchmarks.md, "Analytics").
type eventsLoad struct {
	accepted, failed atomic.Int64
	started          time.Time
	stop             context.CancelFunc
	wg               sync.WaitGroup
}

// startEvents starts the load; rate <= 0 starts nothing.
func startEvents(ctx context.Context, proxyURL string, rate int) *eventsLoad {
	l := &eventsLoad{started: time.Now()}
	if rate <= 0 {
		l.stop = func() {}
		return l
	}
	ctx, l.stop = context.WithCancel(ctx)
	body := eventsBody()
	const workers = 4
	every := time.Duration(float64(time.Second) * workers * eventsBatch / float64(rate))
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			next := time.Now().Add(every * time.Duration(w) / workers)
			for ctx.Err() == nil {
				sleepUntil(ctx, next)
				next = next.Add(every)
				l.post(ctx, client, proxyURL, body)
			}
		}()
	}
	return l
}

// eventsBody is one batch: a mix of the loader's events with flat props.
func eventsBody() []byte {
	evs := make([]map[string]any, 0, eventsBatch)
	for i := range eventsBatch {
		switch i % 5 {
		case 0:
			evs = append(evs, map[string]any{"name": "widget_loaded"})
		case 1:
			evs = append(evs, map[string]any{"name": "widget_opened"})
		case 2:
			evs = append(evs, map[string]any{"name": "add_to_cart", "props": map[string]any{"sku": fmt.Sprintf("SKU-%d", i), "value": 19.9, "currency": "EUR"}})
		default:
			evs = append(evs, map[string]any{"name": "product_viewed", "props": map[string]any{"sku": fmt.Sprintf("SKU-%d", i), "list": "search"}})
		}
	}
	b, _ := json.Marshal(map[string]any{"site_id": siteID, "visitor_id": "0193a0a0-0000-7000-8000-000000000001", "events": evs})
	return b
}

func (l *eventsLoad) post(ctx context.Context, client *http.Client, proxyURL string, body []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, proxyURL+"/api/v1/events", bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Origin", shopOrigin)
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			l.failed.Add(eventsBatch)
		}
		return
	}
	_ = resp.Body.Close()
	if resp.StatusCode == http.StatusAccepted {
		l.accepted.Add(eventsBatch)
	} else {
		l.failed.Add(eventsBatch)
	}
}

// EventsResult is what the ingest load did during a run.
type EventsResult struct {
	AcceptedPerSecond float64 `json:"accepted_per_s"`
	Failed            int64   `json:"failed"`
	// Stored and Dropped come from the proxy's store and recorder once the run ended: events
	// the recorder dropped (queue full) or lost (a batch the store refused) are not stored.
	Stored  int   `json:"stored"`
	Dropped int64 `json:"dropped"`
}

// finish stops the load and reads what reached the database.
func (l *eventsLoad) finish(ctx context.Context, p *proxy) *EventsResult {
	l.stop()
	l.wg.Wait()
	if l.accepted.Load() == 0 && l.failed.Load() == 0 {
		return nil
	}
	r := &EventsResult{AcceptedPerSecond: float64(l.accepted.Load()) / time.Since(l.started).Seconds(), Failed: l.failed.Load()}
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_ = p.app.Events.Flush(fctx)
	r.Dropped = p.app.Events.Dropped() + p.app.Events.Failed()
	for _, name := range []string{"widget_loaded", "widget_opened", "add_to_cart", "product_viewed"} {
		n, _ := p.app.Store.CountEvents(fctx, siteID, name)
		r.Stored += n
	}
	return r
}
