package httpapi_test

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/store"
)

// TestGracefulShutdownFinishesReplies: on SIGTERM readiness turns 503 and new messages are
// refused, while a running reply streams to its end and is stored.
func TestGracefulShutdownFinishesReplies(t *testing.T) {
	e := newEnv(t, "sqlite", withEnv("CHATPROXY_SHUTDOWN_TIMEOUT", "10s"))
	e.fake.SetScenario(n8ntest.ScenarioStream)
	e.fake.SetChunks(20)
	e.fake.SetChunkDelay(40 * time.Millisecond)
	s := e.newSession(nil)
	result := make(chan sseResult, 1)
	go func() { result <- e.send(s, map[string]any{"message": "long answer please"}) }()
	time.Sleep(150 * time.Millisecond)
	e.stop() // SIGTERM
	time.Sleep(50 * time.Millisecond)
	if resp := e.do(request{method: "GET", path: "/health/ready"}); resp.StatusCode != 503 {
		t.Fatalf("ready while draining: %d", resp.StatusCode)
	}
	resp := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: shopOrigin, token: s.Token, body: map[string]any{"message": "new"}})
	if resp.StatusCode != 503 || errorCode(t, resp) != "shutting_down" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("new message while draining: %d", resp.StatusCode)
	}
	res := <-result
	if !res.done || res.text() != streamAnswer(20) || res.ofType("end")[0].Data["status"] != "complete" {
		t.Fatalf("running reply cut by shutdown: %q", res.text())
	}
	if err := <-e.served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	e.served <- nil // for the cleanup
	msgs := e.messages(s.ID)
	if len(msgs) != 2 || msgs[1].Status != store.StatusComplete {
		t.Fatalf("stored: %+v", msgs)
	}
}

// TestShutdownDeadlineInterruptsReplies: replies still running at the drain deadline are
// interrupted: the visitor gets an "interrupted" error and the end of the stream, and the partial
// answer is stored. A stream that is still open after that gets a reconnect event.
func TestShutdownDeadlineInterruptsReplies(t *testing.T) {
	e := newEnv(t, "sqlite", withEnv("CHATPROXY_SHUTDOWN_TIMEOUT", "200ms"))
	e.fake.SetScenario(n8ntest.ScenarioHangMidStream)
	s := e.newSession(nil)
	result := make(chan sseResult, 1)
	go func() { result <- e.send(s, map[string]any{"message": "hang"}) }()
	time.Sleep(150 * time.Millisecond)
	e.stop()
	res := <-result
	errs, end := res.ofType("error"), res.ofType("end")
	if len(errs) != 1 || errs[0].Data["code"] != "interrupted" || len(end) != 1 || end[0].Data["status"] != "partial" || !res.done {
		t.Fatalf("want interrupted + end(partial), got %+v", res.events)
	}
	msgs := e.messages(s.ID)
	if len(msgs) != 2 || msgs[1].Status != store.StatusPartial || msgs[1].Content != res.text() {
		t.Fatalf("stored: %+v", msgs)
	}
}

// TestSlowClientIsDropped: a client that stops reading is dropped by the per-write deadline;
// its answer is still stored in full and other visitors are not slowed.
func TestSlowClientIsDropped(t *testing.T) {
	e := newEnv(t, "sqlite", withEnv("CHATPROXY_STREAM_WRITE_TIMEOUT", "300ms"), withEnv("CHATPROXY_UPSTREAM_MAX_BYTES", "67108864"),
		withEnv("CHATPROXY_UPSTREAM_TOTAL_TIMEOUT", "90s"))
	e.fake.SetScenario(n8ntest.ScenarioStream)
	e.fake.SetChunks(100000) // ~13 MB of events: far more than the socket buffers hold
	s := e.newSession(nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096) // a small window so the server's writes block soon
	}
	body := `{"message":"slow reader"}`
	req := "POST /api/v1/chat/message HTTP/1.1\r\nHost: x\r\nOrigin: " + shopOrigin + "\r\nAuthorization: Bearer " + s.Token +
		"\r\nContent-Type: application/json\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + body
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReaderSize(conn, 16)
	if line, _ := br.ReadString('\n'); !strings.Contains(line, "200") {
		t.Fatalf("status line %q", line)
	}
	// Read nothing more. Meanwhile another visitor chats normally.
	for e.fake.Count() < 1 {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the fake has read its chunk count for the first call
	e.fake.SetChunks(5)
	other := e.newSession(nil)
	if res := e.send(other, map[string]any{"message": "fast reader"}); res.text() != streamAnswer(5) {
		t.Fatalf("other visitor slowed or broken: %q", res.text())
	}
	deadline := time.Now().Add(60 * time.Second)
	for testutil.ToFloat64(e.app.Metrics.SlowClients) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("slow client never dropped")
		}
		time.Sleep(50 * time.Millisecond)
	}
	msgs := e.waitMessages(s.ID, 2)
	if len(msgs) != 2 || msgs[1].Status != store.StatusComplete || len(msgs[1].Content) < 100000 {
		t.Fatalf("slow client's answer not stored in full: %d messages", len(msgs))
	}
}
