package n8ntest_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
)

func post(t *testing.T, client *http.Client, url, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(`{"chatInput":"ping","sessionId":"s1"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// TestStreamWireFormat checks the stream against docs/n8n-protocol.md (framing, chunks): headers,
// one JSON object per line in n8n's key order, begin…end.
func TestStreamWireFormat(t *testing.T) {
	t.Parallel()
	s := n8ntest.NewServer(n8ntest.WithChunks(3))
	t.Cleanup(s.Close)
	resp := post(t, http.DefaultClient, s.URLFor(n8ntest.ScenarioStream), "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
		resp.Header.Get("Cache-Control") != "no-cache" || len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
		t.Fatalf("status %d, headers %v, transfer encoding %v", resp.StatusCode, resp.Header, resp.TransferEncoding)
	}
	body, _ := io.ReadAll(resp.Body)
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines: %s", len(lines), body)
	}
	meta := `"metadata":\{"nodeId":"` + n8ntest.AgentNodeID + `","nodeName":"AI Agent","itemIndex":0,"runIndex":0,"timestamp":\d{13}\}`
	begin := regexp.MustCompile(`^\{"type":"begin",` + meta + `\}$`)
	item := regexp.MustCompile(`^\{"type":"item","content":"[^"]*",` + meta + `\}$`)
	end := regexp.MustCompile(`^\{"type":"end",` + meta + `\}$`)
	if !begin.MatchString(lines[0]) || !end.MatchString(lines[4]) {
		t.Fatalf("begin/end lines: %s / %s", lines[0], lines[4])
	}
	var text strings.Builder
	for _, l := range lines[1:4] {
		if !item.MatchString(l) {
			t.Fatalf("item line: %s", l)
		}
		var c struct{ Content string }
		_ = json.Unmarshal([]byte(l), &c)
		text.WriteString(c.Content)
	}
	if text.String() != n8ntest.StreamText(3) {
		t.Fatalf("text %q", text.String())
	}
}

func TestErrorChunkHasNoTimestamp(t *testing.T) {
	t.Parallel()
	s := n8ntest.NewServer()
	t.Cleanup(s.Close)
	resp := post(t, http.DefaultClient, s.URLFor(n8ntest.ScenarioErrorChunk), "")
	body, _ := io.ReadAll(resp.Body)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	want := `{"type":"error","content":"` + n8ntest.ErrorChunkMessage + `","metadata":{"nodeId":"` + n8ntest.AgentNodeID +
		`","nodeName":"AI Agent","runIndex":0,"itemIndex":0}}`
	if last := lines[len(lines)-1]; last != want || len(lines) != 1+n8ntest.MidStreamItems+1 {
		t.Fatalf("last line %s; want %s (%d lines)", last, want, len(lines))
	}
}

func TestRecordsAndSelectsScenario(t *testing.T) {
	t.Parallel()
	s := n8ntest.NewServer(n8ntest.WithScenario(n8ntest.ScenarioJSONText))
	t.Cleanup(s.Close)
	resp := post(t, http.DefaultClient, s.URL+"/anything", "tok")
	body, _ := io.ReadAll(resp.Body)
	if string(body) != `{"text":"`+n8ntest.AnswerText+`"}` {
		t.Fatalf("default scenario body %s", body)
	}
	s.SetScenario(n8ntest.ScenarioText)
	resp = post(t, http.DefaultClient, s.URL+"/webhook-test/echo/chat", "")
	if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), `"content":"ping"`) {
		t.Fatalf("echo body %s", body)
	}
	reqs := s.Requests()
	if s.Count() != 2 || len(reqs) != 2 || reqs[0].Token != "tok" || reqs[0].Scenario != n8ntest.ScenarioJSONText ||
		reqs[1].Scenario != n8ntest.ScenarioEcho || reqs[1].JSON["sessionId"] != "s1" || reqs[0].Method != "POST" {
		t.Fatalf("count %d, records %+v", s.Count(), reqs)
	}
	s.Reset()
	if s.Count() != 0 || len(s.Requests()) != 0 {
		t.Fatal("Reset kept state")
	}
	resp = post(t, http.DefaultClient, s.URL+"/webhook/stream/chat?chunks=2", "")
	if body, _ := io.ReadAll(resp.Body); strings.Count(string(body), `"type":"item"`) != 2 {
		t.Fatalf("?chunks=2 body %s", body)
	}
}

// TestJWTAuthLikeN8n: 401 "No token provided" without a token, 403 for a wrong key or algorithm,
// 200 with the right one; claims are recorded.
func TestJWTAuthLikeN8n(t *testing.T) {
	t.Parallel()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s := n8ntest.NewServer(n8ntest.WithES256(&key.PublicKey))
	t.Cleanup(s.Close)
	sign := func(method jwt.SigningMethod, k any, exp time.Time) string {
		tok, err := jwt.NewWithClaims(method, jwt.MapClaims{"site_id": "a", "exp": exp.Unix()}).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	future := time.Now().Add(time.Minute)
	cases := []struct {
		name, token, body string
		status            int
	}{
		{"missing", "", "No token provided", 401},
		{"other key", sign(jwt.SigningMethodES256, other, future), "invalid token", 403},
		{"hs256", sign(jwt.SigningMethodHS256, []byte("0123456789abcdef0123456789abcdef"), future), "invalid token", 403},
		{"expired", sign(jwt.SigningMethodES256, key, time.Now().Add(-time.Second)), "jwt expired", 403},
		{"good", sign(jwt.SigningMethodES256, key, future), "", 200},
	}
	for _, c := range cases {
		resp := post(t, http.DefaultClient, s.URLFor(n8ntest.ScenarioStream), c.token)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != c.status || (c.body != "" && string(body) != c.body) {
			t.Errorf("%s: %d %q; want %d %q", c.name, resp.StatusCode, body, c.status, c.body)
		}
	}
	last, _ := s.Last()
	if last.Claims["site_id"] != "a" || s.Count() != len(cases) {
		t.Fatalf("claims %v, count %d", last.Claims, s.Count())
	}
}

func TestTLSAndResetMidStream(t *testing.T) {
	t.Parallel()
	s := n8ntest.NewTLSServer()
	t.Cleanup(s.Close)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.RootCAs()}}}
	resp := post(t, client, s.URLFor(n8ntest.ScenarioResetMidStream), "")
	br := bufio.NewReader(resp.Body)
	for range 1 + n8ntest.MidStreamItems {
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatalf("lines before the reset: %v", err)
		}
	}
	if _, err := io.ReadAll(br); err == nil {
		t.Fatal("the stream ended cleanly; want a reset")
	}
}

// TestCloseReleasesHangingHandlers checks Close returns while a handler hangs.
func TestCloseReleasesHangingHandlers(t *testing.T) {
	t.Parallel()
	s := n8ntest.NewServer()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URLFor(n8ntest.ScenarioHangBeforeHeaders), nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		done <- err
	}()
	for s.Count() == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Close()
	if err := <-done; err == nil {
		t.Fatal("the hanging request got a response")
	}
	if ctx.Err() != nil {
		t.Fatal("Close did not release the handler before the deadline")
	}
}

// TestDelayQuery: ?delay= paces every item of the request, overriding the server setting, across
// both runs of multirun; an invalid or non-positive value leaves the server setting in force.
func TestDelayQuery(t *testing.T) {
	t.Parallel()
	s := n8ntest.NewServer(n8ntest.WithChunkDelay(10 * time.Second))
	t.Cleanup(s.Close)
	timed := func(path string, items int) time.Duration {
		t.Helper()
		start := time.Now()
		body, _ := io.ReadAll(post(t, http.DefaultClient, s.URL+path, "").Body)
		if n := strings.Count(string(body), `"type":"item"`); n != items {
			t.Fatalf("%s: %d items, want %d: %s", path, n, items, body)
		}
		return time.Since(start)
	}
	// Upper bounds are far below the server's 10 s pause: they only show the query won.
	if d := timed("/webhook/stream/chat?chunks=3&delay=40ms", 3); d < 120*time.Millisecond || d > 5*time.Second {
		t.Errorf("stream with ?delay=40ms took %v, want 3 pauses of 40ms", d)
	}
	if d := timed("/webhook/multirun/chat?delay=60ms", 2); d < 120*time.Millisecond || d > 5*time.Second {
		t.Errorf("multirun with ?delay=60ms took %v, want 2 pauses of 60ms", d)
	}
	s.SetChunkDelay(40 * time.Millisecond)
	for _, q := range []string{"delay=junk", "delay=0", "delay=-5ms", "delay="} {
		if d := timed("/webhook/stream/chat?chunks=3&"+q, 3); d < 120*time.Millisecond {
			t.Errorf("?%s took %v, want the server's 3 pauses of 40ms", q, d)
		}
	}
}
