package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/origin"
	"github.com/chatproxy/chatproxy/internal/site"
)

// maxContextBytes bounds the page context object a host page may attach to a message.
const maxContextBytes = 4 << 10

// decodeJSON reads a JSON body of at most config.MaxBodyBytes into v. It checks the media type,
// the size (413), UTF-8 validity (Go's decoder would silently replace bad bytes) and syntax.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return apierr.UnsupportedMediaType("Send the body as application/json.")
		}
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, config.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierr.BodyTooLarge()
		}
		return apierr.InvalidRequest("The request body could not be read.")
	}
	if len(b) == 0 {
		b = []byte("{}")
	}
	if !utf8.Valid(b) {
		return apierr.InvalidUTF8()
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return apierr.InvalidRequest("Field " + te.Field + " has the wrong type.")
		}
		return apierr.InvalidJSON()
	}
	return nil
}

// cleanText normalises visitor text: control and format characters removed (except newline and
// tab), CRLF to LF, then Unicode NFC (after stripping, so removing a character cannot leave a
// non-normalised sequence), surrounding space trimmed.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if strings.IndexFunc(s, isStripped) >= 0 {
		s = strings.Map(func(r rune) rune {
			if isStripped(r) {
				return -1
			}
			return r
		}, s)
	}
	return strings.TrimSpace(norm.NFC.String(s))
}

func isStripped(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	// Cc: C0/C1 controls; bidi overrides (Cf subset) can disguise text in admin views.
	return unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == utf8.RuneError
}

// validateMessage checks the cleaned text against the site's rules.
func validateMessage(text string, st *site.Site) error {
	if text == "" {
		return apierr.EmptyMessage()
	}
	if n := utf8.RuneCountInString(text); n > st.Limits.MaxMessageLength {
		return apierr.MessageTooLong()
	}
	return nil
}

// cleanPageURL keeps a page URL only when it is http(s), not too long and on one of the site's
// origins; anything else is dropped (not an error: the page URL is context, not content).
func cleanPageURL(raw string, st *site.Site) string {
	if raw == "" || len(raw) > config.MaxPageURLLength {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	o, err := origin.Parse(u.Scheme + "://" + u.Host)
	if err != nil || !st.Origins.AllowsOrigin(o) {
		return ""
	}
	// The kept URL starts with the origin's canonical form, like the Origin header browsers send.
	u.Scheme, u.Host, u.Fragment = o.Scheme, strings.TrimPrefix(o.String(), o.Scheme+"://"), ""
	return u.String()
}

// cleanContext bounds the page context object; too large or not an object → dropped.
func cleanContext(raw json.RawMessage) map[string]any {
	if len(raw) == 0 || len(raw) > maxContextBytes {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || len(m) > 32 {
		return nil
	}
	return m
}

// cleanClientID accepts a client message id of up to 64 printable ASCII characters.
func cleanClientID(id string) (string, error) {
	if id == "" {
		return "", nil
	}
	if len(id) > 64 {
		return "", apierr.InvalidClientMessageID("client_message_id must be at most 64 characters.")
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return "", apierr.InvalidClientMessageID("client_message_id must be printable ASCII.")
		}
	}
	return id, nil
}
