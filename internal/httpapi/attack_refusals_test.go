package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Attack: one anonymous client asks for sessions thousands of times. Each refusal used to write
// one analytics row (about 1,300 rows a second from one client); refusals are now counters per
// site, reason and minute, so the rows stay bounded and the counts are right. Both engines.
func TestAttackRefusedSessionsWriteBoundedRows(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine, withOtherSiteYAML("    limits: {sessions_per_ip_per_hour: 2}\n"))
			const attempts, workers = 2000, 8
			var wg sync.WaitGroup
			var mu sync.Mutex
			codes := map[int]int{}
			for range workers {
				wg.Go(func() {
					for range attempts / workers {
						resp, err := postJSON(e.url+"/api/v1/session/create", otherOrigin, `{"site_id":"other"}`)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						codes[resp]++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if codes[200] != 2 || codes[429] != attempts-2 {
				t.Fatalf("answers %v, want 2 sessions and %d refusals", codes, attempts-2)
			}
			// Every refusal is counted: the counters are flushed about once a second.
			if n := e.refusedEvents("other", attempts-2); n != attempts-2 {
				t.Fatalf("refusals counted %d, want %d", n, attempts-2)
			}
			if n := e.refusalCount("other", "sessions_per_ip"); n != attempts-2 {
				t.Fatalf("refusals for sessions_per_ip %d, want %d", n, attempts-2)
			}
			rows, err := e.app.Store.RefusalCounts(context.Background(), "other", time.Now().Add(-time.Hour), time.Now().Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			// One counter per reason and minute: the attack may straddle a minute boundary.
			if len(rows) < 1 || len(rows) > 2 {
				t.Fatalf("%d counter rows for %d refusals, want 1 or 2: %+v", len(rows), attempts-2, rows)
			}
			if n, err := e.app.Store.CountEvents(context.Background(), "other", "refused"); err != nil || n != 0 {
				t.Fatalf("%d refused event rows (err %v), want none", n, err)
			}
		})
	}
}

// postJSON posts body and returns the status, reading and closing the answer.
func postJSON(url, origin, body string) (int, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
