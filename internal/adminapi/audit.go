package adminapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/store"
)

func (s *Server) auditRoutes() {
	s.handle("GET /admin/api/v1/audit", console.PermAuditRead, s.listAudit)
}

// auditView is one audit entry as the API shows it.
type auditEntryView struct {
	ID         string          `json:"id"`
	At         time.Time       `json:"at"`
	ActorID    *string         `json:"actor_id"`
	ActorLabel string          `json:"actor_label"`
	ActorIP    string          `json:"actor_ip"`
	Action     string          `json:"action"`
	Summary    string          `json:"summary"`
	SiteID     *string         `json:"site_id"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	Result     string          `json:"result"`
	Diff       json.RawMessage `json:"diff"`
	RequestID  string          `json:"request_id"`
	Hash       string          `json:"hash"`
	PrevHash   string          `json:"prev_hash"`
}

func viewAuditEntry(e store.AuditEntry) auditEntryView {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	v := auditEntryView{ID: e.ID, At: e.At, ActorID: opt(e.ActorID), ActorLabel: e.ActorLabel, ActorIP: e.ActorIP,
		Action: e.Action, SiteID: opt(e.SiteID), TargetType: e.TargetType, TargetID: e.TargetID, Result: e.Result,
		Diff: json.RawMessage(e.Diff), RequestID: e.RequestID, Hash: e.Hash, PrevHash: e.PrevHash}
	if a, ok := audit.Lookup(e.Action); ok {
		v.Summary = a.Summary()
	}
	if !json.Valid(v.Diff) {
		v.Diff = json.RawMessage("{}")
	}
	return v
}

// listAudit answers GET /audit?action=&actor_id=&site=&target_type=&target_id=&result=&from=&to=&cursor=&limit=
// newest first, with keyset pagination. Admins see the entries of their sites and their own.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	f.Scope = p.AuditScope()
	entries, err := s.Audit.List(r.Context(), f)
	if err != nil {
		return err
	}
	out := listBody[auditEntryView]{Items: make([]auditEntryView, 0, len(entries))}
	for _, e := range entries {
		out.Items = append(out.Items, viewAuditEntry(e))
	}
	if len(entries) == f.Limit {
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(entries[len(entries)-1].ID))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func auditFilter(r *http.Request) (store.AuditFilter, error) {
	q := r.URL.Query()
	f := store.AuditFilter{
		ActorID: q.Get("actor_id"), SiteID: q.Get("site"), TargetType: q.Get("target_type"),
		TargetID: q.Get("target_id"), Result: q.Get("result"), Limit: store.DefaultPageLimit,
	}
	if a := q.Get("action"); a != "" {
		if _, ok := audit.Lookup(a); !ok {
			return f, apierr.InvalidRequest("action is not a known audit action.")
		}
		f.Action = a
	}
	switch f.Result {
	case "", "ok", "denied", "error":
	default:
		return f, apierr.InvalidRequest("result must be ok, denied or error.")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageLimit {
			return f, apierr.InvalidLimit("limit must be 1-200.")
		}
		f.Limit = n
	}
	var err error
	if f.From, err = timeParam(q.Get("from"), "from"); err != nil {
		return f, err
	}
	if f.To, err = timeParam(q.Get("to"), "to"); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, apierr.InvalidRange("from must be before to.")
	}
	if c := q.Get("cursor"); c != "" {
		id, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || uuid.Validate(string(id)) != nil {
			return f, apierr.InvalidCursor()
		}
		f.Before = string(id)
	}
	return f, nil
}

// timeParam reads an RFC 3339 time ("" = none).
func timeParam(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, apierr.InvalidRequest(name + " must be an RFC 3339 time like 2026-03-01T00:00:00Z.")
	}
	return t, nil
}
