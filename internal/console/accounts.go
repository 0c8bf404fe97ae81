package console

import (
	"context"
	"errors"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/store"
)

// NewAccount is what creating an account takes.
type NewAccount struct {
	Email    string
	Password string
	Role     string
	Sites    []string // ignored when AllSites
	AllSites bool
}

// CreateAccount validates and stores a new account. Owners always have every site.
func (s *Service) CreateAccount(ctx context.Context, in NewAccount) (store.Account, error) {
	a, err := s.buildAccount(in)
	if err != nil {
		return store.Account{}, err
	}
	if err := s.st.CreateAccount(ctx, a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.Account{}, apierr.AccountExists()
		}
		return store.Account{}, err
	}
	return a, nil
}

func (s *Service) buildAccount(in NewAccount) (store.Account, error) {
	email := NormalizeEmail(in.Email)
	if err := checkEmail(email); err != nil {
		return store.Account{}, err
	}
	if !ValidRole(in.Role) {
		return store.Account{}, apierr.InvalidRequest("role must be owner, admin or viewer.")
	}
	if err := CheckPassword(in.Password); err != nil {
		return store.Account{}, err
	}
	sites, all, err := scope(in.Role, in.Sites, in.AllSites)
	if err != nil {
		return store.Account{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return store.Account{}, err
	}
	now := s.clock()
	return store.Account{
		ID: newID(), Email: email, PasswordHash: hash, Role: in.Role, Sites: sites, AllSites: all,
		TokenVersion: 1, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// scope normalizes a role's site scope: owners have every site.
func scope(role string, sites []string, all bool) ([]string, bool, error) {
	if role == RoleOwner || all {
		return nil, true, nil
	}
	ids, err := checkSites(sites)
	return ids, false, err
}

// GetAccount returns 404 not_found for an unknown id.
func (s *Service) GetAccount(ctx context.Context, id string) (store.Account, error) {
	a, err := s.st.GetAccount(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Account{}, apierr.NotFound()
	}
	return a, err
}

// GetAccountByEmail returns 404 not_found for an unknown email.
func (s *Service) GetAccountByEmail(ctx context.Context, email string) (store.Account, error) {
	a, err := s.st.GetAccountByEmail(ctx, NormalizeEmail(email))
	if errors.Is(err, store.ErrNotFound) {
		return store.Account{}, apierr.NotFound()
	}
	return a, err
}

// ListAccounts returns every account ordered by email.
func (s *Service) ListAccounts(ctx context.Context) ([]store.Account, error) {
	return s.st.ListAccounts(ctx)
}

// AccountPatch changes an account; nil fields stay as they are.
type AccountPatch struct {
	Email    *string
	Role     *string
	Sites    *[]string // with AllSites false
	AllSites *bool
	Disabled *bool
	// DisableTOTP turns the account's two-factor sign-in off (an owner helping someone who
	// lost their authenticator).
	DisableTOTP bool
}

// UpdateAccount applies p and returns the account before and after. It refuses to leave no
// active owner. Disabling ends the account's sessions.
func (s *Service) UpdateAccount(ctx context.Context, id string, p AccountPatch) (before, after store.Account, err error) {
	before, err = s.GetAccount(ctx, id)
	if err != nil {
		return before, after, err
	}
	now := s.clock()
	after, err = applyPatch(before, p, now)
	if err != nil {
		return before, after, err
	}
	if err := s.keepAnOwner(ctx, before, after); err != nil {
		return before, after, err
	}
	if before.DisabledAt.IsZero() != after.DisabledAt.IsZero() || before.Role != after.Role {
		after.TokenVersion++ // sessions made under the old role or state end
	}
	after.UpdatedAt = now
	if err := s.st.UpdateAccount(ctx, after); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return before, after, apierr.AccountExists()
		}
		return before, after, err
	}
	return before, after, nil
}

func applyPatch(a store.Account, p AccountPatch, now time.Time) (store.Account, error) {
	if p.Email != nil {
		email := NormalizeEmail(*p.Email)
		if err := checkEmail(email); err != nil {
			return a, err
		}
		a.Email = email
	}
	if p.Role != nil {
		if !ValidRole(*p.Role) {
			return a, apierr.InvalidRequest("role must be owner, admin or viewer.")
		}
		a.Role = *p.Role
	}
	if p.AllSites != nil {
		a.AllSites = *p.AllSites
	}
	if p.Sites != nil {
		a.Sites, a.AllSites = *p.Sites, false
	}
	sites, all, err := scope(a.Role, a.Sites, a.AllSites)
	if err != nil {
		return a, err
	}
	a.Sites, a.AllSites = sites, all
	if p.Disabled != nil {
		switch {
		case *p.Disabled && a.DisabledAt.IsZero():
			a.DisabledAt = now
		case !*p.Disabled:
			a.DisabledAt = time.Time{}
		}
	}
	if p.DisableTOTP {
		a.TOTPEnabled, a.TOTPSecret = false, nil
	}
	return a, nil
}

// keepAnOwner refuses a change that turns the last active owner into something else.
func (s *Service) keepAnOwner(ctx context.Context, before, after store.Account) error {
	wasOwner := before.Role == RoleOwner && before.DisabledAt.IsZero()
	isOwner := after.Role == RoleOwner && after.DisabledAt.IsZero()
	if !wasOwner || isOwner {
		return nil
	}
	all, err := s.st.ListAccounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range all {
		if a.ID != before.ID && a.Role == RoleOwner && a.DisabledAt.IsZero() {
			return nil
		}
	}
	return apierr.LastOwner()
}

// SetPassword replaces an account's password (CLI, an owner's reset) and ends its sessions.
func (s *Service) SetPassword(ctx context.Context, id, password string) (store.Account, error) {
	if err := CheckPassword(password); err != nil {
		return store.Account{}, err
	}
	a, err := s.GetAccount(ctx, id)
	if err != nil {
		return store.Account{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return store.Account{}, err
	}
	a.PasswordHash, a.TokenVersion, a.UpdatedAt = hash, a.TokenVersion+1, s.clock()
	return a, s.st.UpdateAccount(ctx, a)
}

// ChangeOwnPassword checks the current password, sets the new one, ends every session of the
// account (this one included) and starts a new session for the caller when it signed in
// with a cookie.
func (s *Service) ChangeOwnPassword(ctx context.Context, p *Principal, current, next string, c Client) (*SignedIn, error) {
	if err := CheckPassword(next); err != nil {
		return nil, err
	}
	ok, err := VerifyPassword(p.Account.PasswordHash, current)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apierr.WrongPassword()
	}
	a, err := s.SetPassword(ctx, p.Account.ID, next)
	if err != nil {
		return nil, err
	}
	if p.Via != ViaCookie {
		return nil, nil
	}
	_ = s.st.DeleteAdminSession(ctx, p.SessionHash)
	signed, err := s.startSession(ctx, a, c)
	return &signed, err
}
