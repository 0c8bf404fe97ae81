package stream

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func TestBufferReplayThenLive(t *testing.T) {
	ctx := context.Background()
	b := NewMemory(MemoryOptions{})
	defer b.Close()
	if _, err := b.Start(ctx, "r1", "u1", "s1"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a", "b"} {
		if _, err := b.Append(ctx, "r1", Event{Type: TypeItem, Content: c}); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := b.Subscribe(ctx, "r1", "s1", Position{Epoch: b.epoch, Offset: 1})
	if err != nil {
		t.Fatal(err)
	}
	e, _, done, err := sub.Next(ctx)
	if err != nil || done || e.Content != "b" || e.Offset != 2 {
		t.Fatalf("replay got %+v done=%v err=%v", e, done, err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		_, _ = b.Append(ctx, "r1", Event{Type: TypeItem, Content: "c"})
		_ = b.Finish(ctx, "r1")
	}()
	e, _, _, err = sub.Next(ctx)
	if err != nil || e.Content != "c" || e.Offset != 3 {
		t.Fatalf("live got %+v err=%v", e, err)
	}
	if _, _, done, _ = sub.Next(ctx); !done {
		t.Fatal("want done after finish")
	}
	if id, ok, _ := b.Lookup(ctx, "u1"); !ok || id != "r1" {
		t.Fatalf("alias lookup = %q %v", id, ok)
	}
}

func TestBufferRefusesOtherOwnerEpochAndDropped(t *testing.T) {
	ctx := context.Background()
	b := NewMemory(MemoryOptions{MaxBytesPerReply: 200})
	defer b.Close()
	_, _ = b.Start(ctx, "r", "", "owner")
	if _, err := b.Subscribe(ctx, "r", "intruder", Position{}); !errors.Is(err, ErrUnknownReply) {
		t.Fatalf("other owner: %v", err)
	}
	if _, err := b.Subscribe(ctx, "r", "owner", Position{Epoch: "other", Offset: 1}); !errors.Is(err, ErrGone) {
		t.Fatalf("other epoch: %v", err)
	}
	for i := 0; i < 20; i++ {
		_, _ = b.Append(ctx, "r", Event{Type: TypeItem, Content: strings.Repeat("x", 30)})
	}
	if _, err := b.Subscribe(ctx, "r", "owner", Position{Epoch: b.epoch, Offset: 1}); !errors.Is(err, ErrGone) {
		t.Fatalf("dropped offset: %v", err)
	}
	if _, err := b.Subscribe(ctx, "missing", "owner", Position{}); !errors.Is(err, ErrUnknownReply) {
		t.Fatalf("unknown: %v", err)
	}
}

func TestBufferSweepsFinished(t *testing.T) {
	ctx := context.Background()
	b := NewMemory(MemoryOptions{FinishedTTL: time.Millisecond})
	defer b.Close()
	_, _ = b.Start(ctx, "r", "u", "s")
	_ = b.Finish(ctx, "r")
	b.sweep(time.Now().Add(time.Second))
	if b.Len() != 0 {
		t.Fatal("finished reply not swept")
	}
	if _, ok, _ := b.Lookup(ctx, "u"); ok {
		t.Fatal("alias not swept")
	}
}

func TestParsePosition(t *testing.T) {
	p, ok := ParsePosition("ab12-7")
	if !ok || p.Epoch != "ab12" || p.Offset != 7 {
		t.Fatalf("got %+v %v", p, ok)
	}
	for _, bad := range []string{"", "-1", "ab-", "ab-x", "ab", strings.Repeat("a", 200) + "-1"} {
		if _, ok := ParsePosition(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

// readFrames parses an SSE body into its data lines (comments and retry skipped).
func readFrames(t *testing.T, body string) (ids, datas []string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			ids = append(ids, strings.TrimPrefix(line, "id: "))
		case strings.HasPrefix(line, "data: "):
			datas = append(datas, strings.TrimPrefix(line, "data: "))
		}
	}
	return ids, datas
}

func TestRelayWritesEventsHeartbeatAndDone(t *testing.T) {
	ctx := context.Background()
	b := NewMemory(MemoryOptions{})
	defer b.Close()
	_, _ = b.Start(ctx, "r", "", "s")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = b.Append(ctx, "r", Event{Type: TypeBegin, MessageID: "r"})
		time.Sleep(60 * time.Millisecond) // longer than the heartbeat below
		_, _ = b.Append(ctx, "r", Event{Type: TypeItem, Content: "line1\n\ndata: fake\nid: 9", MessageID: "r"})
		_, _ = b.Append(ctx, "r", Event{Type: TypeEnd, Status: "complete", MessageID: "r"})
		_ = b.Finish(ctx, "r")
	}()
	rec := httptest.NewRecorder()
	sw, err := NewWriter(rec, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := b.Subscribe(ctx, "r", "s", Position{})
	if err := Relay(ctx, sub, sw, RelayOptions{Heartbeat: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	body := rec.Body.String()
	if rec.Header().Get("Content-Type") != "text/event-stream; charset=utf-8" || rec.Header().Get("X-Accel-Buffering") != "no" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("headers: %v", rec.Header())
	}
	if !strings.HasPrefix(body, "retry: ") || !strings.Contains(body, ": ping\n\n") {
		t.Fatalf("missing retry or heartbeat:\n%s", body)
	}
	ids, datas := readFrames(t, body)
	if len(ids) != 3 || !strings.HasSuffix(ids[0], "-1") || !strings.HasSuffix(ids[2], "-3") {
		t.Fatalf("ids = %v", ids)
	}
	if datas[len(datas)-1] != "[DONE]" || len(datas) != 4 {
		t.Fatalf("datas = %v", datas)
	}
	var item Event
	if err := json.Unmarshal([]byte(datas[1]), &item); err != nil || item.Content != "line1\n\ndata: fake\nid: 9" {
		t.Fatalf("item round trip: %+v %v", item, err)
	}
}

func TestRelayStopSendsReconnect(t *testing.T) {
	ctx := context.Background()
	b := NewMemory(MemoryOptions{})
	defer b.Close()
	_, _ = b.Start(ctx, "r", "", "s")
	stop, stopAll := context.WithCancel(ctx)
	rec := httptest.NewRecorder()
	sw, _ := NewWriter(rec, time.Second)
	sub, _ := b.Subscribe(ctx, "r", "s", Position{})
	go func() { time.Sleep(20 * time.Millisecond); stopAll() }()
	if err := Relay(ctx, sub, sw, RelayOptions{Heartbeat: time.Second, Stop: stop}); err != nil {
		t.Fatal(err)
	}
	_, datas := readFrames(t, rec.Body.String())
	var e Event
	if len(datas) != 1 || json.Unmarshal([]byte(datas[0]), &e) != nil || e.Type != TypeReconnect || e.RetryMS < 1000 {
		t.Fatalf("want one reconnect event, got %v", datas)
	}
}

func TestWriterHasNoContentLength(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, _ := NewWriter(w, time.Second)
		_ = sw.Done()
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != -1 {
		t.Fatalf("content length %d", resp.ContentLength)
	}
}

// FuzzEventFrame: whatever text an upstream sends, its frame is exactly one id line, one data
// line and a blank line, and the data line decodes back to the same text.
func FuzzEventFrame(f *testing.F) {
	for _, s := range []string{"hello", "a\n\nb", "data: x\nid: 1\n\n", "\r\n\r", "\u2028\u2029", "event: reset", ":comment", "\x00\x1f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		frame := string(Event{Offset: 3, Type: TypeItem, Content: s}.Frame("ep"))
		if !strings.HasSuffix(frame, "\n\n") || strings.Count(frame, "\n") != 3 || strings.Contains(frame, "\r") {
			t.Fatalf("frame breaks SSE framing: %q", frame)
		}
		lines := strings.Split(strings.TrimSuffix(frame, "\n\n"), "\n")
		if lines[0] != "id: ep-3" || !strings.HasPrefix(lines[1], "data: ") {
			t.Fatalf("bad frame %q", frame)
		}
		var e Event
		if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[1], "data: ")), &e); err != nil {
			t.Fatal(err)
		}
		if want := perByteReplacement(s); e.Content != want {
			t.Fatalf("content changed: %q -> %q", s, e.Content)
		}
	})
}

// perByteReplacement is what encoding/json does with invalid UTF-8: each bad byte becomes U+FFFD.
func perByteReplacement(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// flushLog records what the body held at each flush: one flush is one write to the client.
type flushLog struct {
	*httptest.ResponseRecorder
	mu      sync.Mutex
	flushed []string
	at      []time.Time
}

func (f *flushLog) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushed = append(f.flushed, f.Body.String())
	f.at = append(f.at, time.Now())
}

// startedReply is reply "r" in a memory buffer with its begin and first item, and a relay's
// writer and subscription for it; every flush is logged.
func startedReply(ctx context.Context) (*Memory, *flushLog, *Writer, Subscription) {
	b := NewMemory(MemoryOptions{})
	_, _ = b.Start(ctx, "r", "", "s")
	_, _ = b.Append(ctx, "r", Event{Type: TypeBegin, MessageID: "r"})
	_, _ = b.Append(ctx, "r", Event{Type: TypeItem, Content: "first", MessageID: "r"})
	log := &flushLog{ResponseRecorder: httptest.NewRecorder()}
	sw, _ := NewWriter(log, time.Second)
	sub, _ := b.Subscribe(ctx, "r", "s", Position{})
	return b, log, sw, sub
}

// TestRelaySparseTokensAreNotHeldBack: tokens further apart than the write delay go out as
// they come. Waiting for company that does not come would add the delay to each of them.
func TestRelaySparseTokensAreNotHeldBack(t *testing.T) {
	const delay = 300 * time.Millisecond
	ctx := context.Background()
	b, log, sw, sub := startedReply(ctx)
	defer b.Close()
	appended := make([]time.Time, 3)
	go func() {
		for i := range appended {
			time.Sleep(delay + 100*time.Millisecond)
			appended[i] = time.Now()
			_, _ = b.Append(ctx, "r", Event{Type: TypeItem, Content: "t" + strconv.Itoa(i), MessageID: "r"})
		}
		_, _ = b.Append(ctx, "r", Event{Type: TypeEnd, Status: "complete", MessageID: "r"})
		_ = b.Finish(ctx, "r")
	}()
	if err := Relay(ctx, sub, sw, RelayOptions{Heartbeat: time.Minute, WriteDelay: delay}); err != nil {
		t.Fatal(err)
	}
	for i, sent := range appended {
		token := `"t` + strconv.Itoa(i) + `"`
		j := slices.IndexFunc(log.flushed, func(body string) bool { return strings.Contains(body, token) })
		if j < 0 {
			t.Fatalf("%s never written", token)
		}
		if lag := log.at[j].Sub(sent); lag > delay/2 {
			t.Errorf("%s written %v after it came, want at once (the write delay is %v)", token, lag, delay)
		}
	}
}

func TestRelayWriteDelayGathersTokensAfterTheFirst(t *testing.T) {
	for _, tc := range []struct {
		delay      time.Duration
		maxFlushes int
		minFlushes int
	}{
		{delay: 300 * time.Millisecond, minFlushes: 2, maxFlushes: 3}, // first item alone, the rest together
		{delay: 0, minFlushes: 6, maxFlushes: 8},                      // every token on its own
	} {
		ctx := context.Background()
		b, log, sw, sub := startedReply(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(20 * time.Millisecond)
			for i := range 5 {
				_, _ = b.Append(ctx, "r", Event{Type: TypeItem, Content: "t" + strconv.Itoa(i), MessageID: "r"})
				time.Sleep(10 * time.Millisecond)
			}
			_, _ = b.Append(ctx, "r", Event{Type: TypeEnd, Status: "complete", MessageID: "r"})
			_ = b.Finish(ctx, "r")
		}()
		if err := Relay(ctx, sub, sw, RelayOptions{Heartbeat: time.Minute, WriteDelay: tc.delay}); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		b.Close()
		n := len(log.flushed)
		if n < tc.minFlushes || n > tc.maxFlushes {
			t.Errorf("delay %v: %d flushes, want %d..%d", tc.delay, n, tc.minFlushes, tc.maxFlushes)
		}
		first := log.flushed[0]
		if !strings.HasPrefix(first, "retry: ") || !strings.Contains(first, `"first"`) || strings.Contains(first, `"t0"`) {
			t.Errorf("delay %v: the first write must carry the headers, begin and the first token alone:\n%s", tc.delay, first)
		}
		_, datas := readFrames(t, log.Body.String())
		if len(datas) != 9 || datas[8] != "[DONE]" { // begin, first, t0..t4, end, [DONE]
			t.Errorf("delay %v: %d data lines, want 9: %v", tc.delay, len(datas), datas)
		}
	}
}

// TestBufferKeepsEveryFieldOfEveryEvent: items are kept compactly (content only), so events
// that are not plain items of the reply's message must come back exactly as appended, and so
// must the items, from Subscribe and from Since.
func TestBufferKeepsEveryFieldOfEveryEvent(t *testing.T) {
	ctx := context.Background()
	b := NewMemory(MemoryOptions{})
	defer b.Close()
	if _, err := b.Start(ctx, "r", "", "s"); err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Type: TypeBegin, MessageID: "m1", UserMessageID: "u1"},
		{Type: TypeItem, Content: "a", MessageID: "m1"},
		{Type: TypeItem, Content: "b", MessageID: "m2"}, // another message id: kept whole
		{Type: TypeItem, Content: "", MessageID: "m1"},
		{Type: TypeItem, Content: "c", MessageID: "m1", Code: "odd"},
		{Type: TypeError, Code: "upstream_timeout", Content: "late", MessageID: "m1"},
		{Type: TypeItem, Content: "d", MessageID: "m1"},
		{Type: TypeEnd, Status: "partial", MessageID: "m1"},
	}
	for i, e := range want {
		got, err := b.Append(ctx, "r", e)
		if err != nil || got.Offset != uint64(i+1) {
			t.Fatalf("Append %d: offset %d, %v", i, got.Offset, err)
		}
		want[i].Offset = got.Offset
	}
	if err := b.Finish(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	sub, err := b.Subscribe(ctx, "r", "s", Position{})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		e, frame, done, err := sub.Next(ctx)
		if err != nil || done || e != w || string(frame) != string(w.Frame(b.epoch)) {
			t.Fatalf("event %d: %+v (done %v, %v), want %+v", i, e, done, err, w)
		}
	}
	since, done, err := b.Since("r", 2, 100)
	if err != nil || !done || len(since) != len(want)-2 || since[0] != want[2] || since[len(since)-1] != want[len(want)-1] {
		t.Fatalf("Since(2) = %+v done %v, %v", since, done, err)
	}
}

// FuzzEventData: the hand-written encoder gives exactly encoding/json's bytes for any event.
func FuzzEventData(f *testing.F) {
	for _, s := range []string{"hello", "a\n\"b\"\\", "<script>&amp;", "\u2028\u2029\x7f", "\xff\xfe", "\b\f\x00\x1f", "é日本"} {
		f.Add(s, "m-1", "", 0)
	}
	f.Add("", "", "upstream_timeout", 3500)
	f.Fuzz(func(t *testing.T, content, id, code string, retry int) {
		for _, e := range []Event{
			{Type: TypeItem, Content: content, MessageID: id},
			{Type: content, UserMessageID: id, Code: code, Status: content, RetryMS: retry, Offset: 9},
		} {
			want, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Data(); string(got) != string(want) {
				t.Fatalf("Data() = %s\nencoding/json: %s", got, want)
			}
			if got, want := e.Frame("ep"), RenderFrame("ep", e.Offset, want); string(got) != string(want) {
				t.Fatalf("Frame() = %q, want %q", got, want)
			}
		}
	})
}

// TestBufferKeepsItemsOfTheReplyCompact: items whose message id is the reply's own (what the
// chat service appends) keep only their content.
func TestBufferKeepsItemsOfTheReplyCompact(t *testing.T) {
	ctx := context.Background()
	b := NewMemory(MemoryOptions{})
	defer b.Close()
	if _, err := b.Start(ctx, "r", "", "s"); err != nil {
		t.Fatal(err)
	}
	for _, e := range []Event{{Type: TypeBegin, MessageID: "r"}, {Type: TypeItem, Content: "a", MessageID: "r"}, {Type: TypeItem, Content: "b", MessageID: "r"}} {
		if _, err := b.Append(ctx, "r", e); err != nil {
			t.Fatal(err)
		}
	}
	r, _ := b.get("r")
	if r.events[0].other == nil || r.events[1].other != nil || r.events[2].other != nil {
		t.Fatalf("slots %+v: want the begin whole and both items compact", r.events)
	}
}
