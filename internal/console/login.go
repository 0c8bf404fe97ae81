package console

import (
	"context"
	"errors"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/clientip"
	"github.com/chatproxy/chatproxy/internal/ratelimit"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Login back-off (design): after 5 failures within 15 minutes, a 1-minute lock that doubles
// with each further failure, up to an hour. Counted per account and per client address.
var (
	accountBackoff = ratelimit.Backoff{Name: "login-account", Threshold: 5, Window: 15 * time.Minute, Base: time.Minute, Max: time.Hour}
	addressBackoff = ratelimit.Backoff{Name: "login-ip", Threshold: 5, Window: 15 * time.Minute, Base: time.Minute, Max: time.Hour}
)

// LoginInput is one sign-in attempt.
type LoginInput struct {
	Email    string
	Password string
	TOTP     string // "" when not given
	Client   Client
}

// Attempt tells the audit log who a sign-in attempt was about: the account, when the email
// is known (AccountID "" otherwise), and the email as typed (normalized).
type Attempt struct {
	AccountID string
	Email     string
}

// Login checks the credentials and starts a session. Every failure answers 401
// invalid_credentials, whether the email is unknown, the account disabled, the password or
// the TOTP code wrong, after the same password-hashing work; a correct password on an
// account with TOTP and no code answers 401 totp_required. A locked account or address
// answers 429 login_backoff without checking anything.
func (s *Service) Login(ctx context.Context, in LoginInput) (SignedIn, Attempt, error) {
	email := NormalizeEmail(in.Email)
	att := Attempt{Email: truncate(email, maxEmailLength)}
	keys := backoffKeys{account: hashSecret("login|" + email)[:32], address: clientip.Key(in.Client.IP)}
	if err := s.checkBackoff(ctx, keys); err != nil {
		return SignedIn{}, att, err
	}
	a, err := s.st.GetAccountByEmail(ctx, email)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return SignedIn{}, att, err
	}
	if known {
		att.AccountID = a.ID
	}
	ok, err := s.checkPassword(a, known, in.Password)
	if err != nil {
		return SignedIn{}, att, err
	}
	if !ok || !a.DisabledAt.IsZero() {
		return SignedIn{}, att, s.failed(ctx, keys)
	}
	if a.TOTPEnabled {
		if in.TOTP == "" {
			return SignedIn{}, att, apierr.TOTPRequired()
		}
		if err := s.useTOTP(ctx, a, in.TOTP); err != nil {
			if errors.Is(err, errTOTPRejected) {
				return SignedIn{}, att, s.failed(ctx, keys)
			}
			return SignedIn{}, att, err
		}
	}
	if err := s.limiter.Forgive(ctx, keys.account, accountBackoff); err != nil {
		s.log.Warn("console: resetting the sign-in back-off failed", "err", err)
	}
	signed, err := s.startSession(ctx, a, in.Client)
	return signed, att, err
}

// checkPassword verifies pw against the account's hash, or against a dummy hash when the
// email is unknown, so both take the same time.
func (s *Service) checkPassword(a store.Account, known bool, pw string) (bool, error) {
	hash := dummyHash()
	if known {
		hash = a.PasswordHash
	}
	ok, err := VerifyPassword(hash, pw)
	if err != nil {
		return false, err
	}
	return ok && known, nil
}

type backoffKeys struct{ account, address string }

// checkBackoff refuses the attempt while the account or the address is locked.
func (s *Service) checkBackoff(ctx context.Context, k backoffKeys) error {
	acct, err := s.limiter.Locked(ctx, k.account, accountBackoff)
	if err != nil {
		return err
	}
	addr, err := s.limiter.Locked(ctx, k.address, addressBackoff)
	if err != nil {
		return err
	}
	if wait := max(acct, addr); wait > 0 {
		return apierr.LoginBackoff(wait)
	}
	return nil
}

// failed counts a failure against both keys and returns the failure's answer.
func (s *Service) failed(ctx context.Context, k backoffKeys) error {
	if _, err := s.limiter.Fail(ctx, k.account, accountBackoff); err != nil {
		return err
	}
	if _, err := s.limiter.Fail(ctx, k.address, addressBackoff); err != nil {
		return err
	}
	return apierr.InvalidCredentials()
}

var errTOTPRejected = errors.New("console: totp code rejected")

// useTOTP accepts code for a's secret once: a code (its time step) never works twice.
func (s *Service) useTOTP(ctx context.Context, a store.Account, code string) error {
	step, ok := matchTOTP(a.TOTPSecret, code, s.clock())
	if !ok {
		return errTOTPRejected
	}
	fresh, err := s.st.UseTOTPStep(ctx, a.ID, step)
	if err != nil {
		return err
	}
	if !fresh {
		return errTOTPRejected
	}
	return nil
}
