package upstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// errBodyTooLarge means the body exceeds the cap even with no history at all.
var errBodyTooLarge = errors.New("request body exceeds the configured size even without history")

// bodyMetadata is the metadata object sent in both formats. Field order is the wire order.
type bodyMetadata struct {
	SiteID       string         `json:"site_id"`
	SessionID    string         `json:"session_id"`
	MessageID    string         `json:"message_id"`
	VisitorID    string         `json:"visitor_id"`
	Returning    bool           `json:"returning"`
	PageURL      string         `json:"page_url"`
	OriginDomain string         `json:"origin_domain"`
	UserAgent    string         `json:"user_agent"`
	ClientIP     string         `json:"client_ip,omitempty"`
	Time         string         `json:"time"`
	Country      string         `json:"country,omitempty"`
	City         string         `json:"city,omitempty"`
	History      []HistoryItem  `json:"history"`
	Context      map[string]any `json:"context,omitempty"`
}

// chatTriggerBody is what n8n's Chat Trigger (and @n8n/chat) expects: the AI Agent reads
// $json.chatInput and memory nodes read $json.sessionId.
type chatTriggerBody struct {
	Action    string        `json:"action"`
	SessionID string        `json:"sessionId"`
	ChatInput string        `json:"chatInput"`
	Metadata  *bodyMetadata `json:"metadata"`
}

// webhookSession is the seed backend's "session" object.
type webhookSession struct {
	ID           string `json:"id"`
	SiteID       string `json:"site_id"`
	VisitorID    string `json:"visitor_id"`
	Returning    bool   `json:"returning"`
	PageURL      string `json:"page_url"`
	OriginDomain string `json:"origin_domain"`
}

// webhookBody is the seed backend's Webhook-node body; the workflow reads $json.body.message.
type webhookBody struct {
	Message   string         `json:"message"`
	Timestamp string         `json:"timestamp"`
	JWTToken  string         `json:"jwt_token,omitempty"`
	Session   webhookSession `json:"session"`
	Metadata  *bodyMetadata  `json:"metadata"`
}

// BuildBody encodes the upstream body for format f. token is the JWT also sent in the Authorization
// header (the Webhook format repeats it as jwt_token, as the seed did). now is used when req.Time is
// zero. maxBytes > 0 caps the body: the oldest history turns are dropped until it fits, and when even
// the body without history is too large an error is returned.
func BuildBody(f Format, req Request, token string, now time.Time, maxBytes int) ([]byte, error) {
	if req.Time.IsZero() {
		req.Time = now
	}
	meta := newMetadata(req)
	for {
		body, err := encodeBody(f, req, token, meta)
		if err != nil {
			return nil, err
		}
		if maxBytes <= 0 || len(body) <= maxBytes {
			return body, nil
		}
		if len(meta.History) == 0 {
			return nil, errBodyTooLarge
		}
		meta.History = meta.History[dropCount(len(meta.History)):]
	}
}

// dropCount drops a quarter of the remaining history per attempt (at least one turn), so a long
// history converges in a few encodes instead of one encode per turn.
func dropCount(n int) int {
	return max(1, n/4)
}

func newMetadata(req Request) *bodyMetadata {
	history := req.History
	if history == nil {
		history = []HistoryItem{} // "history": [] rather than null, simpler for workflows
	}
	var ctx map[string]any
	if len(req.Context) > 0 {
		ctx = req.Context
	}
	return &bodyMetadata{
		SiteID:       req.SiteID,
		SessionID:    req.SessionID,
		MessageID:    req.MessageID,
		VisitorID:    req.VisitorID,
		Returning:    req.Returning,
		PageURL:      req.PageURL,
		OriginDomain: req.OriginDomain,
		UserAgent:    req.UserAgent,
		ClientIP:     req.ClientIP,
		Time:         req.Time.UTC().Format(time.RFC3339),
		Country:      req.Country,
		City:         req.City,
		History:      history,
		Context:      ctx,
	}
}

func encodeBody(f Format, req Request, token string, meta *bodyMetadata) ([]byte, error) {
	var v any
	switch f {
	case FormatChatTrigger, "":
		v = chatTriggerBody{Action: "sendMessage", SessionID: req.SessionID, ChatInput: req.Text, Metadata: meta}
	case FormatWebhook:
		v = webhookBody{
			Message:   req.Text,
			Timestamp: meta.Time,
			JWTToken:  token,
			Session: webhookSession{
				ID: req.SessionID, SiteID: req.SiteID, VisitorID: req.VisitorID, Returning: req.Returning,
				PageURL: req.PageURL, OriginDomain: req.OriginDomain,
			},
			Metadata: meta,
		}
	default:
		return nil, fmt.Errorf("unknown upstream format %q", f)
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode upstream body: %w", err)
	}
	return body, nil
}
