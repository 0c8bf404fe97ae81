package apierr

import (
	"fmt"
	"net/http"
	"sort"
	"time"
)

// Code is one entry of the catalogue: a stable machine-readable code and its HTTP status.
type Code struct {
	Name   string
	Status int
}

// codes holds every code declared below, in declaration order.
var codes []Code

// declare registers a code once; each code's constructor below is the only place that names it.
func declare(status int, name string) Code {
	c := Code{Name: name, Status: status}
	codes = append(codes, c)
	return c
}

// with builds the error of code c with a message safe to show.
func (c Code) with(message string) *Error {
	return &Error{Status: c.Status, Code: c.Name, Message: message}
}

// withRetry builds the error with Retry-After (whole seconds, at least 1).
func (c Code) withRetry(message string, retry time.Duration) *Error {
	e := c.with(message)
	e.RetryAfter = max(retry, time.Second)
	return e
}

// Catalogue lists every code the API can answer, sorted by name (docs/api.md must list each).
func Catalogue() []Code {
	out := append([]Code(nil), codes...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// The catalogue. Keep one declaration per code; add a constructor next to it.
var (
	codeInvalidJSON            = declare(http.StatusBadRequest, "invalid_json")
	codeInvalidRequest         = declare(http.StatusBadRequest, "invalid_request")
	codeInvalidUTF8            = declare(http.StatusBadRequest, "invalid_utf8")
	codeEmptyMessage           = declare(http.StatusBadRequest, "empty_message")
	codeMessageTooLong         = declare(http.StatusBadRequest, "message_too_long")
	codeInvalidClientMessageID = declare(http.StatusBadRequest, "invalid_client_message_id")
	codeInvalidMessageID       = declare(http.StatusBadRequest, "invalid_message_id")
	codeInvalidLastEventID     = declare(http.StatusBadRequest, "invalid_last_event_id")
	codeInvalidLimit           = declare(http.StatusBadRequest, "invalid_limit")
	codeInvalidBefore          = declare(http.StatusBadRequest, "invalid_before")
	codeSiteRequired           = declare(http.StatusBadRequest, "site_required")
	codeBotDetected            = declare(http.StatusBadRequest, "bot_detected")
	codeInvalidEventName       = declare(http.StatusBadRequest, "invalid_event_name")
	codeInvalidEventProps      = declare(http.StatusBadRequest, "invalid_event_props")
	codeInvalidEventTime       = declare(http.StatusBadRequest, "invalid_event_time")
	codeNoEvents               = declare(http.StatusBadRequest, "no_events")
	codeBlockedContent         = declare(http.StatusBadRequest, "blocked_content")
	codeInvalidSessionID       = declare(http.StatusBadRequest, "invalid_session_id")
	codeInvalidFileName        = declare(http.StatusBadRequest, "invalid_file_name")
	codeTooManyFiles           = declare(http.StatusBadRequest, "too_many_files")
	codeImageTooLarge          = declare(http.StatusBadRequest, "image_too_large")
	codePolyglotFile           = declare(http.StatusBadRequest, "polyglot_file")
	codeInvalidFile            = declare(http.StatusBadRequest, "invalid_file")
	codeUploadsDisabled        = declare(http.StatusForbidden, "uploads_disabled")
	codeUploadNotFound         = declare(http.StatusNotFound, "upload_not_found")
	codeFileTooLarge           = declare(http.StatusRequestEntityTooLarge, "file_too_large")
	codeUnsupportedFileType    = declare(http.StatusUnsupportedMediaType, "unsupported_file_type")
	codeUnauthorized           = declare(http.StatusUnauthorized, "unauthorized")
	codeSessionExpired         = declare(http.StatusUnauthorized, "session_expired")
	codeOriginNotAllowed       = declare(http.StatusForbidden, "origin_not_allowed")
	codeSiteMismatch           = declare(http.StatusForbidden, "site_mismatch")
	codeSessionOriginMismatch  = declare(http.StatusForbidden, "session_origin_mismatch")
	codeForbidden              = declare(http.StatusForbidden, "forbidden")
	codeNotFound               = declare(http.StatusNotFound, "not_found")
	codeSiteNotFound           = declare(http.StatusNotFound, "site_not_found")
	codeSessionNotFound        = declare(http.StatusNotFound, "session_not_found")
	codeBodyTooLarge           = declare(http.StatusRequestEntityTooLarge, "body_too_large")
	codeTooManyEvents          = declare(http.StatusRequestEntityTooLarge, "too_many_events")
	codePropsTooLarge          = declare(http.StatusRequestEntityTooLarge, "props_too_large")
	codeUnsupportedMediaType   = declare(http.StatusUnsupportedMediaType, "unsupported_media_type")
	codeRateLimited            = declare(http.StatusTooManyRequests, "rate_limited")
	codeRepeatedMessage        = declare(http.StatusTooManyRequests, "repeated_message")
	codeTooManyStreams         = declare(http.StatusTooManyRequests, "too_many_streams")
	codeTooFast                = declare(http.StatusTooManyRequests, "too_fast")
	codeDailyBudgetExhausted   = declare(http.StatusTooManyRequests, "daily_budget_exhausted")
	codeInternal               = declare(http.StatusInternalServerError, "internal")
	codeStorageUnavailable     = declare(http.StatusServiceUnavailable, "storage_unavailable")
	codeShuttingDown           = declare(http.StatusServiceUnavailable, "shutting_down")
	codeConsentRequired        = declare(http.StatusBadRequest, "consent_required")
	codeFreshSessionRequired   = declare(http.StatusForbidden, "fresh_session_required")
)

// ConsentRequired: the site asks visitors to opt in, and this request did not say they did.
func ConsentRequired() *Error {
	return codeConsentRequired.with("This site stores a conversation only after the visitor accepts (consent: true).")
}

// FreshSessionRequired: erasing a visitor's every conversation takes a session started moments ago.
func FreshSessionRequired() *Error {
	return codeFreshSessionRequired.with("Start a new conversation, then ask again within a few minutes.")
}

// InvalidJSON: the body is not JSON.
func InvalidJSON() *Error { return codeInvalidJSON.with("The request body is not valid JSON.") }

// InvalidRequest: a field is missing, unknown or of the wrong type; message says which.
func InvalidRequest(message string) *Error { return codeInvalidRequest.with(message) }

// InvalidUTF8: the body or a parameter is not valid UTF-8.
func InvalidUTF8() *Error { return codeInvalidUTF8.with("The request is not valid UTF-8.") }

// EmptyMessage: nothing visible is left of the message once cleaned.
func EmptyMessage() *Error { return codeEmptyMessage.with("The message is empty.") }

// MessageTooLong: over the site's max_message_length.
func MessageTooLong() *Error {
	return codeMessageTooLong.with("The message is longer than the site allows.")
}

// InvalidClientMessageID: client_message_id is not 1-64 printable ASCII characters.
func InvalidClientMessageID(message string) *Error { return codeInvalidClientMessageID.with(message) }

// InvalidMessageID: a message id parameter is not a message id.
func InvalidMessageID() *Error { return codeInvalidMessageID.with("message_id must be a message id.") }

// InvalidLastEventID: Last-Event-ID is not a stream position.
func InvalidLastEventID() *Error {
	return codeInvalidLastEventID.with("Last-Event-ID is not a position of this stream.")
}

// InvalidLimit: a page size out of range.
func InvalidLimit(message string) *Error { return codeInvalidLimit.with(message) }

// InvalidBefore: a pagination cursor that is not a message id.
func InvalidBefore() *Error { return codeInvalidBefore.with("before must be a message id.") }

// SiteRequired: the site could not be inferred from the request.
func SiteRequired() *Error { return codeSiteRequired.with("site_id is required.") }

// BotDetected: the honeypot field was filled.
func BotDetected() *Error { return codeBotDetected.with("This request looks automated.") }

// BlockedContent: the site's blocklist matched.
func BlockedContent() *Error { return codeBlockedContent.with("This message cannot be sent.") }

// Unauthorized: no valid session token or cookie.
func Unauthorized() *Error {
	return codeUnauthorized.with("A valid session token or cookie is required.")
}

// SessionExpired: the session is idle or past its lifetime.
func SessionExpired() *Error {
	return codeSessionExpired.with("The session has expired. Start a new one.")
}

// OriginNotAllowed: the request's origin is not one of the site's.
func OriginNotAllowed() *Error {
	return codeOriginNotAllowed.with("This site is not allowed to use the chat.")
}

// SiteMismatch: a session of one site used from another site's origin.
func SiteMismatch() *Error { return codeSiteMismatch.with("This session belongs to another site.") }

// SessionOriginMismatch: an @n8n/chat session id used from another origin than its first.
func SessionOriginMismatch() *Error {
	return codeSessionOriginMismatch.with("This chat session was started on another web site.")
}

// InvalidSessionID: an @n8n/chat sessionId that is not a UUID.
func InvalidSessionID() *Error { return codeInvalidSessionID.with("sessionId must be a UUID.") }

// InvalidFileName: an uploaded file's name holds a path, control characters or nothing.
func InvalidFileName() *Error {
	return codeInvalidFileName.with("The file name must be a plain name, without a path.")
}

// TooManyFiles: more files than the site allows at once.
func TooManyFiles() *Error { return codeTooManyFiles.with("Too many files at once.") }

// ImageTooLarge: an image whose pixel size is over the limit (a decompression bomb).
func ImageTooLarge() *Error { return codeImageTooLarge.with("The image is too large.") }

// PolyglotFile: a file that carries another file after the end of its own format.
func PolyglotFile() *Error {
	return codePolyglotFile.with("The file holds more than its own format allows.")
}

// InvalidFile: a file that claims a type by its first bytes but is not well formed.
func InvalidFile() *Error {
	return codeInvalidFile.with("The file is damaged or not what it claims to be.")
}

// UploadsDisabled: the site does not take files.
func UploadsDisabled() *Error { return codeUploadsDisabled.with("This chat does not take files.") }

// UploadNotFound: no upload with this id for this session.
func UploadNotFound() *Error { return codeUploadNotFound.with("No such file.") }

// FileTooLarge: a file over the site's size limit.
func FileTooLarge() *Error { return codeFileTooLarge.with("The file is larger than this chat allows.") }

// UnsupportedFileType: the content is not one of the site's allowed types.
func UnsupportedFileType() *Error {
	return codeUnsupportedFileType.with("This type of file is not allowed here.")
}

// Forbidden: the caller may not act on this resource; message says which.
func Forbidden(message string) *Error { return codeForbidden.with(message) }

// NotFound: no such route or resource.
func NotFound() *Error { return codeNotFound.with("Nothing here.") }

// SiteNotFound: unknown site id.
func SiteNotFound() *Error { return codeSiteNotFound.with("Unknown site.") }

// SessionNotFound: unknown session id.
func SessionNotFound() *Error { return codeSessionNotFound.with("Unknown session.") }

// InvalidEventName: an event name is not [a-z0-9_]{1,40}, or is one the server records itself.
func InvalidEventName(message string) *Error { return codeInvalidEventName.with(message) }

// InvalidEventProps: props are not a flat JSON object, or a built-in event's are incomplete.
func InvalidEventProps(message string) *Error { return codeInvalidEventProps.with(message) }

// InvalidEventTime: an event's at is not an RFC 3339 time within the last 24 hours.
func InvalidEventTime() *Error {
	return codeInvalidEventTime.with("at must be an RFC 3339 time within the last 24 hours.")
}

// NoEvents: the events list is empty.
func NoEvents() *Error { return codeNoEvents.with("events must hold at least one event.") }

// TooManyEvents: more events than one request may carry.
func TooManyEvents(max int) *Error {
	return codeTooManyEvents.with(fmt.Sprintf("At most %d events may be sent at once.", max))
}

// PropsTooLarge: an event's props are over their limit.
func PropsTooLarge() *Error {
	return codePropsTooLarge.with("An event's props may hold at most 1 KB of JSON.")
}

// BodyTooLarge: the body is over the endpoint's limit.
func BodyTooLarge() *Error { return codeBodyTooLarge.with("The request body is too large.") }

// UnsupportedMediaType: the body is not sent in the type the endpoint reads.
func UnsupportedMediaType(message string) *Error { return codeUnsupportedMediaType.with(message) }

// RateLimited: a per-IP, per-session or per-site rate refused the request.
func RateLimited(retry time.Duration) *Error {
	return codeRateLimited.withRetry("Too many messages. Please wait a moment.", retry)
}

// RepeatedMessage: the same text was sent more often than the site allows.
func RepeatedMessage(retry time.Duration) *Error {
	return codeRepeatedMessage.withRetry("This message was already sent several times.", retry)
}

// TooManyStreams: too many replies are running for the session or IP.
func TooManyStreams() *Error {
	return codeTooManyStreams.withRetry("Too many conversations are open at once. Please wait for an answer to finish.", time.Second)
}

// TooFast: the first message came sooner than the site's minimum delay.
func TooFast(retry time.Duration) *Error {
	return codeTooFast.withRetry("Please wait a moment before sending.", retry)
}

// DailyBudgetExhausted: the site's daily message budget is used up.
func DailyBudgetExhausted(retry time.Duration) *Error {
	return codeDailyBudgetExhausted.withRetry("The assistant has answered all the questions it can today. Please come back tomorrow.", retry)
}

// Internal: an unexpected failure; the caller logs it under an error id.
func Internal() *Error { return codeInternal.with("Something went wrong on our side.") }

// StorageUnavailable: the database could not be reached. cause is kept for the log.
func StorageUnavailable(cause error) *Error {
	e := codeStorageUnavailable.with("The chat is temporarily unavailable. Please try again shortly.")
	e.RetryAfter, e.Cause = 5*time.Second, cause
	return e
}

// ShuttingDown: this replica is draining; a retry lands on another.
func ShuttingDown(retry time.Duration) *Error {
	e := codeShuttingDown.with("The server is restarting. Please retry.")
	e.RetryAfter = retry
	return e
}

// The operator console's codes (docs/console.md).
var (
	codeInvalidCredentials = declare(http.StatusUnauthorized, "invalid_credentials")
	codeTOTPRequired       = declare(http.StatusUnauthorized, "totp_required")
	codeLoginBackoff       = declare(http.StatusTooManyRequests, "login_backoff")
	codeCSRF               = declare(http.StatusForbidden, "csrf")
	codePreconditionFailed = declare(http.StatusPreconditionFailed, "precondition_failed")
	codeSiteExists         = declare(http.StatusConflict, "site_exists")
	codeSiteManagedByFile  = declare(http.StatusConflict, "site_managed_by_file")
	codeWebhookNotAllowed  = declare(http.StatusBadRequest, "webhook_not_allowed")
	codeInvalidRange       = declare(http.StatusBadRequest, "invalid_range")
	codeWeakPassword       = declare(http.StatusBadRequest, "weak_password")
	codeSetupInvalid       = declare(http.StatusBadRequest, "setup_invalid")
	codeAccountExists      = declare(http.StatusConflict, "account_exists")
	codeInvalidCursor      = declare(http.StatusBadRequest, "invalid_cursor")
	codeInvalidTOTP        = declare(http.StatusBadRequest, "invalid_totp")
	codeWrongPassword      = declare(http.StatusBadRequest, "wrong_password")
	codeTOTPState          = declare(http.StatusConflict, "totp_state")
	codeLastOwner          = declare(http.StatusConflict, "last_owner")
	codeSiteEnabled        = declare(http.StatusConflict, "site_enabled")
)

// InvalidCredentials: a failed sign-in; the same answer whether the email is unknown, the
// password wrong, the account disabled or the TOTP code wrong.
func InvalidCredentials() *Error {
	return codeInvalidCredentials.with("The email, password or code is not right.")
}

// TOTPRequired: the password was right and the account needs its authenticator code.
func TOTPRequired() *Error {
	return codeTOTPRequired.with("Enter the 6-digit code from your authenticator app.")
}

// LoginBackoff: too many failed sign-ins for the account or from the address.
func LoginBackoff(retry time.Duration) *Error {
	return codeLoginBackoff.withRetry("Too many failed sign-ins. Please wait before trying again.", retry)
}

// CSRF: a cookie-authenticated change without the CSRF token, or from a foreign Origin.
func CSRF() *Error {
	return codeCSRF.with("The request lacks a valid X-CSRF-Token or comes from another origin.")
}

// PreconditionFailed: If-Match names a version that is no longer current.
func PreconditionFailed() *Error {
	return codePreconditionFailed.with("The resource changed since you read it. Reload and try again.")
}

// SiteExists: a site with this id exists.
func SiteExists() *Error { return codeSiteExists.with("A site with this id already exists.") }

// SiteManagedByFile: the site comes from the sites file or the environment.
func SiteManagedByFile() *Error {
	return codeSiteManagedByFile.with("This site is configured in the sites file or the environment; change it there.")
}

// WebhookNotAllowed: the webhook URL points at a private, loopback, link-local or metadata address.
func WebhookNotAllowed(message string) *Error { return codeWebhookNotAllowed.with(message) }

// InvalidRange: a time range that is reversed or too long; message says which.
func InvalidRange(message string) *Error { return codeInvalidRange.with(message) }

// WeakPassword: the password does not meet the policy; message says how.
func WeakPassword(message string) *Error { return codeWeakPassword.with(message) }

// SetupInvalid: the setup link is unknown, used, expired, or an account already exists.
func SetupInvalid() *Error {
	return codeSetupInvalid.with("This setup link is not valid any more. Restart chatproxy for a new one, or use `chatproxy admin add`.")
}

// AccountExists: an account with this email exists.
func AccountExists() *Error {
	return codeAccountExists.with("An account with this email already exists.")
}

// InvalidCursor: a pagination cursor this endpoint did not issue.
func InvalidCursor() *Error { return codeInvalidCursor.with("cursor is not a cursor from this list.") }

// InvalidTOTP: an authenticator code that is wrong or already used.
func InvalidTOTP() *Error { return codeInvalidTOTP.with("The code is not right, or was already used.") }

// WrongPassword: the current password given to confirm a change is wrong.
func WrongPassword() *Error { return codeWrongPassword.with("The current password is not right.") }

// TOTPState: the two-factor step does not fit the account's state; message says why.
func TOTPState(message string) *Error { return codeTOTPState.with(message) }

// LastOwner: the change would leave no active owner.
func LastOwner() *Error {
	return codeLastOwner.with("At least one active owner must remain.")
}

// SiteEnabled: a site is deleted only once disabled, since deleting removes its conversations.
func SiteEnabled() *Error {
	return codeSiteEnabled.with("Disable the site first: deleting it also deletes its conversations.")
}
