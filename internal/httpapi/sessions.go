package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/session"
	"github.com/chatproxy/chatproxy/internal/site"
)

type createSessionRequest struct {
	SiteID       string `json:"site_id"`
	PageURL      string `json:"page_url"`
	VisitorID    string `json:"visitor_id"`
	Fingerprint  string `json:"fingerprint"`
	OriginDomain string `json:"origin_domain"`
	Referrer     string `json:"referrer"` // the host page's document.referrer; only its host is recorded
	Honeypot     string `json:"hp"`
	// Consent is the visitor's acceptance, required by opt_in sites before anything is stored.
	Consent bool `json:"consent"`
}

type createSessionResponse struct {
	SessionID string    `json:"session_id"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	VisitorID string    `json:"visitor_id"`
	Returning bool      `json:"returning"`
}

func (s *Server) sessionCreate(w http.ResponseWriter, r *http.Request) error {
	s.setCORS(w, r)
	var req createSessionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	st, err := s.siteForSession(r, req)
	if err != nil {
		return err
	}
	if st.Consent == config.ConsentOptIn && !req.Consent {
		return apierr.ConsentRequired()
	}
	ip := s.IPs.ClientIP(r)
	if err := s.Guard.SessionCreate(r.Context(), st, ip, req.Honeypot); err != nil {
		return err
	}
	fingerprint := ""
	if st.Identify == config.IdentifyFingerprint {
		// Any other site ignores a fingerprint sent to it: it is kept only where the shop chose it.
		fingerprint = limit(req.Fingerprint, 256)
	}
	created, err := s.Sessions.Create(r.Context(), session.CreateInput{
		SiteID:      st.ID,
		VisitorID:   req.VisitorID,
		Fingerprint: fingerprint,
		PageURL:     cleanPageURL(req.PageURL, st),
		UserAgent:   limit(cleanText(r.UserAgent()), 512),
		ClientIP:    ip,
		Referrer:    limit(req.Referrer, config.MaxPageURLLength),
	})
	if err != nil {
		return err
	}
	sess := created.Session
	s.setSessionCookie(w, r, created.CookieToken, int(time.Until(sess.ExpiresAt).Seconds()))
	writeJSON(w, http.StatusOK, createSessionResponse{
		SessionID: sess.ID, Token: created.Token, ExpiresAt: sess.ExpiresAt,
		VisitorID: sess.VisitorID, Returning: sess.Returning,
	})
	return nil
}

// siteForSession finds the site and enforces the origin rule. A same-origin request comes from
// a page on this server: the widget iframe, whose origin_domain is the host page's origin
// (passed by the loader), or the seed's widget served with the API on one host, whose
// origin_domain is location.hostname. Either must then belong to the site too.
func (s *Server) siteForSession(r *http.Request, req createSessionRequest) (*site.Site, error) {
	st, err := s.findSite(r, req)
	if err != nil {
		return nil, err
	}
	if err := s.checkOrigin(r, st); err != nil {
		return nil, err
	}
	if req.OriginDomain != "" && s.sameOrigin(r, st) && !domainAllowed(st, req.OriginDomain) {
		return nil, apierr.OriginNotAllowed()
	}
	return st, nil
}

// findSite picks the site: site_id, else the site of the Origin, else of origin_domain (an
// origin, or the bare host name the seed's widget sends), else of the page URL. The seed's
// widget sends no site_id, and on a page of this server its Origin names no site.
func (s *Server) findSite(r *http.Request, req createSessionRequest) (*site.Site, error) {
	if req.SiteID != "" {
		if st, ok := s.Sites.Get(req.SiteID); ok {
			return st, nil
		}
		return nil, apierr.SiteNotFound()
	}
	o := r.Header.Get("Origin")
	if st, ok := s.Sites.ForOrigin(o); ok {
		return st, nil
	}
	if st, ok := s.siteOfDomain(req.OriginDomain); ok {
		return st, nil
	}
	if u, err := url.Parse(req.PageURL); err == nil && req.PageURL != "" {
		if st, ok := s.Sites.ForOrigin(u.Scheme + "://" + u.Host); ok {
			return st, nil
		}
	}
	if req.OriginDomain != "" || (o != "" && o != "null" && r.Header.Get("Sec-Fetch-Site") != "same-origin") {
		return nil, apierr.OriginNotAllowed()
	}
	return nil, apierr.SiteRequired()
}

// siteOfDomain finds the site of an origin_domain: an origin, or a bare host name.
func (s *Server) siteOfDomain(domain string) (*site.Site, bool) {
	switch {
	case domain == "":
		return nil, false
	case strings.Contains(domain, "://"):
		return s.Sites.ForOrigin(strings.TrimRight(domain, "/"))
	}
	return s.Sites.ForHost(domain)
}

// domainAllowed reports whether an origin_domain (origin or bare host name) belongs to st.
func domainAllowed(st *site.Site, domain string) bool {
	if strings.Contains(domain, "://") {
		return st.Origins.Allows(strings.TrimRight(domain, "/"))
	}
	return st.Origins.AllowsHost(domain)
}

type validateResponse struct {
	Valid     bool      `json:"valid"`
	SessionID string    `json:"session_id"`
	SiteID    string    `json:"site_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) sessionValidate(w http.ResponseWriter, r *http.Request) error {
	s.setCORS(w, r)
	sess, _, err := s.authenticate(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, validateResponse{Valid: true, SessionID: sess.ID, SiteID: sess.SiteID, ExpiresAt: sess.ExpiresAt})
	return nil
}

func limit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
