package keys

import (
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/config"
)

// TestDefaultConfigRotatesEvery30Days: with nothing configured, session-token keys rotate
// every 30 days (docs/security-keys.md), and the replaced key keeps verifying for the
// documented overlap: session max age + refresh interval + 1 min of clock skew.
func TestDefaultConfigRotatesEvery30Days(t *testing.T) {
	def := config.Default()
	e := engines()[0]
	fk := newFieldKeys("f1")
	st := openStore(t, e, e.newDSN(t), fk.ring(t, "f1"))
	clk := newClock()
	m := newManager(t, st, fk.ring(t, "f1"), clk, func(o *Options) {
		o.RotateEvery, o.TokenLifetime = def.SessionKeyRotation, def.SessionMaxAge
	})
	seedKID := mustLoad(t, m).Active().KID

	clk.Add(30*24*time.Hour - time.Minute)
	if err := m.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if kid := m.Keys().Active().KID; kid != seedKID {
		t.Fatalf("rotated to %s a minute before the key was 30 days old", kid)
	}
	clk.Add(time.Minute)
	if err := m.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if kid := m.Keys().Active().KID; kid == seedKID {
		t.Fatalf("the default configuration did not rotate a 30-day-old key (rotation every %s)", def.SessionKeyRotation)
	}
	wantEnd := clk.Now().Add(def.SessionMaxAge + DefaultRefreshInterval + time.Minute)
	for _, r := range listKeys(t, st) {
		if r.KID == seedKID && !r.NotAfter.Equal(wantEnd) {
			t.Fatalf("replaced key verifies until %v, want %v (max age + refresh + 1 min)", r.NotAfter, wantEnd)
		}
	}
}
