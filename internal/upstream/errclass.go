package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"

	"github.com/sony/gobreaker/v2"
)

// errorClass names what went wrong in words of our own, for logs and metrics. Network errors
// carry n8n's host, port, resolved address and sometimes the resolver's (dial tcp 10.0.0.5:5678:
// connect: connection refused; lookup n8n.internal on 10.0.0.2:53: no such host), and logs must
// never name the upstream (docs/security.md), so a cause is never printed: only its class is.
func errorClass(err error) string {
	if err == nil {
		return ""
	}
	if c := ownClass(err); c != "" {
		return c
	}
	if c := networkClass(err); c != "" {
		return c
	}
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	var alertErr tls.AlertError
	switch {
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &certErr):
		return "tls: certificate not accepted"
	case errors.As(err, &recErr), errors.As(err, &alertErr):
		return "tls: handshake failed"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed early"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "other"
}

var (
	errUntrustedHTTP = errors.New("untrusted webhook URLs must use https")
	errBuildBody     = errors.New("the request body could not be built")
	errSignToken     = errors.New("the token could not be signed")
)

// ownClasses are errors this package (or the breaker) makes from fixed text that names nothing
// external, the more specific first.
var ownClasses = []error{
	ErrBlockedAddress, errCallerCanceled, errBusy, errFirstByteTimeout, errIdleTimeout,
	errTotalTimeout, errNoText, errAgentChunk, errUnreadable, errHTML, errInvalidJSON,
	errBodyTooLarge, errTooLarge, errLineTooLong, errUntrustedHTTP, errBuildBody, errSignToken,
	gobreaker.ErrOpenState, gobreaker.ErrTooManyRequests,
}

func ownClass(err error) string {
	var status httpStatusError
	var badURL urlError
	switch {
	case errors.As(err, &status):
		return status.Error()
	case errors.As(err, &badURL):
		return badURL.Error()
	}
	for _, own := range ownClasses {
		if errors.Is(err, own) {
			return own.Error()
		}
	}
	return ""
}

// httpStatusError is a non-2xx answer; its text is the status code alone.
type httpStatusError int

func (e httpStatusError) Error() string { return "upstream answered HTTP " + strconv.Itoa(int(e)) }

// urlError says what is wrong with a webhook URL without repeating it.
type urlError string

func (e urlError) Error() string { return string(e) }

// ErrorClass returns the class of an error returned by Call (its Class), or of any other
// error: a short description that names no host, port, address or URL, safe to log.
func ErrorClass(err error) string {
	if e, ok := AsError(err); ok {
		return e.Class
	}
	return errorClass(err)
}

// networkClass classifies DNS, connect and socket errors by what happened, never by where.
func networkClass(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			return "dns: no such host"
		case dnsErr.IsTimeout:
			return "dns: timeout"
		}
		return "dns: lookup failed"
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		return ""
	}
	op := opErr.Op
	if op == "dial" {
		op = "connect"
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return op + ": connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return op + ": connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return op + ": network unreachable"
	case opErr.Timeout():
		return op + ": timeout"
	}
	return op + ": failed"
}
