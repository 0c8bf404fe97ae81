package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Uploads are a site's file upload rules (docs/api.md, "Uploads"). Off unless enabled.
type Uploads struct {
	Enabled      bool     `yaml:"enabled" json:"enabled"`
	AllowedTypes []string `yaml:"allowed_types" json:"allowed_types"` // media types, checked by content
	MaxBytes     int64    `yaml:"max_bytes" json:"max_bytes"`         // per file
	MaxFiles     int      `yaml:"max_files" json:"max_files"`         // per message
	FileDelivery string   `yaml:"file_delivery" json:"file_delivery"` // multipart (default) | url
}

// Upload defaults and bounds.
const (
	DefaultUploadMaxBytes = 10 << 20
	DefaultUploadMaxFiles = 3
	MaxUploadBytes        = 100 << 20
	// MaxImagePixels refuses images that would decode to more than this (decompression bombs).
	MaxImagePixels = 50_000_000
)

// UploadTypes are the media types chatproxy can recognise by their content; a site may allow
// any of them (default: all four).
var UploadTypes = []string{"image/jpeg", "image/png", "image/webp", "application/pdf"}

func applyUploadDefaults(u *Uploads) {
	if len(u.AllowedTypes) == 0 {
		u.AllowedTypes = append([]string(nil), UploadTypes...)
	}
	if u.MaxBytes == 0 {
		u.MaxBytes = DefaultUploadMaxBytes
	}
	if u.MaxFiles == 0 {
		u.MaxFiles = DefaultUploadMaxFiles
	}
	if u.FileDelivery == "" {
		u.FileDelivery = "multipart"
	}
}

func (u Uploads) validate() error {
	for _, t := range u.AllowedTypes {
		known := false
		for _, k := range UploadTypes {
			known = known || t == k
		}
		if !known {
			return fmt.Errorf("uploads.allowed_types: %q is not one of %s", t, strings.Join(UploadTypes, ", "))
		}
	}
	if u.MaxBytes < 1 || u.MaxBytes > MaxUploadBytes {
		return fmt.Errorf("uploads.max_bytes must be between 1 and %d", MaxUploadBytes)
	}
	if u.MaxFiles < 1 || u.MaxFiles > 10 {
		return fmt.Errorf("uploads.max_files must be between 1 and 10")
	}
	if u.FileDelivery != "multipart" && u.FileDelivery != "url" {
		return fmt.Errorf("uploads.file_delivery must be multipart or url")
	}
	return nil
}

// S3 is the S3-compatible object storage of uploads; without an endpoint files go to the
// data directory.
type S3 struct {
	Endpoint  string // CHATPROXY_S3_ENDPOINT: http(s)://host[:port]
	Bucket    string // CHATPROXY_S3_BUCKET
	AccessKey string // CHATPROXY_S3_ACCESS_KEY
	SecretKey string // CHATPROXY_S3_SECRET_KEY (also _FILE)
	Region    string // CHATPROXY_S3_REGION, default us-east-1
	PathStyle bool   // CHATPROXY_S3_PATH_STYLE: bucket in the path, not the host name
}

func (r *reader) s3() S3 {
	s := S3{
		Endpoint: strings.TrimRight(r.str("CHATPROXY_S3_ENDPOINT", ""), "/"), Bucket: r.str("CHATPROXY_S3_BUCKET", ""),
		AccessKey: r.str("CHATPROXY_S3_ACCESS_KEY", ""), SecretKey: string(r.secret("CHATPROXY_S3_SECRET_KEY")),
		Region: r.str("CHATPROXY_S3_REGION", "us-east-1"), PathStyle: r.boolean("CHATPROXY_S3_PATH_STYLE", false),
	}
	if s.Endpoint == "" {
		return s
	}
	if u, err := url.Parse(s.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
		r.fail(settingErr("CHATPROXY_S3_ENDPOINT", "must be http(s)://host[:port]"))
	}
	if s.Bucket == "" || s.AccessKey == "" || s.SecretKey == "" {
		r.fail(settingErr("CHATPROXY_S3_ENDPOINT", "needs CHATPROXY_S3_BUCKET, CHATPROXY_S3_ACCESS_KEY and CHATPROXY_S3_SECRET_KEY"))
	}
	return s
}
