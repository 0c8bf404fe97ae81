package adminapi

import (
	"net/http"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/store"
)

func (s *Server) tokenRoutes() {
	s.handle("GET /admin/api/v1/tokens", console.PermSelf, s.listTokens)
	s.handle("POST /admin/api/v1/tokens", console.PermSelf, s.createToken)
	s.handle("DELETE /admin/api/v1/tokens/{id}", console.PermSelf, s.revokeToken)
}

// tokenView is an API token as listed: never the token itself or its hash.
type tokenView struct {
	ID         string     `json:"id"`
	AccountID  string     `json:"account_id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func viewToken(t store.APIToken) tokenView {
	opt := func(v time.Time) *time.Time {
		if v.IsZero() {
			return nil
		}
		return &v
	}
	return tokenView{ID: t.ID, AccountID: t.AccountID, Name: t.Name, CreatedAt: t.CreatedAt,
		ExpiresAt: opt(t.ExpiresAt), LastUsedAt: opt(t.LastUsedAt), RevokedAt: opt(t.RevokedAt)}
}

// tokenOwner is whose tokens a request is about: the caller's own, or (owners only)
// ?account_id=<id>, or "*" for everyone's.
func tokenOwner(p *console.Principal, requested string) (string, error) {
	switch {
	case requested == "" || requested == p.ID():
		return p.ID(), nil
	case !p.Can(console.PermAccountsManage):
		return "", apierr.Forbidden("Only owners manage other accounts' tokens.")
	case requested == "*":
		return "", nil
	}
	return requested, nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	owner, err := tokenOwner(p, r.URL.Query().Get("account_id"))
	if err != nil {
		return err
	}
	all, err := s.Console.ListTokens(r.Context(), owner)
	if err != nil {
		return err
	}
	out := listBody[tokenView]{Items: make([]tokenView, 0, len(all))}
	for _, t := range all {
		out.Items = append(out.Items, viewToken(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type createTokenRequest struct {
	Name      string `json:"name"`
	Expires   string `json:"expires"`    // a lifetime like "30d"; "" = never
	AccountID string `json:"account_id"` // owners only; "" = the caller
}

type createdTokenBody struct {
	tokenView
	Token string `json:"token"` // shown once
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	var req createTokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	owner, err := tokenOwner(p, req.AccountID)
	if err != nil {
		s.record(r, p, audit.Entry{Action: audit.TokenCreate, Result: audit.Denied, TargetType: "account", TargetID: req.AccountID})
		return err
	}
	if owner == "" {
		return apierr.InvalidRequest("account_id must name one account.")
	}
	ttl, err := console.ParseTTL(req.Expires)
	if err != nil {
		return err
	}
	raw, t, err := s.Console.CreateToken(r.Context(), owner, req.Name, ttl)
	if err != nil {
		return err
	}
	s.record(r, p, audit.Entry{Action: audit.TokenCreate, TargetType: "token", TargetID: t.ID,
		Diff: map[string]any{"token_name": t.Name, "account_id": t.AccountID, "expires_at": viewToken(t).ExpiresAt}})
	writeJSON(w, http.StatusCreated, createdTokenBody{tokenView: viewToken(t), Token: raw})
	return nil
}

// revokeToken revokes the caller's own token, or any token for an owner. Someone else's
// token answers 404 to anyone else, as an unknown one does.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	id := r.PathValue("id")
	t, err := s.Console.GetToken(r.Context(), id)
	if err != nil {
		return err
	}
	if t.AccountID != p.ID() && !p.Can(console.PermAccountsManage) {
		s.record(r, p, audit.Entry{Action: audit.TokenRevoke, Result: audit.Denied, TargetType: "token", TargetID: id})
		return apierr.NotFound()
	}
	t, err = s.Console.RevokeToken(r.Context(), id)
	if err != nil {
		return err
	}
	s.record(r, p, audit.Entry{Action: audit.TokenRevoke, TargetType: "token", TargetID: id,
		Diff: map[string]any{"token_name": t.Name, "account_id": t.AccountID}})
	writeJSON(w, http.StatusOK, viewToken(t))
	return nil
}
