// Package geoip turns a visitor's IP address into a country and a city.
//
// It reads a MaxMind-format (GeoLite2/GeoIP2 City) database. A nil *Reader answers "" for
// everything, so callers need no special case when no database is configured.
package geoip

import (
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Reader looks addresses up in an open database. It is safe for concurrent use.
type Reader struct {
	db *maxminddb.Reader
}

// cityRecord is the part of a City record we use; nested structs avoid decoding the names map.
type cityRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	City struct {
		Names struct {
			En string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"city"`
}

// Open opens (memory-maps) a database file.
func Open(path string) (*Reader, error) {
	db, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open geoip database: %w", err)
	}
	return &Reader{db: db}, nil
}

// Lookup returns the ISO country code and English city name for ip, "" for what is unknown.
func (r *Reader) Lookup(ip netip.Addr) (country, city string) {
	if r == nil || r.db == nil || !ip.IsValid() {
		return "", ""
	}
	var rec cityRecord
	res := r.db.Lookup(ip.Unmap())
	if !res.Found() || res.Decode(&rec) != nil {
		return "", ""
	}
	return rec.Country.ISOCode, rec.City.Names.En
}

// Close releases the database.
func (r *Reader) Close() error {
	if r == nil || r.db == nil {
		return nil
	}
	return r.db.Close()
}
