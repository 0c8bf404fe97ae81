package geoip_test

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/chatproxy/chatproxy/internal/geoip"
	"github.com/chatproxy/chatproxy/internal/geoip/geoiptest"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "city.mmdb")
	geoiptest.WriteTestDB(t, path)
	r, err := geoip.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })

	tests := []struct {
		ip, country, city string
	}{
		{"81.2.69.142", "GB", "London"},
		{"::ffff:81.2.69.1", "GB", "London"}, // IPv4-mapped form of the same network
		{"89.160.20.112", "SE", "Linköping"},
		{"2001:db8::1", "DE", "Berlin"},
		{"203.0.113.9", "JP", ""},
		{"8.8.8.8", "", ""}, // not in the database
		{"127.0.0.1", "", ""},
	}
	for _, tt := range tests {
		country, city := r.Lookup(netip.MustParseAddr(tt.ip))
		if country != tt.country || city != tt.city {
			t.Errorf("Lookup(%s) = %q, %q; want %q, %q", tt.ip, country, city, tt.country, tt.city)
		}
	}
}

func TestNilReaderAndBadFile(t *testing.T) {
	t.Parallel()
	var r *geoip.Reader
	if c, city := r.Lookup(netip.MustParseAddr("81.2.69.142")); c != "" || city != "" {
		t.Fatalf("nil reader answered %q, %q", c, city)
	}
	if _, err := geoip.Open(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Fatal("Open of a missing file succeeded")
	}
}
