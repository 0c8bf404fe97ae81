package config

import (
	"strings"
	"testing"
)

func TestPrivacySettings(t *testing.T) {
	base := func() Site {
		s := Site{ID: "shop", WebhookURL: "https://n8n.example.com/webhook/x", AllowedOrigins: []string{"https://shop.example"}}
		ApplySiteDefaults(&s)
		return s
	}
	s := base()
	if s.Consent != ConsentNotice || s.Identify != IdentifyNone || s.LegalHold ||
		s.Retention != (Retention{Messages: 365, Events: 90, Uploads: 30}) {
		t.Fatalf("defaults = %q %q %v %+v", s.Consent, s.Identify, s.LegalHold, s.Retention)
	}
	if err := ValidateSite(s); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(*Site)
		want string // "" = valid
	}{
		{"opt_in", func(s *Site) { s.Consent = ConsentOptIn }, ""},
		{"none", func(s *Site) { s.Consent = ConsentNone }, ""},
		{"unknown consent", func(s *Site) { s.Consent = "maybe" }, "consent"},
		{"fingerprint", func(s *Site) { s.Identify = IdentifyFingerprint }, ""},
		{"unknown identify", func(s *Site) { s.Identify = "cookie" }, "identify"},
		{"https policy", func(s *Site) { s.PrivacyPolicyURL = "https://shop.example/privacy" }, ""},
		{"http policy", func(s *Site) { s.PrivacyPolicyURL = "http://shop.example/privacy" }, "privacy_policy_url"},
		{"script policy", func(s *Site) { s.PrivacyPolicyURL = "javascript:alert(1)" }, "privacy_policy_url"},
		{"keep for ever", func(s *Site) { s.Retention.Messages = -1 }, ""},
		{"negative retention", func(s *Site) { s.Retention.Events = -2 }, "retention.events"},
		{"too long retention", func(s *Site) { s.Retention.Uploads = 3651 }, "retention.uploads"},
	} {
		s := base()
		c.edit(&s)
		err := ValidateSite(s)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
