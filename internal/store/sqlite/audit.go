package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/chatproxy/chatproxy/internal/store"
)

var _ store.AuditLog = (*Store)(nil)

const auditColumns = `seq, id, at, actor_id, actor_label, actor_ip, action, site_id, target_type, target_id,
result, diff, request_id, prev_hash, hash`

// AppendAudit chains and inserts e. The single writer connection serializes appends.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry, hash store.AuditHashFunc) (store.AuditEntry, error) {
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		e.PrevHash = ""
		e.Diff = []byte(jsonOrEmpty(e.Diff)) // hashed as stored
		err := tx.QueryRowContext(ctx, `SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&e.PrevHash)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		e.Hash = hash(e)
		res, err := tx.ExecContext(ctx, `INSERT INTO audit_log (id, at, actor_id, actor_label, actor_ip, action, site_id,
target_type, target_id, result, diff, request_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, toDB(e.At), nullString(e.ActorID), e.ActorLabel, e.ActorIP, e.Action, nullString(e.SiteID),
			e.TargetType, e.TargetID, e.Result, string(e.Diff), e.RequestID, e.PrevHash, e.Hash)
		if err != nil {
			return err
		}
		e.Seq, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return store.AuditEntry{}, wrapErr("append audit", err)
	}
	e.At = normalize(e.At)
	return e, nil
}

// ListAudit returns matching entries, newest first.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	where, args := auditWhere(f)
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, store.PageLimit(f.Limit))
	if s.closed.Load() {
		return nil, errClosed("list audit")
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	return scanAudit(rows, err, "list audit")
}

// auditWhere builds the filter's conditions.
func auditWhere(f store.AuditFilter) ([]string, []any) {
	var where []string
	var args []any
	eq := func(col, v string) {
		if v != "" {
			where, args = append(where, col+` = ?`), append(args, v)
		}
	}
	eq("action", f.Action)
	eq("actor_id", f.ActorID)
	eq("site_id", f.SiteID)
	eq("target_type", f.TargetType)
	eq("target_id", f.TargetID)
	eq("result", f.Result)
	if !f.From.IsZero() {
		where, args = append(where, `at >= ?`), append(args, toDB(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, `at < ?`), append(args, toDB(f.To))
	}
	if f.Before != "" {
		where, args = append(where, `id < ?`), append(args, f.Before)
	}
	if sc := f.Scope; sc != nil {
		cond := `site_id IS NOT NULL`
		if !sc.AnySite {
			cond = `site_id IN (SELECT value FROM json_each(?))`
			args = append(args, jsonList(sc.SiteIDs))
		}
		where, args = append(where, `(`+cond+` OR actor_id = ?)`), append(args, sc.ScopeActor)
	}
	return where, args
}

// AuditChain returns entries in chain order after afterSeq.
func (s *Store) AuditChain(ctx context.Context, afterSeq int64, limit int) ([]store.AuditEntry, error) {
	rows, err := s.query(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, max(limit, 1))
	return scanAudit(rows, err, "audit chain")
}

func scanAudit(rows *sql.Rows, err error, op string) ([]store.AuditEntry, error) {
	if err != nil {
		return nil, wrapErr(op, err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var at int64
		var actor, site sql.NullString
		var diff string
		if err := rows.Scan(&e.Seq, &e.ID, &at, &actor, &e.ActorLabel, &e.ActorIP, &e.Action, &site, &e.TargetType,
			&e.TargetID, &e.Result, &diff, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
			return nil, wrapErr(op, err)
		}
		e.At, e.ActorID, e.SiteID, e.Diff = fromDB(at), actor.String, site.String, []byte(diff)
		out = append(out, e)
	}
	return out, wrapErr(op, rows.Err())
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func jsonList(ids []string) string {
	b, _ := json.Marshal(nonNil(ids)) // a []string always marshals
	return string(b)
}
