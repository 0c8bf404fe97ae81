// Package origin matches browser origins against a site's allowed list.
//
// An origin is a scheme, host and port; a list holds exact origins and `https://*.shop.com`
// wildcards for subdomains. It is the only place that decides whether an Origin header belongs
// to a site.
package origin

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
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

// DefaultPort is the port a URL of the scheme means when it names none.
func DefaultPort(scheme string) int { return defaultPort(scheme) }

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

// Allows parses an Origin header and reports whether it matches an entry. Only the canonical
// form browsers send is allowed (lower-case scheme and host, no default port, no trailing
// "/"): another spelling is not a browser's, and refusing it means the header echoed back in
// Access-Control-Allow-Origin is always canonical.
func (l List) Allows(header string) bool {
	o, err := Parse(header)
	if err != nil || o.String() != header {
		return false
	}
	return l.AllowsOrigin(o)
}

// AllowsOrigin reports whether a parsed origin matches an entry.
func (l List) AllowsOrigin(o Origin) bool {
	for _, p := range l {
		if p.Matches(o) {
			return true
		}
	}
	return false
}

// AllowsHost reports whether a bare host name (what location.hostname gives: no scheme, no
// port; IPv6 in brackets) is the host of an entry, or for a wildcard entry a subdomain of its
// domain. Scheme and port are not compared: a host name carries neither.
func (l List) AllowsHost(hostname string) bool {
	h, err := ParseHost(hostname)
	if err != nil {
		return false
	}
	for _, p := range l {
		if p.Matches(Origin{Scheme: p.Scheme, Host: h, Port: p.Port}) {
			return true
		}
	}
	return false
}

// ParseHost parses a bare host name: a DNS name or IP address, IPv6 in brackets, no port. It
// returns the host lower-cased, IPv6 without brackets (as Origin.Host holds it).
func ParseHost(s string) (string, error) {
	if s == "" || len(s) > 255 || strings.ContainsAny(s, "*%/\\@?#; ") {
		return "", ErrInvalid
	}
	h := strings.ToLower(s)
	if inner, ok := strings.CutPrefix(h, "["); ok {
		inner, ok = strings.CutSuffix(inner, "]")
		if ip, err := netip.ParseAddr(inner); !ok || err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", ErrInvalid
		}
		return inner, nil
	}
	if strings.ContainsAny(h, ":[]") || strings.HasPrefix(h, ".") || strings.HasSuffix(h, ".") || strings.Contains(h, "..") {
		return "", ErrInvalid
	}
	return h, nil
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
