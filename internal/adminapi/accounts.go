package adminapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/store"
)

func (s *Server) accountRoutes() {
	s.handle("GET /admin/api/v1/accounts", console.PermAccountsManage, s.listAccounts)
	s.handle("POST /admin/api/v1/accounts", console.PermAccountsManage, s.createAccount, DeniedAs(audit.AccountCreate, "account"))
	s.handle("GET /admin/api/v1/accounts/{id}", console.PermAccountsManage, s.getAccount)
	s.handle("PATCH /admin/api/v1/accounts/{id}", console.PermAccountsManage, s.updateAccount, DeniedAs(audit.AccountUpdate, "account"))
}

// accountView is an account as the API shows it: never its password hash or TOTP secret.
type accountView struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Role        string     `json:"role"`
	Sites       []string   `json:"sites"` // null with all_sites
	AllSites    bool       `json:"all_sites"`
	TOTPEnabled bool       `json:"totp_enabled"`
	Disabled    bool       `json:"disabled"`
	DisabledAt  *time.Time `json:"disabled_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func viewAccount(a store.Account) accountView {
	v := accountView{ID: a.ID, Email: a.Email, Role: a.Role, AllSites: a.AllSites, TOTPEnabled: a.TOTPEnabled,
		Disabled: !a.DisabledAt.IsZero(), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if !a.AllSites {
		v.Sites = append([]string{}, a.Sites...)
	}
	if v.Disabled {
		at := a.DisabledAt
		v.DisabledAt = &at
	}
	return v
}

// auditView is what an account's audit diff compares: the view without timestamps.
func auditView(a store.Account) map[string]any {
	return map[string]any{"email": a.Email, "role": a.Role, "sites": viewAccount(a).Sites, "all_sites": a.AllSites,
		"totp_enabled": a.TOTPEnabled, "disabled": !a.DisabledAt.IsZero()}
}

type listBody[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, _ *console.Principal) error {
	all, err := s.Console.ListAccounts(r.Context())
	if err != nil {
		return err
	}
	out := listBody[accountView]{Items: make([]accountView, 0, len(all))}
	for _, a := range all {
		out.Items = append(out.Items, viewAccount(a))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type createAccountRequest struct {
	Email    string    `json:"email"`
	Password string    `json:"password"`
	Role     string    `json:"role"`
	Sites    *[]string `json:"sites"` // absent or null = all sites
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	var req createAccountRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in := console.NewAccount{Email: req.Email, Password: req.Password, Role: req.Role, AllSites: req.Sites == nil}
	if req.Sites != nil {
		in.Sites = *req.Sites
	}
	a, err := s.Console.CreateAccount(r.Context(), in)
	if err != nil {
		return err
	}
	s.record(r, p, audit.Entry{Action: audit.AccountCreate, TargetType: "account", TargetID: a.ID, Diff: audit.Changes(nil, auditView(a))})
	writeJSON(w, http.StatusCreated, viewAccount(a))
	return nil
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request, _ *console.Principal) error {
	a, err := s.Console.GetAccount(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewAccount(a))
	return nil
}

// updateAccountRequest is a merge patch: absent fields stay; "sites": null means all sites.
type updateAccountRequest struct {
	Email       *string         `json:"email"`
	Role        *string         `json:"role"`
	Sites       json.RawMessage `json:"sites"`
	Disabled    *bool           `json:"disabled"`
	TOTPEnabled *bool           `json:"totp_enabled"` // only false: turn off a lost authenticator
	Password    *string         `json:"password"`     // an owner's reset; ends the account's sessions
}

func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	var req updateAccountRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	patch, err := req.patch()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	before, after, err := s.Console.UpdateAccount(r.Context(), id, patch)
	if err != nil {
		return err
	}
	action := audit.AccountUpdate
	if !after.DisabledAt.IsZero() && before.DisabledAt.IsZero() {
		action = audit.AccountDisable
	}
	if diff := audit.Changes(auditView(before), auditView(after)); len(diff) > 0 || req.Password == nil {
		s.record(r, p, audit.Entry{Action: action, TargetType: "account", TargetID: id, Diff: diff})
	}
	if req.Password != nil {
		if after, err = s.Console.SetPassword(r.Context(), id, *req.Password); err != nil {
			return err
		}
		s.record(r, p, audit.Entry{Action: audit.AccountPassword, TargetType: "account", TargetID: id})
	}
	writeJSON(w, http.StatusOK, viewAccount(after))
	return nil
}

func (req updateAccountRequest) patch() (console.AccountPatch, error) {
	patch := console.AccountPatch{Email: req.Email, Role: req.Role, Disabled: req.Disabled}
	if req.TOTPEnabled != nil {
		if *req.TOTPEnabled {
			return patch, apierr.InvalidRequest("totp_enabled can only be set to false here; the account's owner enrols at /me/totp.")
		}
		patch.DisableTOTP = true
	}
	if req.Password != nil {
		if err := console.CheckPassword(*req.Password); err != nil {
			return patch, err // before anything changes: nothing is half-saved
		}
	}
	if len(req.Sites) == 0 {
		return patch, nil
	}
	if bytes.Equal(bytes.TrimSpace(req.Sites), []byte("null")) {
		all := true
		patch.AllSites = &all
		return patch, nil
	}
	var sites []string
	if err := json.Unmarshal(req.Sites, &sites); err != nil {
		return patch, apierr.InvalidRequest("sites must be a list of site ids, or null for all sites.")
	}
	patch.Sites = &sites
	return patch, nil
}
