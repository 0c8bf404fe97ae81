package config

import (
	"fmt"
	"net/url"
	"time"
)

// Consent modes of a site (docs/privacy.md#consent).
const (
	ConsentNone   = "none"   // no notice: the shop covers the chat in its own policy
	ConsentNotice = "notice" // a one-line notice with the policy link before the first message
	ConsentOptIn  = "opt_in" // nothing is stored or sent until the visitor accepts
)

// Identification modes of a site: how a returning visitor is recognised.
const (
	IdentifyNone        = "none"        // only the visitor id the widget keeps
	IdentifyFingerprint = "fingerprint" // also a keyed hash of coarse browser signals
)

// Default retention periods in days (docs/privacy.md#retention).
const (
	DefaultRetentionMessages = 365
	DefaultRetentionEvents   = 90
	DefaultRetentionUploads  = 30
	maxRetentionDays         = 3650
)

// Retention is how many days a site keeps each kind of data; -1 keeps it for ever, 0 means
// the default.
type Retention struct {
	Messages int `yaml:"messages" json:"messages"`
	Events   int `yaml:"events" json:"events"`
	Uploads  int `yaml:"uploads" json:"uploads"`
}

func applyPrivacyDefaults(s *Site) {
	if s.Consent == "" {
		s.Consent = ConsentNotice
	}
	if s.Identify == "" {
		s.Identify = IdentifyNone
	}
	for _, r := range []struct {
		v *int
		d int
	}{{&s.Retention.Messages, DefaultRetentionMessages}, {&s.Retention.Events, DefaultRetentionEvents}, {&s.Retention.Uploads, DefaultRetentionUploads}} {
		if *r.v == 0 {
			*r.v = r.d
		}
	}
}

func (s Site) validatePrivacy() error {
	switch s.Consent {
	case ConsentNone, ConsentNotice, ConsentOptIn:
	default:
		return fmt.Errorf("consent must be none, notice or opt_in")
	}
	switch s.Identify {
	case IdentifyNone, IdentifyFingerprint:
	default:
		return fmt.Errorf("identify must be none or fingerprint")
	}
	if s.PrivacyPolicyURL != "" {
		u, err := url.Parse(s.PrivacyPolicyURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(s.PrivacyPolicyURL) > maxTextLength {
			return fmt.Errorf("privacy_policy_url must be an https:// URL")
		}
	}
	for _, r := range []struct {
		name string
		v    int
	}{{"messages", s.Retention.Messages}, {"events", s.Retention.Events}, {"uploads", s.Retention.Uploads}} {
		if r.v < -1 || r.v > maxRetentionDays {
			return fmt.Errorf("retention.%s must be -1 (keep) or between 1 and %d days", r.name, maxRetentionDays)
		}
	}
	return nil
}

// RetentionDays returns the days a site keeps kind ("messages", "events", "uploads"), -1 for ever.
func (r Retention) RetentionDays(kind string) int {
	switch kind {
	case "messages":
		return r.Messages
	case "events":
		return r.Events
	case "uploads":
		return r.Uploads
	}
	return -1
}

// VisitorEraseFreshness is how recent a session must be to erase its visitor's every
// conversation: whoever holds the long-lived visitor id must also have just opened the chat
// on the same site, so a copied id alone erases nothing.
const VisitorEraseFreshness = 10 * time.Minute
