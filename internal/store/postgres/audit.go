package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatproxy/chatproxy/internal/store"
)

var _ store.AuditLog = (*Store)(nil)

const auditColumns = `seq, id, at, actor_id, actor_label, actor_ip, action, site_id, target_type, target_id,
result, diff, request_id, prev_hash, hash`

// AppendAudit chains and inserts e. A transaction-scoped advisory lock serializes appends
// across replicas, so each reads the hash its predecessor committed.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry, hash store.AuditHashFunc) (store.AuditEntry, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('chatproxy.audit_log'))`); err != nil {
			return err
		}
		e.PrevHash = ""
		e.Diff = []byte(jsonOrEmpty(e.Diff)) // hashed as stored
		err := tx.QueryRow(ctx, `SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&e.PrevHash)
		if err != nil && !isNoRows(err) {
			return err
		}
		e.Hash = hash(e)
		return tx.QueryRow(ctx, `INSERT INTO audit_log (id, at, actor_id, actor_label, actor_ip, action, site_id,
target_type, target_id, result, diff, request_id, prev_hash, hash)
VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, NULLIF($7, ''), $8, $9, $10, $11, $12, $13, $14) RETURNING seq`,
			e.ID, e.At, e.ActorID, e.ActorLabel, e.ActorIP, e.Action, e.SiteID,
			e.TargetType, e.TargetID, e.Result, string(e.Diff), e.RequestID, e.PrevHash, e.Hash).Scan(&e.Seq)
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
	args = append(args, store.PageLimit(f.Limit))
	q += ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	return scanAudit(rows, err, "list audit")
}

// auditWhere builds the filter's conditions with numbered placeholders.
func auditWhere(f store.AuditFilter) ([]string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	for col, v := range map[string]string{"action": f.Action, "actor_id": f.ActorID, "site_id": f.SiteID,
		"target_type": f.TargetType, "target_id": f.TargetID, "result": f.Result} {
		if v != "" {
			add(col+` = $?`, v)
		}
	}
	if !f.From.IsZero() {
		add(`at >= $?`, f.From)
	}
	if !f.To.IsZero() {
		add(`at < $?`, f.To)
	}
	if f.Before != "" {
		add(`id < $?`, f.Before)
	}
	if sc := f.Scope; sc != nil {
		args = append(args, sc.ScopeActor)
		actor := "$" + strconv.Itoa(len(args))
		if sc.AnySite {
			where = append(where, `(site_id IS NOT NULL OR actor_id = `+actor+`)`)
		} else {
			ids, _ := json.Marshal(append([]string{}, sc.SiteIDs...)) // a []string always marshals
			args = append(args, string(ids))
			where = append(where, `(site_id IN (SELECT jsonb_array_elements_text($`+strconv.Itoa(len(args))+`::jsonb)) OR actor_id = `+actor+`)`)
		}
	}
	return where, args
}

// AuditChain returns entries in chain order after afterSeq.
func (s *Store) AuditChain(ctx context.Context, afterSeq int64, limit int) ([]store.AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, afterSeq, max(limit, 1))
	return scanAudit(rows, err, "audit chain")
}

func scanAudit(rows pgx.Rows, err error, op string) ([]store.AuditEntry, error) {
	if err != nil {
		return nil, wrapErr(op, err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var actor, site *string
		var diff []byte
		var at time.Time
		if err := rows.Scan(&e.Seq, &e.ID, &at, &actor, &e.ActorLabel, &e.ActorIP, &e.Action, &site, &e.TargetType,
			&e.TargetID, &e.Result, &diff, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
			return nil, wrapErr(op, err)
		}
		e.At, e.Diff = utc(at), diff
		if actor != nil {
			e.ActorID = *actor
		}
		if site != nil {
			e.SiteID = *site
		}
		out = append(out, e)
	}
	return out, wrapErr(op, rows.Err())
}
