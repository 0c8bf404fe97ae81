package analytics

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"time"
)

// Event names the server records. None of their properties holds message text, an IP address
// or a secret.
const (
	SessionStarted  = "session_started"   // {returning, country, page, referrer}
	MessageSent     = "message_sent"      // {}
	ReplyFirstToken = "reply_first_token" // {ms}
	ReplyCompleted  = "reply_completed"   // {ms, chars, status}
	ReplyFailed     = "reply_failed"      // {code}
	Refused         = "refused"           // {reason, code}
	Resumed         = "resumed"           // {}
)

// Event names the widget and the shop page send (POST /api/v1/events).
const (
	WidgetLoaded      = "widget_loaded"
	WidgetOpened      = "widget_opened"
	SuggestionClicked = "suggestion_clicked"
	Feedback          = "feedback"    // {message_id, rating: up|down, changed_from?}
	AddToCart         = "add_to_cart" // {sku, value, currency}
	Purchase          = "purchase"    // {order_id, value, currency}; the server adds assisted
)

// serverOnly names cannot be sent by clients: the server records them itself.
var serverOnly = map[string]bool{
	SessionStarted: true, MessageSent: true, ReplyFirstToken: true, ReplyCompleted: true,
	ReplyFailed: true, Refused: true, Resumed: true,
}

// known are the names counted under their own Prometheus label; others count as "custom".
var known = map[string]bool{
	SessionStarted: true, MessageSent: true, ReplyFirstToken: true, ReplyCompleted: true,
	ReplyFailed: true, Refused: true, Resumed: true, WidgetLoaded: true, WidgetOpened: true,
	SuggestionClicked: true, Feedback: true, AddToCart: true, Purchase: true,
}

// Limits of client events.
const (
	MaxBatch      = 50   // events in one request
	MaxPropsBytes = 1024 // a compact JSON object of flat properties
)

var nameRE = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// Event is one event to record.
type Event struct {
	SiteID    string
	SessionID string
	VisitorID string
	Name      string
	Props     map[string]any
	At        time.Time
	DedupeKey string
}

// Validation errors of client events (the HTTP layer maps them to its error codes).
var (
	ErrName      = errors.New("event name must match [a-z0-9_]{1,40}")
	ErrReserved  = errors.New("event name is recorded by the server only")
	ErrProps     = errors.New("props must be a flat JSON object of strings, numbers, booleans or null")
	ErrPropsSize = errors.New("props exceed 1 KB")
	ErrBuiltin   = errors.New("built-in event is missing a required property or has a wrong type")
)

// CheckName validates a client event name.
func CheckName(name string) error {
	switch {
	case !nameRE.MatchString(name):
		return ErrName
	case serverOnly[name]:
		return ErrReserved
	}
	return nil
}

// ParseProps decodes a client event's props: a flat JSON object of at most MaxPropsBytes
// (compact form). Empty or null means none.
func ParseProps(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, nil
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, ErrProps
	}
	if compact.Len() > MaxPropsBytes {
		return nil, ErrPropsSize
	}
	dec := json.NewDecoder(&compact)
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, ErrProps
	}
	for _, v := range m {
		switch v.(type) {
		case string, json.Number, bool, nil:
		default:
			return nil, ErrProps
		}
	}
	return m, nil
}
