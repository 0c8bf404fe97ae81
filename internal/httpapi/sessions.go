package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/session"
	"github.com/chatproxy/chatproxy/internal/site"
)

type createSessionRequest struct {
	SiteID       string `json:"site_id"`
	PageURL      string `json:"page_url"`
	VisitorID    string `json:"visitor_id"`
	Fingerprint  string `json:"fingerprint"`
	OriginDomain string `json:"origin_domain"`
	Honeypot     string `json:"hp"`
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
	ip := s.IPs.ClientIP(r)
	if err := s.Guard.SessionCreate(r.Context(), st, ip, req.Honeypot); err != nil {
		return err
	}
	created, err := s.Sessions.Create(r.Context(), session.CreateInput{
		SiteID:      st.ID,
		VisitorID:   req.VisitorID,
		Fingerprint: limit(req.Fingerprint, 256),
		PageURL:     cleanPageURL(req.PageURL, st),
		UserAgent:   limit(cleanText(r.UserAgent()), 512),
		ClientIP:    ip,
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

// siteForSession picks the site (site_id, else the Origin) and enforces the origin rule. A
// same-origin request comes from the widget iframe; its origin_domain (the host page's origin,
// passed by the loader) must then belong to the site too.
func (s *Server) siteForSession(r *http.Request, req createSessionRequest) (*site.Site, error) {
	var st *site.Site
	if req.SiteID != "" {
		var ok bool
		if st, ok = s.Sites.Get(req.SiteID); !ok {
			return nil, apierr.SiteNotFound()
		}
	} else {
		o := r.Header.Get("Origin")
		var ok bool
		if st, ok = s.Sites.ForOrigin(o); !ok {
			if o == "" || o == "null" || sameOrigin(r) {
				return nil, apierr.SiteRequired()
			}
			return nil, apierr.OriginNotAllowed()
		}
	}
	if err := checkOrigin(r, st); err != nil {
		return nil, err
	}
	if req.OriginDomain != "" && sameOrigin(r) && !st.Origins.Allows(strings.TrimRight(req.OriginDomain, "/")) {
		return nil, apierr.OriginNotAllowed()
	}
	return st, nil
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
