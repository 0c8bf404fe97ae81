// Package upstream calls a site's private n8n webhook and normalises the answer.
//
// It builds the request body (Chat Trigger or Webhook-node format), signs a short-lived JWT for
// it, enforces timeouts and size caps, and normalises every response shape n8n produces
// (streamed NDJSON, JSON object or array, plain text, SSE) into one sequence of Chunks.
// Failures become one *Error with a stable code and a friendly message; the upstream's URL,
// status text and body never leave this package, and logs get only an error class.
package upstream

import (
	"errors"
	"log/slog"
	"time"
)

// Format is the request body shape a site's n8n workflow expects.
type Format string

const (
	// FormatChatTrigger is n8n's Chat Trigger body: {action, sessionId, chatInput, metadata}.
	FormatChatTrigger Format = "chat-trigger"
	// FormatWebhook is the seed backend's Webhook-node body: {message, timestamp, jwt_token, session}.
	FormatWebhook Format = "webhook"
)

// Target is where and how one site's messages are sent.
type Target struct {
	SiteID string
	URL    string
	Format Format
	// Trusted is true for URLs from the operator's own configuration (env, sites file); false for
	// URLs entered through an API or dashboard, which get the SSRF rules (https only, no private
	// addresses at dial time, no redirects).
	Trusted bool
	Signer  *Signer
	// Previous, until PreviousUntil, is a rotated-out key: when n8n refuses Signer's token
	// (401/403, before its workflow runs), the call is signed with Previous and sent once more,
	// so n8n's credential can be switched to the new key within the overlap.
	Previous      *Signer
	PreviousUntil time.Time
}

// HistoryItem is one earlier turn sent as context.
type HistoryItem struct {
	Role      string    `json:"role"`
	Content   string    `json:"content"`
	CreatedAt time.Time `json:"created_at"`
}

// Request is one visitor message and its context.
type Request struct {
	SiteID    string
	SessionID string
	MessageID string // the stored user message's id (JWT msg_id)
	VisitorID string
	Returning bool
	Text      string
	Time      time.Time

	PageURL      string
	OriginDomain string
	UserAgent    string
	ClientIP     string // already raw, hashed or empty per the site's policy
	Country      string // from GeoIP, "" when unknown
	City         string
	History      []HistoryItem
	Context      map[string]any // page context set by the host page (product id, …)
}

// ChunkKind says what a normalised chunk carries.
type ChunkKind int

const (
	// ChunkText is a piece of answer text.
	ChunkText ChunkKind = iota + 1
	// ChunkRunStart marks the start of a new node run after an earlier one produced text
	// (n8n can stream several begin…end runs in one response).
	ChunkRunStart
	// ChunkKeepalive is upstream keepalive; it carries nothing.
	ChunkKeepalive
)

// Chunk is one normalised piece of an upstream response.
type Chunk struct {
	Kind ChunkKind
	Text string
}

// Error codes. They are part of the public API (SSE error events, metrics labels).
const (
	CodeUnreachable  = "upstream_unreachable"  // dial, DNS or TLS failure, or refused by the SSRF guard
	CodeTimeout      = "upstream_timeout"      // first byte, gap between chunks or total time exceeded
	CodeStatus       = "upstream_status"       // non-2xx other than the ones below
	CodeUnauthorized = "upstream_unauthorized" // 401/403: the n8n credential does not accept our JWT
	CodeRateLimited  = "upstream_rate_limited" // 429 from n8n
	CodeBadResponse  = "upstream_bad_response" // garbage, HTML, oversized or cut-off body
	CodeAgentError   = "upstream_agent_error"  // n8n streamed an error chunk
	CodeEmpty        = "upstream_empty"        // the workflow answered with no text
	CodeCircuitOpen  = "upstream_circuit_open" // the site's breaker is open; nothing was sent
	CodeBusy         = "upstream_busy"         // too many concurrent calls for this site
	CodeCanceled     = "upstream_canceled"     // the caller's context was canceled mid-call
	CodeBadRequest   = "upstream_bad_request"  // the request could not be built (too large, signing failed); nothing sent
)

// Error is the only error type Call returns. Message is safe to show to a visitor.
type Error struct {
	Code    string
	Message string
	// Sent is true when the request may have reached n8n (so it must never be replayed).
	Sent bool
	// Partial is true when some text was already emitted before the failure.
	Partial bool
	// Cause is the underlying error, for errors.Is and errors.As only. It may name n8n's host,
	// port or resolved address (network errors do), so it is never printed: Error, Class and
	// LogValue leave it out.
	Cause error
	// Class describes the cause in words of our own ("connect: connection refused", "dns: no
	// such host"), naming no host, port, address or URL: what logs say about a failure.
	Class string
	// Status is the upstream HTTP status for CodeStatus, CodeUnauthorized and CodeRateLimited; 0 otherwise.
	Status int
	// RetryAfter is the upstream's Retry-After on a 429, 0 when absent.
	RetryAfter time.Duration
}

// Error is the code and the class; never the cause, which may name the upstream.
func (e *Error) Error() string {
	if e.Class != "" {
		return e.Code + ": " + e.Class
	}
	return e.Code
}

// LogValue makes slog write the code, class and status instead of the cause.
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("code", e.Code), slog.String("class", e.Class), slog.Bool("sent", e.Sent)}
	if e.Status != 0 {
		attrs = append(attrs, slog.Int("status", e.Status))
	}
	return slog.GroupValue(attrs...)
}

func (e *Error) Unwrap() error { return e.Cause }

// AsError returns err as *Error when it is one.
func AsError(err error) (*Error, bool) {
	var ue *Error
	ok := errors.As(err, &ue)
	return ue, ok
}

// Friendly messages per code, shown to visitors.
var friendly = map[string]string{
	CodeUnreachable:  "The assistant is not reachable right now. Please try again in a moment.",
	CodeTimeout:      "The assistant took too long to answer. Please try again.",
	CodeStatus:       "The assistant could not answer right now. Please try again later.",
	CodeUnauthorized: "The assistant is not available right now. Please try again later.",
	CodeRateLimited:  "The assistant is busy right now. Please try again in a minute.",
	CodeBadResponse:  "The assistant sent an answer we could not read. Please try again.",
	CodeAgentError:   "The assistant ran into a problem while answering. Please try again.",
	CodeEmpty:        "The assistant did not send an answer. Please try again.",
	CodeCircuitOpen:  "The assistant is temporarily unavailable. Please try again in a minute.",
	CodeBusy:         "The assistant is busy right now. Please try again in a moment.",
	CodeCanceled:     "The answer was interrupted. Please try again.",
	CodeBadRequest:   "Your message could not be sent. Please try again.",
}

// FriendlyMessage returns the visitor-facing text for an error code.
func FriendlyMessage(code string) string {
	if m, ok := friendly[code]; ok {
		return m
	}
	return "Something went wrong. Please try again."
}

// NewError builds an *Error with the friendly message for code.
func NewError(code string, sent bool, cause error) *Error {
	return &Error{Code: code, Message: FriendlyMessage(code), Sent: sent, Cause: cause, Class: errorClass(cause)}
}
