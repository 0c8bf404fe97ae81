package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ConsoleOptions measure a running chatproxy's console (docs/benchmarks.md, Console).
type ConsoleOptions struct {
	URL      string // the console's base URL, e.g. http://127.0.0.1:8081
	Token    string // an API token (cpa_…) of an account that reads every site
	Site     string // the site of the list and transcript runs
	Requests int    // per run
	PID      int    // chatproxy's process id: its RSS is sampled during the export (0 = not)
}

// ConsoleReport is what RunConsole measured.
type ConsoleReport struct {
	List             Latencies `json:"list_first_page"`
	Transcript       Latencies `json:"transcript"`
	ExportRows       int       `json:"export_rows"`
	ExportSeconds    float64   `json:"export_seconds"`
	ExportPerSecond  float64   `json:"export_conversations_per_second"`
	RSSBeforeMB      float64   `json:"rss_before_mb"`
	RSSPeakMB        float64   `json:"rss_peak_mb"`
	RSSGrowthMB      float64   `json:"rss_growth_mb"`
	TranscriptMsgAvg float64   `json:"transcript_messages_avg"`
}

// Latencies are one run's percentiles in milliseconds.
type Latencies struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func latencies(d []time.Duration) Latencies {
	slices.Sort(d)
	at := func(q float64) float64 {
		if len(d) == 0 {
			return 0
		}
		return float64(d[min(len(d)-1, int(q*float64(len(d))))].Microseconds()) / 1000
	}
	return Latencies{N: len(d), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: at(1)}
}

// RunConsole measures, one request at a time: the first page of the site's conversations of
// the last 7 days; transcripts of conversations taken from the site's pages; then one export
// of every conversation (JSON Lines), while sampling chatproxy's resident memory.
func RunConsole(ctx context.Context, o ConsoleOptions) (ConsoleReport, error) {
	var rep ConsoleReport
	c := &http.Client{Timeout: 10 * time.Minute}
	get := func(path string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(o.URL, "/")+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+o.Token)
		resp, err := c.Do(req)
		if err == nil && resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return resp, err
	}
	type page struct {
		Items []struct {
			SessionID string `json:"session_id"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	// The list: a new from each time (now - 7 days), as the app sends it.
	var ids []string
	var times []time.Duration
	for i := range o.Requests {
		from := url.QueryEscape(time.Now().Add(-7 * 24 * time.Hour).UTC().Format(time.RFC3339))
		start := time.Now()
		resp, err := get("/admin/api/v1/conversations?site=" + url.QueryEscape(o.Site) + "&from=" + from)
		if err != nil {
			return rep, err
		}
		var p page
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		times = append(times, time.Since(start))
		if err != nil || len(p.Items) == 0 {
			return rep, fmt.Errorf("list: %d items, %v", len(p.Items), err)
		}
		if i == 0 {
			ids, err = transcriptIDs(get, o.Site, o.Requests)
			if err != nil {
				return rep, err
			}
		}
	}
	rep.List = latencies(times)
	times = times[:0]
	msgs := 0
	for i := range o.Requests {
		start := time.Now()
		resp, err := get("/admin/api/v1/conversations/" + ids[i%len(ids)])
		if err != nil {
			return rep, err
		}
		var t struct {
			Messages []json.RawMessage `json:"messages"`
		}
		err = json.NewDecoder(resp.Body).Decode(&t)
		resp.Body.Close()
		times = append(times, time.Since(start))
		if err != nil {
			return rep, err
		}
		msgs += len(t.Messages)
	}
	rep.Transcript = latencies(times)
	rep.TranscriptMsgAvg = float64(msgs) / float64(o.Requests)
	return rep, runExport(ctx, o, get, &rep)
}

// transcriptIDs walks the site's pages (newest first, no date filter) for n session ids
// spread over its history: every 4th page's first row.
func transcriptIDs(get func(string) (*http.Response, error), site string, n int) ([]string, error) {
	var ids []string
	cursor := ""
	for pageNo := 0; len(ids) < n; pageNo++ {
		resp, err := get("/admin/api/v1/conversations?limit=200&site=" + url.QueryEscape(site) + "&cursor=" + cursor)
		if err != nil {
			return nil, err
		}
		var p struct {
			Items []struct {
				SessionID string `json:"session_id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		for i := 0; i < len(p.Items); i += 37 {
			ids = append(ids, p.Items[i].SessionID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("no conversation to read")
	}
	return ids, nil
}

func runExport(ctx context.Context, o ConsoleOptions, get func(string) (*http.Response, error), rep *ConsoleReport) error {
	var peak atomic.Int64
	before := rssKB(o.PID)
	peak.Store(before)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if kb := rssKB(o.PID); kb > peak.Load() {
					peak.Store(kb)
				}
			}
		}
	}()
	start := time.Now()
	resp, err := get("/admin/api/v1/conversations/export?format=jsonl")
	if err != nil {
		close(stop)
		return err
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	rows := 0
	for sc.Scan() {
		rows++
	}
	resp.Body.Close()
	rep.ExportSeconds = time.Since(start).Seconds()
	close(stop)
	<-done
	rep.ExportRows = rows
	rep.ExportPerSecond = float64(rows) / rep.ExportSeconds
	rep.RSSBeforeMB, rep.RSSPeakMB = float64(before)/1024, float64(peak.Load())/1024
	rep.RSSGrowthMB = rep.RSSPeakMB - rep.RSSBeforeMB
	_ = ctx
	return sc.Err()
}

// rssKB reads VmRSS of pid from /proc (0 when pid is 0 or unreadable).
func rssKB(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// WriteText prints the report.
func (r ConsoleReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "list, first page (site, 7 days): n=%d p50=%.1f ms p95=%.1f ms p99=%.1f ms max=%.1f ms\n", r.List.N, r.List.P50, r.List.P95, r.List.P99, r.List.Max)
	fmt.Fprintf(w, "transcript (%.1f messages avg):  n=%d p50=%.1f ms p95=%.1f ms p99=%.1f ms max=%.1f ms\n", r.TranscriptMsgAvg, r.Transcript.N, r.Transcript.P50, r.Transcript.P95, r.Transcript.P99, r.Transcript.Max)
	fmt.Fprintf(w, "export (jsonl, every conversation): %d rows in %.2f s = %.0f conversations/s; chatproxy RSS %.1f MB -> peak %.1f MB (+%.1f MB)\n",
		r.ExportRows, r.ExportSeconds, r.ExportPerSecond, r.RSSBeforeMB, r.RSSPeakMB, r.RSSGrowthMB)
}

// WriteJSON prints the report as JSON.
func (r ConsoleReport) WriteJSON(w io.Writer) error { return json.NewEncoder(w).Encode(r) }
