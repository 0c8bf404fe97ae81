package config

import (
	"net"
	"net/url"
	"strings"
)

// Special values of CHATPROXY_ADMIN_ADDR.
const (
	AdminOnPublic = "public" // the console shares the public listener (single-port setups)
	AdminOff      = "off"    // no console at all
)

// AdminEnabled reports whether the operator console is served at all.
func (c Config) AdminEnabled() bool { return c.AdminAddr != AdminOff && c.AdminAddr != "" }

// AdminOnPublicListener reports whether /admin/ is mounted on the public listener.
func (c Config) AdminOnPublicListener() bool { return c.AdminAddr == AdminOnPublic }

// AdminOrigin is the console's origin as browsers see it when it is known from the
// configuration: CHATPROXY_ADMIN_URL, else CHATPROXY_PUBLIC_URL when the console shares the
// public listener; "" when only the request can tell.
func (c Config) AdminOrigin() string {
	base := c.AdminURL
	if base == "" && c.AdminOnPublicListener() {
		base = c.PublicURL
	}
	if base == "" {
		return ""
	}
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// AdminHTTPS reports whether operators reach the console over HTTPS according to the
// configuration (the console's cookie then carries Secure even behind a TLS-terminating proxy).
func (c Config) AdminHTTPS() bool { return strings.HasPrefix(c.AdminOrigin(), "https://") }

func (c Config) validateAdmin() error {
	switch c.AdminAddr {
	case AdminOnPublic, AdminOff:
	default:
		if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
			return settingErr("CHATPROXY_ADMIN_ADDR", "want host:port, %q or %q, got %q", AdminOnPublic, AdminOff, c.AdminAddr)
		}
	}
	if c.AdminURL != "" {
		u, err := url.Parse(c.AdminURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
			return settingErr("CHATPROXY_ADMIN_URL", "must be an http(s) origin like https://console.example.com (no path: the console lives at /admin/)")
		}
	}
	return nil
}
