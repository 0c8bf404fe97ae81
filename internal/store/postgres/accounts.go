package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatproxy/chatproxy/internal/store"
)

var _ store.Accounts = (*Store)(nil)

const accountColumns = `id, email, password_hash, role, sites, totp_secret_enc, totp_enabled, totp_last_step,
disabled_at, token_version, created_at, updated_at`

const insertAccount = `INSERT INTO accounts (` + accountColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

// CountAccounts counts every account.
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	return n, wrapErr("count accounts", err)
}

// CreateAccount inserts a; ErrConflict when the email is taken.
func (s *Store) CreateAccount(ctx context.Context, a store.Account) error {
	args, err := s.accountArgs(a)
	if err != nil {
		return wrapErr("create account", err)
	}
	_, err = s.pool.Exec(ctx, insertAccount, args...)
	return wrapErr("create account", conflict(err))
}

// accountArgs is a's row in column order, with the TOTP secret sealed.
func (s *Store) accountArgs(a store.Account) ([]any, error) {
	var sites *string
	if !a.AllSites {
		list := a.Sites
		if list == nil {
			list = []string{}
		}
		b, err := json.Marshal(list)
		if err != nil {
			return nil, err
		}
		str := string(b)
		sites = &str
	}
	var totp []byte
	if a.TOTPSecret != nil {
		sealed, err := s.cipher.Seal(a.TOTPSecret, store.AccountTOTPAAD(a.ID))
		if err != nil {
			return nil, fmt.Errorf("seal totp secret: %w", err)
		}
		totp = sealed
	}
	return []any{a.ID, a.Email, a.PasswordHash, a.Role, sites, totp, a.TOTPEnabled, a.TOTPLastStep,
		optTime(a.DisabledAt), a.TokenVersion, a.CreatedAt, a.UpdatedAt}, nil
}

// GetAccount returns ErrNotFound for an unknown id.
func (s *Store) GetAccount(ctx context.Context, id string) (store.Account, error) {
	a, err := s.scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	return a, wrapErr("get account", err)
}

// GetAccountByEmail returns ErrNotFound for an unknown email.
func (s *Store) GetAccountByEmail(ctx context.Context, email string) (store.Account, error) {
	a, err := s.scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE email = $1`, email))
	return a, wrapErr("get account by email", err)
}

// ListAccounts returns every account ordered by email.
func (s *Store) ListAccounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY email`)
	if err != nil {
		return nil, wrapErr("list accounts", err)
	}
	defer rows.Close()
	var out []store.Account
	for rows.Next() {
		a, err := s.scanAccount(rows)
		if err != nil {
			return nil, wrapErr("list accounts", err)
		}
		out = append(out, a)
	}
	return out, wrapErr("list accounts", rows.Err())
}

// UpdateAccount rewrites every field but id and created_at.
func (s *Store) UpdateAccount(ctx context.Context, a store.Account) error {
	args, err := s.accountArgs(a)
	if err != nil {
		return wrapErr("update account", err)
	}
	// args is in accountColumns order: id first, created_at (left alone) and updated_at last.
	set := append(append([]any{}, args[:10]...), args[11])
	tag, err := s.pool.Exec(ctx, `UPDATE accounts SET email = $2, password_hash = $3, role = $4, sites = $5,
totp_secret_enc = $6, totp_enabled = $7, totp_last_step = $8, disabled_at = $9, token_version = $10, updated_at = $11
WHERE id = $1`, set...)
	if err != nil {
		return wrapErr("update account", conflict(err))
	}
	if tag.RowsAffected() == 0 {
		return wrapErr("update account", store.ErrNotFound)
	}
	return nil
}

// UseTOTPStep records step if it is newer than the last accepted one.
func (s *Store) UseTOTPStep(ctx context.Context, accountID string, step int64) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, accountID, step)
	if err != nil {
		return false, wrapErr("use totp step", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (s *Store) scanAccount(r pgx.Row) (store.Account, error) {
	var a store.Account
	var sites []byte
	var totp []byte
	var disabled *time.Time
	if err := r.Scan(&a.ID, &a.Email, &a.PasswordHash, &a.Role, &sites, &totp, &a.TOTPEnabled, &a.TOTPLastStep,
		&disabled, &a.TokenVersion, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return store.Account{}, err
	}
	a.AllSites = sites == nil
	if sites != nil {
		if err := json.Unmarshal(sites, &a.Sites); err != nil {
			return store.Account{}, fmt.Errorf("account %s sites: %w", a.ID, err)
		}
	}
	if totp != nil {
		plain, err := s.cipher.Open(totp, store.AccountTOTPAAD(a.ID))
		if err != nil {
			return store.Account{}, fmt.Errorf("open totp secret of %s: %w", a.ID, err)
		}
		a.TOTPSecret = plain
	}
	if disabled != nil {
		a.DisabledAt = utc(*disabled)
	}
	a.CreatedAt, a.UpdatedAt = utc(a.CreatedAt), utc(a.UpdatedAt)
	return a, nil
}

// AddSetupToken stores a setup token's hash.
func (s *Store) AddSetupToken(ctx context.Context, hash string, expiresAt time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO setup_tokens (token_hash, expires_at) VALUES ($1, $2)`, hash, expiresAt)
	return wrapErr("add setup token", err)
}

// CreateFirstAccount creates the first account with a valid setup token. The transaction
// locks setup_tokens first, so replicas racing with two different tokens take turns and the
// second finds an account (and no token) and fails.
func (s *Store) CreateFirstAccount(ctx context.Context, tokenHash string, now time.Time, a store.Account) error {
	args, err := s.accountArgs(a)
	if err != nil {
		return wrapErr("create first account", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE setup_tokens IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM accounts) AND EXISTS (SELECT 1 FROM setup_tokens
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2)`, tokenHash, now).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		if _, err := tx.Exec(ctx, insertAccount, args...); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM setup_tokens`)
		return err
	})
	return wrapErr("create first account", err)
}

// conflict maps a unique violation to store.ErrConflict.
func conflict(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return err
}

// optTime is nil for the zero time (a NULL column).
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func fromOpt(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return utc(*t)
}
