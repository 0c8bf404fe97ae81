// Package geoiptest writes a tiny City-format GeoIP database for tests.
//
// No real MaxMind file is needed. It lives apart from package geoip to keep the database writer
// out of the binary.
package geoiptest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Entry is one network of the test database.
type Entry struct {
	Network string // CIDR
	Country string // ISO code
	City    string // English name, "" for none
}

// Entries returns what WriteTestDB stores.
func Entries() []Entry {
	return []Entry{
		{Network: "81.2.69.0/24", Country: "GB", City: "London"},
		{Network: "89.160.20.0/24", Country: "SE", City: "Linköping"},
		{Network: "2001:db8::/32", Country: "DE", City: "Berlin"},
		{Network: "203.0.113.0/24", Country: "JP", City: ""},
	}
}

// WriteTestDB writes the database to path (creating directories) and fails the test on error.
func WriteTestDB(t testing.TB, path string) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            "GeoIP2-City",
		RecordSize:              24,
		IncludeReservedNetworks: true, // the documentation ranges above are reserved
	})
	if err != nil {
		t.Fatalf("geoiptest: new tree: %v", err)
	}
	for _, e := range Entries() {
		_, network, err := net.ParseCIDR(e.Network)
		if err != nil {
			t.Fatalf("geoiptest: %v", err)
		}
		if err := tree.Insert(network, record(e)); err != nil {
			t.Fatalf("geoiptest: insert %s: %v", e.Network, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("geoiptest: %v", err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("geoiptest: %v", err)
	}
	defer func() { _ = f.Close() }()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatalf("geoiptest: write: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("geoiptest: close: %v", err)
	}
}

func record(e Entry) mmdbtype.Map {
	m := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(e.Country)}}
	if e.City != "" {
		m["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(e.City)}}
	}
	return m
}
