package adminapi

import (
	"context"
	"net/http"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/console"
)

func (s *Server) authRoutes() {
	s.public("POST /admin/api/v1/setup", s.setup)
	s.public("POST /admin/api/v1/login", s.login)
	s.handle("POST /admin/api/v1/logout", console.PermSelf, s.logout)
	s.handle("GET /admin/api/v1/me", console.PermSelf, s.me)
	s.handle("POST /admin/api/v1/me/password", console.PermSelf, s.changePassword)
	s.handle("POST /admin/api/v1/me/totp", console.PermSelf, s.startTOTP)
	s.handle("POST /admin/api/v1/me/totp/confirm", console.PermSelf, s.confirmTOTP)
	s.handle("DELETE /admin/api/v1/me/totp", console.PermSelf, s.disableTOTP)
}

// signedInBody is the answer to every sign-in: the CSRF token the app sends back in
// X-CSRF-Token, and the account.
type signedInBody struct {
	CSRFToken string      `json:"csrf_token"`
	Account   accountView `json:"account"`
}

// setSessionCookie sets the console cookie: HttpOnly, SameSite=Strict, Path=/admin/, Secure
// over HTTPS. It is a session cookie for the browser; the server ends it after 12 h idle or
// 7 days.
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: value, Path: Prefix, MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.scheme(r) == "https" || s.Config.AdminHTTPS(),
	})
}

func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, in console.SignedIn) {
	s.setSessionCookie(w, r, in.Cookie, int(console.SessionMaxAge.Seconds()))
	writeJSON(w, http.StatusOK, signedInBody{CSRFToken: in.CSRFToken, Account: viewAccount(in.Account)})
}

type setupRequest struct {
	Token    string `json:"token"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// setup creates the first owner with the one-time token from the start-up log, and signs in.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) error {
	var req setupRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in, err := s.Console.CompleteSetup(r.Context(), console.SetupInput{Token: req.Token, Email: req.Email, Password: req.Password, Client: s.client(r)})
	if err != nil {
		if ae, ok := apierr.As(err); ok && ae.Code == "setup_invalid" {
			s.record(r, nil, audit.Entry{Actor: audit.Actor{Label: "setup"}, Action: audit.AuthSetup, Result: audit.Denied})
		}
		return err
	}
	p := &console.Principal{Account: in.Account}
	s.record(r, p, audit.Entry{Action: audit.AuthSetup, TargetType: "account", TargetID: in.Account.ID,
		Diff: audit.Changes(nil, viewAccount(in.Account))})
	s.signedIn(w, r, in)
	return nil
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TOTP     string `json:"totp,omitempty"`
}

// login signs in. Every attempt, good or bad, is audited; a browser's earlier cookie is
// never reused (a new id is set).
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	in, att, err := s.Console.Login(r.Context(), console.LoginInput{Email: req.Email, Password: req.Password, TOTP: req.TOTP, Client: s.client(r)})
	if err != nil {
		// Refusals during back-off are not sign-in attempts (nothing was checked) and are not
		// written, so a locked-out attacker cannot grow the log; metrics count them.
		if ae, ok := apierr.As(err); ok && ae.Code != "login_backoff" {
			s.record(r, nil, audit.Entry{Actor: audit.Actor{ID: att.AccountID, Label: att.Email}, Action: audit.AuthLoginFailed,
				Result: audit.Denied, TargetType: "account", TargetID: att.AccountID, Diff: map[string]string{"reason": ae.Code}})
		}
		return err
	}
	s.endOldSession(r)
	s.record(r, &console.Principal{Account: in.Account}, audit.Entry{Action: audit.AuthLogin, TargetType: "account", TargetID: in.Account.ID})
	s.signedIn(w, r, in)
	return nil
}

// endOldSession deletes the session a browser held before signing in again, so a cookie
// planted before sign-in is useless after it.
func (s *Server) endOldSession(r *http.Request) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return
	}
	if p, err := s.Console.AuthenticateCookie(r.Context(), c.Value); err == nil {
		_ = s.Console.Logout(r.Context(), p)
	}
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	if err := s.Console.Logout(r.Context(), p); err != nil {
		return err
	}
	s.record(r, p, audit.Entry{Action: audit.AuthLogout, TargetType: "account", TargetID: p.ID()})
	s.setSessionCookie(w, r, "", -1)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type meBody struct {
	Account   accountView `json:"account"`
	CSRFToken string      `json:"csrf_token,omitempty"` // cookie sessions only
	Via       string      `json:"via"`                  // cookie | token
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	writeJSON(w, http.StatusOK, meBody{Account: viewAccount(p.Account), CSRFToken: p.CSRFToken(), Via: p.Via})
	return nil
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword ends every session of the account; a cookie caller gets a new one.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	var req passwordRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	fresh, err := s.Console.ChangeOwnPassword(r.Context(), p, req.CurrentPassword, req.NewPassword, s.client(r))
	if err != nil {
		if ae, ok := apierr.As(err); ok && ae.Code == "wrong_password" {
			s.record(r, p, audit.Entry{Action: audit.AccountPassword, Result: audit.Denied, TargetType: "account", TargetID: p.ID()})
		}
		return err
	}
	s.record(r, p, audit.Entry{Action: audit.AccountPassword, TargetType: "account", TargetID: p.ID()})
	if fresh != nil {
		s.signedIn(w, r, *fresh)
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type totpStartBody struct {
	Secret string `json:"secret"`
	URI    string `json:"otpauth_uri"`
}

func (s *Server) startTOTP(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	e, err := s.Console.StartTOTP(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, totpStartBody{Secret: e.Secret, URI: e.URI})
	return nil
}

type codeRequest struct {
	Code string `json:"code"`
}

func (s *Server) confirmTOTP(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	return s.totpChange(w, r, p, audit.AuthTOTPEnabled, s.Console.ConfirmTOTP)
}

func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	return s.totpChange(w, r, p, audit.AuthTOTPDisabled, s.Console.DisableTOTP)
}

// totpChange runs a TOTP step that takes a code, audits it, and answers with the account.
func (s *Server) totpChange(w http.ResponseWriter, r *http.Request, p *console.Principal, action audit.Action,
	change func(ctx context.Context, p *console.Principal, code string) error) error {
	var req codeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := change(r.Context(), p, req.Code); err != nil {
		if ae, ok := apierr.As(err); ok && ae.Code == "invalid_totp" {
			s.record(r, p, audit.Entry{Action: action, Result: audit.Denied, TargetType: "account", TargetID: p.ID()})
		}
		return err
	}
	s.record(r, p, audit.Entry{Action: action, TargetType: "account", TargetID: p.ID()})
	a, err := s.Console.GetAccount(r.Context(), p.ID())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewAccount(a))
	return nil
}
