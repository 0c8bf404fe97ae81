package console

import (
	"context"
	"errors"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/store"
)

// EnsureSetupToken makes a one-time setup token when there is no account yet, and returns
// it ("" when accounts exist). Each replica that starts on an empty database makes its own;
// the first one used creates the owner and every other one dies with it.
func (s *Service) EnsureSetupToken(ctx context.Context) (string, error) {
	n, err := s.st.CountAccounts(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	token := randomSecret()
	if err := s.st.AddSetupToken(ctx, hashSecret(token), s.clock().Add(SetupTokenTTL)); err != nil {
		return "", err
	}
	return token, nil
}

// SetupInput creates the first owner.
type SetupInput struct {
	Token    string
	Email    string
	Password string
	Client   Client
}

// CompleteSetup creates the first owner with a setup token and signs it in. An unknown,
// used or expired token, or any existing account, answers 400 setup_invalid.
func (s *Service) CompleteSetup(ctx context.Context, in SetupInput) (SignedIn, error) {
	if n, err := s.st.CountAccounts(ctx); err != nil || n > 0 || in.Token == "" || len(in.Token) > 128 {
		if err != nil {
			return SignedIn{}, err
		}
		return SignedIn{}, apierr.SetupInvalid() // before any password hashing
	}
	a, err := s.buildAccount(NewAccount{Email: in.Email, Password: in.Password, Role: RoleOwner, AllSites: true})
	if err != nil {
		return SignedIn{}, err
	}
	if err := s.st.CreateFirstAccount(ctx, hashSecret(in.Token), s.clock(), a); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return SignedIn{}, apierr.SetupInvalid()
		}
		return SignedIn{}, err
	}
	return s.startSession(ctx, a, in.Client)
}
