// Package origin parses and matches browser origins (scheme, host, port) against a site's allowed
// list: exact origins and `https://*.shop.com` wildcards for subdomains. It is the only place that
// decides whether an Origin header belongs to a site.
package origin

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Origin is a parsed, normalised origin: lower-case scheme and host, explicit port.
type Origin struct {
	Scheme string
	Host   string // without brackets for IPv6
	Port   int
}

// String renders the origin the way browsers send it (default ports omitted).
func (o Origin) String() string {
	host := o.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if o.Port == defaultPort(o.Scheme) {
		return o.Scheme + "://" + host
	}
	return o.Scheme + "://" + host + ":" + strconv.Itoa(o.Port)
}

// Pattern is one allowed-origins entry.
type Pattern struct {
	Origin
	Wildcard bool // Host is the parent domain of "*.<Host>"
}

// ErrInvalid is returned for anything that is not a plain http(s) origin.
var ErrInvalid = errors.New("not a valid origin")

func defaultPort(scheme string) int {
	if scheme == "https" {
		return 443
	}
	return 80
}

// Parse parses an Origin header value. "null", paths, queries, user info and non-http(s) schemes
// are refused.
func Parse(s string) (Origin, error) {
	if s == "" || s == "null" || len(s) > 512 {
		return Origin{}, ErrInvalid
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return Origin{}, ErrInvalid
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return Origin{}, ErrInvalid
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || strings.ContainsAny(host, "*%/\\ ") || strings.HasSuffix(host, ".") {
		return Origin{}, ErrInvalid
	}
	port := defaultPort(scheme)
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Origin{}, ErrInvalid
		}
		port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return Origin{}, ErrInvalid
	}
	return Origin{Scheme: scheme, Host: host, Port: port}, nil
}

// ParsePattern parses an allowed-origins entry: an origin, or one with a leading "*." label.
func ParsePattern(s string) (Pattern, error) {
	raw := strings.TrimSpace(s)
	wild := false
	if i := strings.Index(raw, "://*."); i > 0 {
		wild = true
		raw = raw[:i+3] + raw[i+5:]
	}
	o, err := Parse(raw)
	if err != nil {
		return Pattern{}, fmt.Errorf("%q is not an origin like https://shop.com or https://*.shop.com", s)
	}
	if wild && (net.ParseIP(o.Host) != nil || !strings.Contains(o.Host, ".")) {
		return Pattern{}, fmt.Errorf("%q: a wildcard needs a domain with at least two labels", s)
	}
	return Pattern{Origin: o, Wildcard: wild}, nil
}

// Matches reports whether o is allowed by p. A wildcard matches any subdomain (one or more labels)
// of its domain, never the domain itself, another scheme or another port.
func (p Pattern) Matches(o Origin) bool {
	if o.Scheme != p.Scheme || o.Port != p.Port {
		return false
	}
	if !p.Wildcard {
		return o.Host == p.Host
	}
	return strings.HasSuffix(o.Host, "."+p.Host) && len(o.Host) > len(p.Host)+1
}

// List is a site's allowed origins.
type List []Pattern

// ParseList parses every entry.
func ParseList(entries []string) (List, error) {
	out := make(List, 0, len(entries))
	for _, e := range entries {
		p, err := ParsePattern(e)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Allows parses header and reports whether it matches an entry.
func (l List) Allows(header string) bool {
	o, err := Parse(header)
	if err != nil {
		return false
	}
	for _, p := range l {
		if p.Matches(o) {
			return true
		}
	}
	return false
}

// FrameAncestors renders the list as a CSP frame-ancestors source list.
func (l List) FrameAncestors() string {
	if len(l) == 0 {
		return "'none'"
	}
	parts := make([]string, 0, len(l))
	for _, p := range l {
		if strings.Contains(p.Host, ":") {
			continue // CSP source expressions cannot name IPv6 literals (browsers reject them)
		}
		s := p.Origin.String()
		if p.Wildcard {
			s = strings.Replace(s, "://", "://*.", 1)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "'none'"
	}
	return strings.Join(parts, " ")
}
