package store

import (
	"context"
	"time"
)

// Account is an operator of the console.
type Account struct {
	ID           string
	Email        string // lower-cased, unique
	PasswordHash string // argon2id in PHC form
	Role         string // owner | admin | viewer
	Sites        []string
	AllSites     bool   // Sites is ignored when true
	TOTPSecret   []byte // sealed by the Cipher at rest; nil when none was ever enrolled
	TOTPEnabled  bool
	// TOTPLastStep is the last accepted TOTP time step: a code is never accepted twice.
	TOTPLastStep int64
	DisabledAt   time.Time // zero = active
	// TokenVersion is bumped to end every console session of the account at once (password
	// change, disable, role change).
	TokenVersion int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// AdminSession is one signed-in console browser. Only the SHA-256 of its cookie is stored.
type AdminSession struct {
	IDHash       string
	AccountID    string
	TokenVersion int // the account's TokenVersion when it was made
	CreatedAt    time.Time
	LastSeen     time.Time
	ExpiresAt    time.Time // absolute expiry
	IP           string
	UserAgent    string
}

// APIToken is a bearer token of an account. Only the SHA-256 of the token is stored.
type APIToken struct {
	ID         string
	AccountID  string
	Name       string
	TokenHash  string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero = never
	LastUsedAt time.Time // zero = never used
	RevokedAt  time.Time // zero = live
}

// Accounts stores the console's operators and their credentials. Emails are compared as
// given: callers lower-case them.
type Accounts interface {
	// CountAccounts counts every account, disabled ones included.
	CountAccounts(ctx context.Context) (int, error)
	// CreateAccount inserts a; ErrConflict when the email is taken.
	CreateAccount(ctx context.Context, a Account) error
	// GetAccount and GetAccountByEmail return ErrNotFound for an unknown account.
	GetAccount(ctx context.Context, id string) (Account, error)
	GetAccountByEmail(ctx context.Context, email string) (Account, error)
	// ListAccounts returns every account ordered by email.
	ListAccounts(ctx context.Context) ([]Account, error)
	// UpdateAccount rewrites every field but ID and CreatedAt; ErrNotFound for an unknown id,
	// ErrConflict when the new email is taken.
	UpdateAccount(ctx context.Context, a Account) error
	// UseTOTPStep records step as the account's last accepted TOTP step if it is newer than
	// the one stored, and reports whether it was (false = replayed or older code).
	UseTOTPStep(ctx context.Context, accountID string, step int64) (bool, error)

	// CreateAdminSession inserts a console session.
	CreateAdminSession(ctx context.Context, s AdminSession) error
	// GetAdminSession returns ErrNotFound for an unknown id hash.
	GetAdminSession(ctx context.Context, idHash string) (AdminSession, error)
	// TouchAdminSession moves LastSeen forward.
	TouchAdminSession(ctx context.Context, idHash string, lastSeen time.Time) error
	// DeleteAdminSession removes one session (logout); deleting an unknown one is not an error.
	DeleteAdminSession(ctx context.Context, idHash string) error
	// DeleteExpiredAdminSessions removes sessions past their absolute expiry or idle since
	// before idleBefore, and returns how many.
	DeleteExpiredAdminSessions(ctx context.Context, now, idleBefore time.Time) (int, error)

	// CreateAPIToken inserts t.
	CreateAPIToken(ctx context.Context, t APIToken) error
	// GetAPIToken and GetAPITokenByHash return ErrNotFound for an unknown token.
	GetAPIToken(ctx context.Context, id string) (APIToken, error)
	GetAPITokenByHash(ctx context.Context, hash string) (APIToken, error)
	// ListAPITokens returns an account's tokens ("" = every account's), newest first.
	ListAPITokens(ctx context.Context, accountID string) ([]APIToken, error)
	// RevokeAPIToken sets RevokedAt if unset; ErrNotFound for an unknown id.
	RevokeAPIToken(ctx context.Context, id string, at time.Time) error
	// TouchAPIToken moves LastUsedAt forward.
	TouchAPIToken(ctx context.Context, id string, at time.Time) error

	// AddSetupToken stores the hash of a first-run setup token.
	AddSetupToken(ctx context.Context, hash string, expiresAt time.Time) error
	// CreateFirstAccount creates a, the first account, with the setup token whose hash is
	// given, in one transaction that replicas cannot interleave: the token must exist, be
	// unused and unexpired at now, and no account may exist yet (else ErrNotFound, and nothing
	// is written). Every setup token is deleted with it.
	CreateFirstAccount(ctx context.Context, tokenHash string, now time.Time, a Account) error
}

// AccountTOTPAAD binds an account's sealed TOTP secret to its row.
func AccountTOTPAAD(accountID string) string { return "account|" + accountID + "|totp" }
