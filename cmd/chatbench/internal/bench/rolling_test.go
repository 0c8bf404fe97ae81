package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// TestRunRollingLosesNothing is the rolling restart at a small scale (make rolling runs 1,000):
// one of two replicas stops while every answer streams from it; every answer arrives whole,
// every next message is refused by the draining replica and answered by the other, the
// followers (reading from it replies that run on the other replica) get reconnect at its drain
// deadline and finish on the other replica, each message reaches n8n once and each
// conversation is stored once.
func TestRunRollingLosesNothing(t *testing.T) {
	const streams = 30
	rep, err := RunRolling(context.Background(), RollingOptions{
		Options: Options{PostgresURL: postgresURL(), RedisURL: redisURL(), Chunks: 10},
		Streams: streams, Hold: 3 * time.Second, // margin for a slow CI machine to start every visitor
	})
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, n := range rep.Refused {
		refused += n
	}
	if rep.Failed() || rep.InFlight != streams || rep.First != streams || rep.Second != streams ||
		refused != streams || rep.UpstreamCalls != 2*streams+rep.Followers || rep.StoredComplete != streams+rep.Followers ||
		rep.Followers != 3 || rep.FollowersWhole != 3 || rep.Reconnected != 3 || len(rep.Errors) != 0 {
		t.Fatalf("report %+v", rep)
	}
	// The followers' streams stay open on A to its drain deadline (1.5 × 3 s), then reconnect.
	if rep.DrainDeadlineS != 4.5 || rep.DrainS < 4.5 || rep.DrainS > 10 {
		t.Errorf("drained in %.2fs, deadline %gs", rep.DrainS, rep.DrainDeadlineS)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "PASS: nothing lost, nothing duplicated") {
		t.Errorf("text report:\n%s", text.String())
	}
}

// TestRollingReportFailsOnAnyLoss: every way a restart can lose or repeat something fails the run.
func TestRollingReportFailsOnAnyLoss(t *testing.T) {
	good := RollingReport{Streams: 3, InFlight: 3, First: 3, Second: 3, UpstreamCalls: 7, StoredComplete: 4,
		Followers: 1, FollowersWhole: 1, Reconnected: 1}
	if good.Failed() {
		t.Fatal("a clean run failed")
	}
	for name, spoil := range map[string]func(*RollingReport){
		"answer cut":           func(r *RollingReport) { r.First = 2 },
		"second lost":          func(r *RollingReport) { r.Second = 2 },
		"sent to n8n twice":    func(r *RollingReport) { r.UpstreamCalls = 8 },
		"stored wrong":         func(r *RollingReport) { r.StoredComplete, r.StoredWrong = 3, 1 },
		"follower cut":         func(r *RollingReport) { r.FollowersWhole = 0 },
		"no reconnect":         func(r *RollingReport) { r.Reconnected = 0 },
		"not under every load": func(r *RollingReport) { r.InFlight = 2 },
	} {
		r := good
		spoil(&r)
		if !r.Failed() {
			t.Errorf("%s: not failed", name)
		}
	}
}

// TestStoredWholeWantsOneQuestionAndAnswerEach checks the stored-conversation rule.
func TestStoredWholeWantsOneQuestionAndAnswerEach(t *testing.T) {
	q := store.Message{Role: store.RoleUser, Status: store.StatusComplete, Content: "q"}
	a := store.Message{Role: store.RoleAssistant, Status: store.StatusComplete, Content: "answer"}
	cut := a
	cut.Status = store.StatusPartial
	if !storedWhole([]store.Message{q, a}, "answer", 2) || storedWhole([]store.Message{q, a}, "other", 2) {
		t.Error("a follower's conversation: one question, its answer")
	}
	for _, c := range []struct {
		msgs []store.Message
		want bool
	}{
		{[]store.Message{q, a, q, a}, true},
		{[]store.Message{q, a, q}, false},       // an answer lost
		{[]store.Message{q, a, q, q, a}, false}, // a question stored twice
		{[]store.Message{q, a, q, cut}, false},  // an answer cut short
		{[]store.Message{q, a, a, q}, false},    // out of order
	} {
		if got := storedWhole(c.msgs, "answer", 4); got != c.want {
			t.Errorf("%d messages: %v, want %v", len(c.msgs), got, c.want)
		}
	}
}
