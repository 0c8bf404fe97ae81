package sitecfg

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/config"
)

// View is a site as the console's API shows it: its settings under the sites file's names,
// plus what only the server sets.
type View struct {
	config.Site
	ManagedBy string     `json:"managed_by"`
	Version   int64      `json:"version"`
	Disabled  bool       `json:"disabled"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	Secret    SecretInfo `json:"secret"`
}

// SecretInfo describes a site's signing keys without revealing them.
type SecretInfo struct {
	Algorithm    string     `json:"algorithm"`
	KID          string     `json:"kid"`
	SetAt        *time.Time `json:"set_at,omitempty"`
	PublicKeyPEM string     `json:"public_key_pem,omitempty"` // ES256
	// PreviousKID names the key a rotation replaced while it still signs retries (until
	// PreviousUntil); PreviousPublicKeyPEM is its public half (ES256).
	PreviousKID          string     `json:"previous_kid,omitempty"`
	PreviousUntil        *time.Time `json:"previous_until,omitempty"`
	PreviousPublicKeyPEM string     `json:"previous_public_key_pem,omitempty"`
}

// Created is the answer to a creation or a rotation: the site and, this once, the new HS256
// secret for n8n's JWT Auth credential (ES256 keys keep their private half: the public one
// is in Site.Secret.PublicKeyPEM).
type Created struct {
	Site   View   `json:"site"`
	Secret string `json:"secret,omitempty"`
}

// readOnly are the View fields only the server sets. A PATCH may carry them unchanged (a
// client sending back what it read); any other value is refused.
var readOnly = []string{"managed_by", "version", "created_at", "updated_at", "secret"}

// keySources are the sites file's signing fields the console never takes: it generates keys.
var keySources = []string{"secret", "secret_file", "private_key_file"}

// document is a request body decoded as JSON values (numbers kept as written).
type document = map[string]any

// parseDocument reads a JSON object.
func parseDocument(b []byte) (document, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, apierr.InvalidJSON()
	}
	doc, ok := v.(document)
	if !ok {
		return nil, apierr.InvalidRequest("The body must be a JSON object.")
	}
	return doc, nil
}

// mergePatch applies an RFC 7396 JSON merge patch to target: objects merge member by member,
// null removes a member, anything else replaces. target is changed in place.
func mergePatch(target, patch any) any {
	p, ok := patch.(document)
	if !ok {
		return patch
	}
	t, ok := target.(document)
	if !ok {
		t = document{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

// takeDisabled removes "disabled" from doc and returns it (false when absent or null).
func takeDisabled(doc document) (bool, error) {
	v, ok := doc["disabled"]
	delete(doc, "disabled")
	if !ok || v == nil {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, apierr.InvalidRequest("Field disabled has the wrong type.")
	}
	return b, nil
}

// decodeSettings turns the settings part of a document into a site with defaults applied.
// Unknown fields are refused with their path (limits.foo), and so are key sources.
func decodeSettings(doc document) (config.Site, error) {
	if sg, ok := doc["signing"].(document); ok {
		for _, k := range keySources {
			if _, ok := sg[k]; ok {
				return config.Site{}, apierr.InvalidRequest("signing." + k + " cannot be set: the server generates the signing key (POST …/rotate-secret replaces it).")
			}
		}
	}
	if path := unknownField(doc, reflect.TypeFor[config.Site](), ""); path != "" {
		return config.Site{}, apierr.InvalidRequest("Unknown field " + path + ".")
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return config.Site{}, apierr.InvalidJSON()
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var s config.Site
	if err := dec.Decode(&s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return config.Site{}, apierr.InvalidRequest("Field " + te.Field + " has the wrong type.")
		}
		// Dur's own errors ("want a duration like 30s") say what is wrong without naming the
		// field; the caller's JSON is small enough to find it.
		return config.Site{}, apierr.InvalidRequest("Invalid value: " + strings.TrimPrefix(err.Error(), "json: ") + ".")
	}
	config.ApplySiteDefaults(&s)
	normalize(&s)
	return s, nil
}

// normalize writes empty lists and maps as [] and {}, never null, so clients need no null
// checks and equal settings have equal JSON.
func normalize(s *config.Site) {
	for _, l := range []*[]string{&s.AllowedOrigins, &s.Abuse.Blocklist, &s.Widget.Suggestions, &s.Widget.ImageHosts} {
		if *l == nil {
			*l = []string{}
		}
	}
	if s.Widget.Texts == nil {
		s.Widget.Texts = map[string]string{}
	}
}

// unknownField returns the path of the first member of v (in sorted order) that t has no
// JSON field for, or "".
func unknownField(v any, t reflect.Type, prefix string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(document)
		if !ok {
			return ""
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return prefix + k
			}
			if p := unknownField(obj[k], ft, prefix+k+"."); p != "" {
				return p
			}
		}
	case reflect.Slice:
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				if p := unknownField(e, t.Elem(), prefix); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

// jsonFields maps a struct's JSON names to their types, through embedded structs.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
			continue
		case f.Anonymous && name == "":
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		case name == "":
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// asDocument is v's JSON form as a document, for comparisons with what a client sent.
func asDocument(v any) document {
	raw, _ := json.Marshal(v)
	doc, _ := parseDocument(raw)
	return doc
}
