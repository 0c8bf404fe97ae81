package console

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/sqlite"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newService(t *testing.T) (*Service, *clock, store.Store) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), storetest.NewSQLitePath(t), store.PlainCipher{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	lim := ratelimit.NewMemory()
	t.Cleanup(func() { _ = lim.Close() })
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s, err := New(Options{Store: st, Limiter: lim, CSRFKey: []byte(strings.Repeat("k", 32)), Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return s, clk, st
}

func code(err error) string {
	if ae, ok := apierr.As(err); ok {
		return ae.Code
	}
	if err == nil {
		return ""
	}
	return "other: " + err.Error()
}

const goodPassword = "correct horse battery"

var client = Client{IP: netip.MustParseAddr("198.51.100.7"), UserAgent: "test"}

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword(goodPassword)
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q, %v", h, err)
	}
	if ok, err := VerifyPassword(h, goodPassword); !ok || err != nil {
		t.Fatalf("the right password: %v, %v", ok, err)
	}
	if ok, _ := VerifyPassword(h, goodPassword+"!"); ok {
		t.Fatal("a wrong password matched")
	}
	if h2, _ := HashPassword(goodPassword); h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=1,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"} {
		if _, err := VerifyPassword(bad, "x"); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
	for pw, want := range map[string]string{"short": "weak_password", "elevenchars": "weak_password", "twelve chars": "", "            ": "weak_password", strings.Repeat("x", 257): "weak_password"} {
		if got := code(CheckPassword(pw)); got != want {
			t.Errorf("CheckPassword(%q) = %q, want %q", pw, got, want)
		}
	}
}

func TestSessionIdleAndAbsoluteExpiry(t *testing.T) {
	s, clk, _ := newService(t)
	ctx := context.Background()
	if _, err := s.CreateAccount(ctx, NewAccount{Email: "Ops@Example.com", Password: goodPassword, Role: RoleViewer, Sites: []string{"shop"}}); err != nil {
		t.Fatal(err)
	}
	signed, _, err := s.Login(ctx, LoginInput{Email: "ops@example.com ", Password: goodPassword, Client: client})
	if err != nil {
		t.Fatal(err)
	}
	// Activity every 11 hours keeps the session alive until the 7-day absolute limit.
	for elapsed := time.Duration(0); elapsed < SessionMaxAge-11*time.Hour; elapsed += 11 * time.Hour {
		clk.add(11 * time.Hour)
		if _, err := s.AuthenticateCookie(ctx, signed.Cookie); err != nil {
			t.Fatalf("after %v with activity: %v", elapsed+11*time.Hour, err)
		}
	}
	clk.add(11 * time.Hour)
	if _, err := s.AuthenticateCookie(ctx, signed.Cookie); code(err) != "session_expired" {
		t.Fatalf("past 7 days: %v, want session_expired", err)
	}
	signed, _, _ = s.Login(ctx, LoginInput{Email: "ops@example.com", Password: goodPassword, Client: client})
	clk.add(12*time.Hour + time.Second)
	if _, err := s.AuthenticateCookie(ctx, signed.Cookie); code(err) != "session_expired" {
		t.Fatalf("idle 12 h: %v, want session_expired", err)
	}
	if _, err := s.AuthenticateCookie(ctx, signed.Cookie); code(err) != "unauthorized" {
		t.Fatalf("an expired session was not deleted: %v", err)
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	a, _ := s.CreateAccount(ctx, NewAccount{Email: "a@example.com", Password: goodPassword, Role: RoleAdmin, AllSites: true})
	first, _, _ := s.Login(ctx, LoginInput{Email: a.Email, Password: goodPassword, Client: client})
	second, _, _ := s.Login(ctx, LoginInput{Email: a.Email, Password: goodPassword, Client: client})
	if first.Cookie == second.Cookie || first.CSRFToken == second.CSRFToken {
		t.Fatal("two sign-ins got the same session")
	}
	p, err := s.AuthenticateCookie(ctx, first.Cookie)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeOwnPassword(ctx, p, "not it at all!", "another long password", client); code(err) != "wrong_password" {
		t.Fatalf("wrong current password: %v", err)
	}
	fresh, err := s.ChangeOwnPassword(ctx, p, goodPassword, "another long password", client)
	if err != nil || fresh == nil {
		t.Fatal(err)
	}
	for name, cookie := range map[string]string{"first": first.Cookie, "second": second.Cookie} {
		if _, err := s.AuthenticateCookie(ctx, cookie); err == nil {
			t.Errorf("the %s session survived the password change", name)
		}
	}
	if _, err := s.AuthenticateCookie(ctx, fresh.Cookie); err != nil {
		t.Fatalf("the new session: %v", err)
	}
}

func TestTokenExpiryAndRevocation(t *testing.T) {
	s, clk, _ := newService(t)
	ctx := context.Background()
	a, _ := s.CreateAccount(ctx, NewAccount{Email: "t@example.com", Password: goodPassword, Role: RoleViewer})
	raw, tok, err := s.CreateToken(ctx, a.ID, "ci", 24*time.Hour)
	if err != nil || !strings.HasPrefix(raw, "cpa_") || len(raw) < 40 || strings.Contains(tok.TokenHash, raw) {
		t.Fatalf("CreateToken = %q, %+v, %v", raw, tok, err)
	}
	p, err := s.AuthenticateToken(ctx, raw)
	if err != nil || p.Via != ViaToken || p.ID() != a.ID || p.CSRFToken() != "" {
		t.Fatalf("AuthenticateToken = %+v, %v", p, err)
	}
	clk.add(24 * time.Hour)
	if _, err := s.AuthenticateToken(ctx, raw); code(err) != "unauthorized" {
		t.Fatalf("an expired token: %v", err)
	}
	raw2, tok2, _ := s.CreateToken(ctx, a.ID, "forever", 0)
	if _, err := s.RevokeToken(ctx, tok2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateToken(ctx, raw2); code(err) != "unauthorized" {
		t.Fatalf("a revoked token: %v", err)
	}
	if _, err := s.AuthenticateToken(ctx, "cpa_"+strings.Repeat("A", 43)); code(err) != "unauthorized" {
		t.Fatalf("an unknown token: %v", err)
	}
	for _, ttl := range []string{"30d", "12h", "90m"} {
		if d, err := ParseTTL(ttl); err != nil || d <= 0 {
			t.Errorf("ParseTTL(%s) = %v, %v", ttl, d, err)
		}
	}
	for _, bad := range []string{"0d", "-1h", "soon", "1y"} {
		if _, err := ParseTTL(bad); err == nil {
			t.Errorf("ParseTTL(%q) accepted", bad)
		}
	}
}

func TestTOTPEnrolLoginAndReplay(t *testing.T) {
	s, clk, _ := newService(t)
	ctx := context.Background()
	a, _ := s.CreateAccount(ctx, NewAccount{Email: "m@example.com", Password: goodPassword, Role: RoleOwner})
	signed, _, _ := s.Login(ctx, LoginInput{Email: a.Email, Password: goodPassword, Client: client})
	p, _ := s.AuthenticateCookie(ctx, signed.Cookie)
	if err := s.ConfirmTOTP(ctx, p, "123456"); code(err) != "totp_state" {
		t.Fatalf("confirm before start: %v", err)
	}
	enrol, err := s.StartTOTP(ctx, p)
	if err != nil || !strings.HasPrefix(enrol.URI, "otpauth://totp/") || len(enrol.Secret) != 32 {
		t.Fatalf("StartTOTP = %+v, %v", enrol, err)
	}
	if err := s.ConfirmTOTP(ctx, p, "000000"); code(err) != "invalid_totp" {
		t.Fatalf("a wrong code confirmed: %v", err)
	}
	now, _ := s.CurrentTOTPForTest(ctx, a.ID, 0)
	if err := s.ConfirmTOTP(ctx, p, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Login(ctx, LoginInput{Email: a.Email, Password: goodPassword, Client: client}); code(err) != "totp_required" {
		t.Fatalf("no code: %v", err)
	}
	if _, _, err := s.Login(ctx, LoginInput{Email: a.Email, Password: goodPassword, TOTP: now, Client: client}); code(err) != "invalid_credentials" {
		t.Fatalf("the confirming code replayed at sign-in: %v", err)
	}
	clk.add(30 * time.Second)
	next, _ := s.CurrentTOTPForTest(ctx, a.ID, 0)
	if _, _, err := s.Login(ctx, LoginInput{Email: a.Email, Password: goodPassword, TOTP: next, Client: client}); err != nil {
		t.Fatalf("a fresh code: %v", err)
	}
	if _, _, err := s.Login(ctx, LoginInput{Email: a.Email, Password: goodPassword, TOTP: next, Client: client}); code(err) != "invalid_credentials" {
		t.Fatalf("the same code twice: %v", err)
	}
	clk.add(30 * time.Second)
	last, _ := s.CurrentTOTPForTest(ctx, a.ID, 0)
	if err := s.DisableTOTP(ctx, p, last); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Login(ctx, LoginInput{Email: a.Email, Password: goodPassword, Client: client}); err != nil {
		t.Fatalf("after disabling TOTP: %v", err)
	}
}

func TestLastOwnerStays(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	owner, _ := s.CreateAccount(ctx, NewAccount{Email: "o@example.com", Password: goodPassword, Role: RoleOwner})
	viewer := RoleViewer
	yes := true
	if _, _, err := s.UpdateAccount(ctx, owner.ID, AccountPatch{Role: &viewer}); code(err) != "last_owner" {
		t.Fatalf("demoting the only owner: %v", err)
	}
	if _, _, err := s.UpdateAccount(ctx, owner.ID, AccountPatch{Disabled: &yes}); code(err) != "last_owner" {
		t.Fatalf("disabling the only owner: %v", err)
	}
	second, _ := s.CreateAccount(ctx, NewAccount{Email: "o2@example.com", Password: goodPassword, Role: RoleOwner})
	_, after, err := s.UpdateAccount(ctx, owner.ID, AccountPatch{Disabled: &yes})
	if err != nil || after.DisabledAt.IsZero() || after.TokenVersion != owner.TokenVersion+1 {
		t.Fatalf("disabling one of two owners: %+v, %v", after, err)
	}
	if _, _, err := s.UpdateAccount(ctx, second.ID, AccountPatch{Role: &viewer}); code(err) != "last_owner" {
		t.Fatalf("demoting the last active owner: %v", err)
	}
	if _, err := s.CreateAccount(ctx, NewAccount{Email: "O@example.com", Password: goodPassword, Role: RoleViewer}); code(err) != "account_exists" {
		t.Fatalf("an email differing in case: %v", err)
	}
}

func TestSetupTokenOnce(t *testing.T) {
	s, clk, _ := newService(t)
	ctx := context.Background()
	tok, err := s.EnsureSetupToken(ctx)
	if err != nil || len(tok) < 40 {
		t.Fatalf("EnsureSetupToken = %q, %v", tok, err)
	}
	expired, _ := s.EnsureSetupToken(ctx)
	clk.add(SetupTokenTTL)
	if _, err := s.CompleteSetup(ctx, SetupInput{Token: expired, Email: "o@example.com", Password: goodPassword}); code(err) != "setup_invalid" {
		t.Fatalf("an expired token: %v", err)
	}
	clk.add(-time.Minute)
	if _, err := s.CompleteSetup(ctx, SetupInput{Token: tok, Email: "o@example.com", Password: "short"}); code(err) != "weak_password" {
		t.Fatalf("a weak password: %v", err)
	}
	signed, err := s.CompleteSetup(ctx, SetupInput{Token: tok, Email: "o@example.com", Password: goodPassword})
	if err != nil || signed.Account.Role != RoleOwner || !signed.Account.AllSites {
		t.Fatalf("CompleteSetup = %+v, %v", signed.Account, err)
	}
	if _, err := s.CompleteSetup(ctx, SetupInput{Token: tok, Email: "p@example.com", Password: goodPassword}); code(err) != "setup_invalid" {
		t.Fatalf("the token twice: %v", err)
	}
	if again, err := s.EnsureSetupToken(ctx); again != "" || err != nil {
		t.Fatalf("a setup token with an owner present: %q, %v", again, err)
	}
}
