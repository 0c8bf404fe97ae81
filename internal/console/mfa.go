package console

import (
	"context"
	"errors"

	"github.com/chatproxy/chatproxy/internal/apierr"
)

// TOTPEnrolment is what an authenticator app needs; the secret is shown once, at the start.
type TOTPEnrolment struct {
	Secret string // base32, for typing in by hand
	URI    string // otpauth://…, for a QR code
}

// StartTOTP gives the account a new pending secret (stored sealed); it takes effect once a
// code from it is confirmed. Starting again replaces a pending secret.
func (s *Service) StartTOTP(ctx context.Context, p *Principal) (TOTPEnrolment, error) {
	a, err := s.GetAccount(ctx, p.ID())
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if a.TOTPEnabled {
		return TOTPEnrolment{}, apierr.TOTPState("Two-factor sign-in is already on. Turn it off first to enrol a new authenticator.")
	}
	secret, err := newTOTPSecret()
	if err != nil {
		return TOTPEnrolment{}, err
	}
	a.TOTPSecret, a.UpdatedAt = secret, s.clock()
	if err := s.st.UpdateAccount(ctx, a); err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: b32.EncodeToString(secret), URI: totpURI(secret, a.Email)}, nil
}

// ConfirmTOTP turns two-factor sign-in on with a code from the pending secret.
func (s *Service) ConfirmTOTP(ctx context.Context, p *Principal, code string) error {
	a, err := s.GetAccount(ctx, p.ID())
	if err != nil {
		return err
	}
	if a.TOTPEnabled || a.TOTPSecret == nil {
		return apierr.TOTPState("There is no pending authenticator to confirm. Start the enrolment first.")
	}
	if err := s.codeOK(ctx, a.ID, a.TOTPSecret, code); err != nil {
		return err
	}
	a, err = s.GetAccount(ctx, a.ID) // UseTOTPStep moved the last step
	if err != nil {
		return err
	}
	a.TOTPEnabled, a.UpdatedAt = true, s.clock()
	return s.st.UpdateAccount(ctx, a)
}

// DisableTOTP turns two-factor sign-in off; it takes a current code, so a stolen session
// alone cannot remove the second factor.
func (s *Service) DisableTOTP(ctx context.Context, p *Principal, code string) error {
	a, err := s.GetAccount(ctx, p.ID())
	if err != nil {
		return err
	}
	if !a.TOTPEnabled {
		return apierr.TOTPState("Two-factor sign-in is not on.")
	}
	if err := s.codeOK(ctx, a.ID, a.TOTPSecret, code); err != nil {
		return err
	}
	a, err = s.GetAccount(ctx, a.ID)
	if err != nil {
		return err
	}
	a.TOTPEnabled, a.TOTPSecret, a.UpdatedAt = false, nil, s.clock()
	return s.st.UpdateAccount(ctx, a)
}

// codeOK accepts a fresh code of secret for the account, or answers 400 invalid_totp.
func (s *Service) codeOK(ctx context.Context, accountID string, secret []byte, code string) error {
	step, ok := matchTOTP(secret, code, s.clock())
	if !ok {
		return apierr.InvalidTOTP()
	}
	fresh, err := s.st.UseTOTPStep(ctx, accountID, step)
	if err != nil {
		return err
	}
	if !fresh {
		return apierr.InvalidTOTP()
	}
	return nil
}

// CurrentTOTPForTest returns the code an authenticator shows now for the account's secret.
// Tests of the HTTP and CLI layers use it; it is not reachable from any route.
func (s *Service) CurrentTOTPForTest(ctx context.Context, accountID string, offsetSteps int64) (string, error) {
	a, err := s.st.GetAccount(ctx, accountID)
	if err != nil {
		return "", err
	}
	if a.TOTPSecret == nil {
		return "", errors.New("console: no totp secret")
	}
	return hotp(a.TOTPSecret, uint64(totpStep(s.clock())+offsetSteps), totpDigits), nil
}
