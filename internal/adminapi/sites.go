package adminapi

import (
	"encoding/json"
	"net/http"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/sitecfg"
)

// siteRoutes: sites managed at runtime (docs/console.md "Sites"). Scope: reads need the site
// in scope (403 otherwise: site ids are not secret), changes too; creating needs every site.
func (s *Server) siteRoutes() {
	s.handle("GET /admin/api/v1/sites", console.PermSitesRead, s.listSites)
	s.handle("POST /admin/api/v1/sites", console.PermSitesCreate, s.createSite, DeniedAs(audit.SiteCreate, "site"))
	s.handle("GET /admin/api/v1/sites/{id}", console.PermSitesRead, s.getSite)
	s.handle("PATCH /admin/api/v1/sites/{id}", console.PermSitesEdit, s.updateSite, DeniedAs(audit.SiteUpdate, "site"))
	s.handle("DELETE /admin/api/v1/sites/{id}", console.PermSitesDelete, s.deleteSite, DeniedAs(audit.SiteDelete, "site"))
	s.handle("POST /admin/api/v1/sites/{id}/rotate-secret", console.PermSitesEdit, s.rotateSiteSecret,
		DeniedAs(audit.SiteSecretRotate, "site"))
}

// forCaller hides what the caller's role may not read: viewers get no webhook URL.
func forCaller(v sitecfg.View, p *console.Principal) sitecfg.View {
	if !p.SeesWebhookURL() {
		v.WebhookURL = ""
	}
	return v
}

// auditState is what a site change's diff compares: the settings and whether the site is
// disabled (never keys; key ids are in the rotation's own diff).
type auditState struct {
	config.Site
	Disabled bool `json:"disabled"`
}

func stateOf(v sitecfg.View) auditState { return auditState{Site: v.Site, Disabled: v.Disabled} }

func (s *Server) listSites(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	views, err := s.Sites.List(r.Context(), p.InScope)
	if err != nil {
		return err
	}
	out := listBody[sitecfg.View]{Items: make([]sitecfg.View, 0, len(views))}
	for _, v := range views {
		out.Items = append(out.Items, forCaller(v, p))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getSite(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	id := r.PathValue("id")
	if !p.CanReadSite(id) {
		return apierr.Forbidden("This site is outside your sites.")
	}
	v, err := s.Sites.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeSite(w, http.StatusOK, forCaller(v, p))
	return nil
}

func (s *Server) createSite(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	if !p.CanCreateSite() {
		return s.deny(r, p, audit.Entry{Action: audit.SiteCreate, TargetType: "site"})
	}
	body, err := readBody(w, r, sitecfg.MaxBody)
	if err != nil {
		return err
	}
	created, err := s.Sites.Create(r.Context(), body)
	if err != nil {
		return err
	}
	id := created.Site.ID
	s.record(r, p, audit.Entry{Action: audit.SiteCreate, SiteID: id, TargetType: "site", TargetID: id,
		Diff: audit.Changes(nil, stateOf(created.Site))})
	w.Header().Set("Location", APIPrefix+"sites/"+id)
	w.Header().Set("ETag", sitecfg.ETag(created.Site.Version))
	writeJSON(w, http.StatusCreated, created)
	return nil
}

func (s *Server) updateSite(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	id := r.PathValue("id")
	if !p.CanEditSite(id) {
		return s.deny(r, p, audit.Entry{Action: audit.SiteUpdate, SiteID: id, TargetType: "site", TargetID: id})
	}
	body, err := readBody(w, r, sitecfg.MaxBody)
	if err != nil {
		return err
	}
	before, after, err := s.Sites.Update(r.Context(), id, body, sitecfg.IfMatch(r.Header))
	if err != nil {
		return err
	}
	if after.Version != before.Version {
		action := audit.SiteUpdate
		if after.Disabled && !before.Disabled {
			action = audit.SiteDisable
		}
		s.record(r, p, audit.Entry{Action: action, SiteID: id, TargetType: "site", TargetID: id,
			Diff: audit.Changes(stateOf(before), stateOf(after))})
	}
	writeSite(w, http.StatusOK, after)
	return nil
}

func (s *Server) deleteSite(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	id := r.PathValue("id")
	if !p.CanDeleteSite(id) {
		return s.deny(r, p, audit.Entry{Action: audit.SiteDelete, SiteID: id, TargetType: "site", TargetID: id})
	}
	gone, err := s.Sites.Delete(r.Context(), id, sitecfg.IfMatch(r.Header))
	if err != nil {
		return err
	}
	s.record(r, p, audit.Entry{Action: audit.SiteDelete, SiteID: id, TargetType: "site", TargetID: id,
		Diff: audit.Changes(stateOf(gone), nil)})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotateRequest: both fields optional; the algorithm defaults to the site's.
type rotateRequest struct {
	Algorithm      string `json:"algorithm"`
	RevokePrevious bool   `json:"revoke_previous"`
}

func (s *Server) rotateSiteSecret(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	id := r.PathValue("id")
	if !p.CanEditSite(id) {
		return s.deny(r, p, audit.Entry{Action: audit.SiteSecretRotate, SiteID: id, TargetType: "site", TargetID: id})
	}
	var req rotateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	before, out, err := s.Sites.Rotate(r.Context(), id, req.Algorithm, req.RevokePrevious, sitecfg.IfMatch(r.Header))
	if err != nil {
		return err
	}
	s.record(r, p, audit.Entry{Action: audit.SiteSecretRotate, SiteID: id, TargetType: "site", TargetID: id,
		Diff: map[string]any{
			"kid":             [2]string{before.Secret.KID, out.Site.Secret.KID},
			"algorithm":       [2]string{before.Secret.Algorithm, out.Site.Secret.Algorithm},
			"revoke_previous": req.RevokePrevious,
		}})
	w.Header().Set("ETag", sitecfg.ETag(out.Site.Version))
	writeJSON(w, http.StatusOK, out)
	return nil
}

// writeSite answers with one site and its ETag.
func writeSite(w http.ResponseWriter, status int, v sitecfg.View) {
	w.Header().Set("ETag", sitecfg.ETag(v.Version))
	writeJSON(w, status, v)
}

// readBody reads a JSON body of at most limit bytes as it is (decodeLimit's checks: media
// type, size, UTF-8, one value), for callers that parse it themselves.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	var raw json.RawMessage
	if err := decodeLimit(w, r, &raw, limit); err != nil {
		return nil, err
	}
	return raw, nil
}
