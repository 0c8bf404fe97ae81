package conversations

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/store"
)

func TestContainsFold(t *testing.T) {
	for _, c := range []struct {
		s, needle string
		want      bool
	}{
		{"Where is my ORDER?", "order", true},
		{"Where is my ORDER?", "orders", false},
		{"short", "longer needle", false},
		{"Größe ÄNDERN", "änder", true}, // non-ASCII takes the Unicode path
		{"anything", "", true},
	} {
		if got := containsFold(c.s, c.needle); got != c.want {
			t.Errorf("containsFold(%q, %q) = %v", c.s, c.needle, got)
		}
	}
}

func TestPreviewCutsOnRunes(t *testing.T) {
	long := strings.Repeat("é", PreviewRunes+5)
	if got := Preview(long); got != strings.Repeat("é", PreviewRunes)+"…" {
		t.Errorf("Preview = %q", got)
	}
	if got := Preview("short"); got != "short" {
		t.Errorf("Preview(short) = %q", got)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := store.Conversation{SessionID: uuid.Must(uuid.NewV7()).String(), StartedAt: time.UnixMicro(1_780_000_000_123_456).UTC()}
	var f store.ConversationFilter
	if err := DecodeCursor(EncodeCursor(c), &f); err != nil || f.AfterID != c.SessionID || !f.AfterStarted.Equal(c.StartedAt) {
		t.Fatalf("round trip: %+v, %v", f, err)
	}
	for _, bad := range []string{"", "!!", "MTIz", "MTIzLm5vdC1hLXV1aWQ"} {
		if err := DecodeCursor(bad, &f); err == nil {
			t.Errorf("DecodeCursor(%q) accepted", bad)
		}
	}
}

func TestSearchDefaultsToThe31DaysBeforeNow(t *testing.T) {
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	q, _, err := ParseQuery(url.Values{"q": {"refund"}}, now)
	if err != nil || !q.To.Equal(now) || !q.From.Equal(now.Add(-MaxSearchRange)) {
		t.Fatalf("q alone: %v..%v, %v", q.From, q.To, err)
	}
	q, _, err = ParseQuery(url.Values{"q": {"refund"}, "from": {"2026-01-01T00:00:00Z"}}, now)
	if err != nil || !q.To.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("q with from: to = %v, %v", q.To, err)
	}
	if _, _, err := ParseQuery(url.Values{"q": {"refund"}, "from": {"2026-01-01T00:00:00Z"}, "to": {"2026-02-01T00:00:01Z"}}, now); err == nil {
		t.Error("a range one second over 31 days was accepted")
	}
	q, sites, err := ParseQuery(url.Values{"site": {"shop,blog", "shop"}}, now)
	if err != nil || strings.Join(sites, ",") != "shop,blog" || !q.From.IsZero() {
		t.Errorf("sites = %v, %v", sites, err)
	}
}
