package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/chatproxy/chatproxy/internal/store"
)

var _ store.Accounts = (*Store)(nil)

const accountColumns = `id, email, password_hash, role, sites, totp_secret_enc, totp_enabled, totp_last_step,
disabled_at, token_version, created_at, updated_at`

// CountAccounts counts every account.
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	return n, wrapErr("count accounts", err)
}

// CreateAccount inserts a; ErrConflict when the email is taken.
func (s *Store) CreateAccount(ctx context.Context, a store.Account) error {
	args, err := s.accountArgs(a)
	if err != nil {
		return wrapErr("create account", err)
	}
	_, err = s.exec(ctx, `INSERT INTO accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	return wrapErr("create account", conflict(err))
}

// accountArgs is a's row in column order, with the TOTP secret sealed.
func (s *Store) accountArgs(a store.Account) ([]any, error) {
	var sites sql.NullString
	if !a.AllSites {
		b, err := json.Marshal(nonNil(a.Sites))
		if err != nil {
			return nil, err
		}
		sites = sql.NullString{String: string(b), Valid: true}
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
		nullTime(a.DisabledAt), a.TokenVersion, toDB(a.CreatedAt), toDB(a.UpdatedAt)}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// GetAccount returns ErrNotFound for an unknown id.
func (s *Store) GetAccount(ctx context.Context, id string) (store.Account, error) {
	a, err := s.scanAccount(s.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	return a, wrapErr("get account", err)
}

// GetAccountByEmail returns ErrNotFound for an unknown email.
func (s *Store) GetAccountByEmail(ctx context.Context, email string) (store.Account, error) {
	a, err := s.scanAccount(s.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE email = ?`, email))
	return a, wrapErr("get account by email", err)
}

// ListAccounts returns every account ordered by email.
func (s *Store) ListAccounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.query(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY email`)
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
	// args is in accountColumns order: id first, created_at and updated_at last.
	set := append(append([]any{}, args[1:10]...), args[11], a.ID)
	res, err := s.exec(ctx, `UPDATE accounts SET email = ?, password_hash = ?, role = ?, sites = ?, totp_secret_enc = ?,
totp_enabled = ?, totp_last_step = ?, disabled_at = ?, token_version = ?, updated_at = ? WHERE id = ?`, set...)
	if err != nil {
		return wrapErr("update account", conflict(err))
	}
	return wrapErr("update account", expectRow(res))
}

// UseTOTPStep records step if it is newer than the last accepted one.
func (s *Store) UseTOTPStep(ctx context.Context, accountID string, step int64) (bool, error) {
	res, err := s.exec(ctx, `UPDATE accounts SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, accountID, step)
	if err != nil {
		return false, wrapErr("use totp step", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrapErr("use totp step", err)
}

func (s *Store) scanAccount(r scanner) (store.Account, error) {
	var a store.Account
	var sites sql.NullString
	var totp []byte
	var disabled sql.NullInt64
	var created, updated int64
	if err := r.Scan(&a.ID, &a.Email, &a.PasswordHash, &a.Role, &sites, &totp, &a.TOTPEnabled, &a.TOTPLastStep,
		&disabled, &a.TokenVersion, &created, &updated); err != nil {
		return store.Account{}, err
	}
	a.AllSites = !sites.Valid
	if sites.Valid {
		if err := json.Unmarshal([]byte(sites.String), &a.Sites); err != nil {
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
	if disabled.Valid {
		a.DisabledAt = fromDB(disabled.Int64)
	}
	a.CreatedAt, a.UpdatedAt = fromDB(created), fromDB(updated)
	return a, nil
}

// AddSetupToken stores a setup token's hash.
func (s *Store) AddSetupToken(ctx context.Context, hash string, expiresAt time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO setup_tokens (token_hash, expires_at) VALUES (?, ?)`, hash, toDB(expiresAt))
	return wrapErr("add setup token", err)
}

// CreateFirstAccount creates the first account with a valid setup token. The single writer
// connection (BEGIN IMMEDIATE) serializes it against every other process on the file.
func (s *Store) CreateFirstAccount(ctx context.Context, tokenHash string, now time.Time, a store.Account) error {
	args, err := s.accountArgs(a)
	if err != nil {
		return wrapErr("create first account", err)
	}
	err = s.inWriteTx(ctx, func(tx *sql.Tx) error {
		var accounts, valid int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM accounts),
(SELECT count(*) FROM setup_tokens WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?)`,
			tokenHash, toDB(now)).Scan(&accounts, &valid); err != nil {
			return err
		}
		if accounts != 0 || valid != 1 {
			return store.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM setup_tokens`)
		return err
	})
	return wrapErr("create first account", err)
}

// conflict maps a unique-constraint violation to store.ErrConflict.
func conflict(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	return err
}
