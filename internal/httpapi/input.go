package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/origin"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/textnorm"
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

// cleanText normalises visitor text (see textnorm.Clean).
func cleanText(s string) string { return textnorm.Clean(s) }

// validateMessage checks the cleaned text against the site's rules.
func validateMessage(text string, st *site.Site) error {
	if textnorm.Blank(text) {
		// Only spaces and invisible characters (a lone U+200B): nothing to answer.
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

// cleanContext bounds the page context object; too large or not an object → dropped. Its
// strings (keys and values, at any depth) are cleaned like message text: they reach n8n too.
func cleanContext(raw json.RawMessage) map[string]any {
	if len(raw) == 0 || len(raw) > maxContextBytes {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || len(m) > 32 {
		return nil
	}
	return cleanValue(m).(map[string]any)
}

// cleanValue cleans every string in a decoded JSON value. Depth needs no bound: the object
// is at most maxContextBytes.
func cleanValue(v any) any {
	switch v := v.(type) {
	case string:
		return cleanText(v)
	case []any:
		for i := range v {
			v[i] = cleanValue(v[i])
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[cleanText(k)] = cleanValue(x)
		}
		return out
	}
	return v
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
