package config

import (
	"errors"
	"testing"
)

func TestAdminListenerSettings(t *testing.T) {
	cases := []struct {
		vars            map[string]string
		enabled, public bool
		origin          string
		https           bool
	}{
		{map[string]string{"CHATPROXY_ADMIN_ADDR": "off"}, false, false, "", false},
		{map[string]string{"CHATPROXY_ADMIN_ADDR": "public", "CHATPROXY_PUBLIC_URL": "https://chat.example.com/"}, true, true, "https://chat.example.com", true},
		{map[string]string{"CHATPROXY_ADMIN_ADDR": "10.0.0.5:9000", "CHATPROXY_PUBLIC_URL": "https://chat.example.com"}, true, false, "", false},
		{map[string]string{"CHATPROXY_ADMIN_URL": "https://console.example.com/"}, true, false, "https://console.example.com", true},
	}
	for _, tc := range cases {
		c, err := Load(env(tc.vars))
		if err != nil {
			t.Fatalf("%v: %v", tc.vars, err)
		}
		if c.AdminEnabled() != tc.enabled || c.AdminOnPublicListener() != tc.public || c.AdminOrigin() != tc.origin || c.AdminHTTPS() != tc.https {
			t.Errorf("%v: enabled=%v public=%v origin=%q https=%v", tc.vars, c.AdminEnabled(), c.AdminOnPublicListener(), c.AdminOrigin(), c.AdminHTTPS())
		}
	}
}

func TestAdminSettingsRefused(t *testing.T) {
	for _, vars := range []map[string]string{
		{"CHATPROXY_ADMIN_ADDR": "8081"},
		{"CHATPROXY_ADMIN_ADDR": "yes"},
		{"CHATPROXY_ADMIN_URL": "console.example.com"},
		{"CHATPROXY_ADMIN_URL": "https://console.example.com/admin"},
		{"CHATPROXY_ADMIN_URL": "ftp://console.example.com"},
	} {
		_, err := Load(env(vars))
		var ce *Error
		if !errors.As(err, &ce) || (ce.Setting != "CHATPROXY_ADMIN_ADDR" && ce.Setting != "CHATPROXY_ADMIN_URL") {
			t.Errorf("%v: err %v, want a config error naming the setting", vars, err)
		}
	}
}
