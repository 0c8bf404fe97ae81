package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// demoSite is the site used when nothing is configured: it allows the server's own origin and
// talks to the built-in demo agent.
func demoSite(c Config) Site {
	s := Site{
		ID:             DemoSiteID,
		Name:           "Demo shop",
		WebhookURL:     DemoWebhookURL,
		AllowedOrigins: SelfOrigins(c),
		Trusted:        true,
		Widget: Widget{
			Title:       "Demo shop assistant",
			Subtitle:    "Answers come from the built-in demo agent",
			Welcome:     "Hi! I'm the demo assistant. Ask me anything about this shop.",
			Suggestions: []string{"Do you ship abroad?", "What is your return policy?", "Tell me about this product"},
		},
	}
	ApplySiteDefaults(&s)
	return s
}

// SelfOrigins lists the origins a browser uses to reach this server: CHATPROXY_PUBLIC_URL when set,
// else localhost, 127.0.0.1 and [::1] on the listening port.
func SelfOrigins(c Config) []string {
	if c.PublicURL != "" {
		return []string{c.PublicURL}
	}
	_, port, err := net.SplitHostPort(c.Addr)
	if err != nil || port == "" || port == "0" {
		port = "8080"
	}
	return []string{"http://localhost:" + port, "http://127.0.0.1:" + port, "http://[::1]:" + port}
}

// generated holds secrets made once and kept in the data dir.
type generated struct {
	JWTSecret      string `json:"jwt_secret_key"`
	SessionSecret  string `json:"session_secret_key"`
	EncryptionKeys string `json:"encryption_keys"`
}

// EnsureSecrets fills secrets that were not configured. In demo mode, and for a single node on
// SQLite, they are generated once and kept in <data dir>/secrets.json (mode 0600). With
// PostgreSQL (many replicas) every replica must share them, so they must be configured.
func EnsureSecrets(c *Config) error {
	if c.DatabaseURL != "" {
		if len(c.JWTSecret) == 0 {
			return settingErr("JWT_SECRET_KEY", "is required with DATABASE_URL (all replicas must share it)")
		}
		if c.EncryptionKeys == "" {
			return settingErr("CHATPROXY_ENCRYPTION_KEYS", "is required with DATABASE_URL (all replicas must share it); generate one with `chatproxy keys generate`")
		}
		return nil
	}
	if len(c.JWTSecret) > 0 && c.EncryptionKeys != "" && (len(c.SessionSecret) > 0 || !c.Demo) {
		return nil
	}
	path := filepath.Join(c.DataDir, "secrets.json")
	g, err := readOrCreateSecrets(path)
	if err != nil {
		return settingErr("CHATPROXY_DATA_DIR", "%v", err)
	}
	if len(c.JWTSecret) == 0 {
		c.JWTSecret = []byte(g.JWTSecret)
	}
	if c.EncryptionKeys == "" {
		c.EncryptionKeys = g.EncryptionKeys
	}
	if len(c.SessionSecret) == 0 && c.Demo {
		c.SessionSecret = []byte(g.SessionSecret)
	}
	return nil
}

func readOrCreateSecrets(path string) (generated, error) {
	var g generated
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &g); err != nil {
			return g, fmt.Errorf("%s is damaged: %v", path, err)
		}
		return g, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return g, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return g, err
	}
	g = generated{
		JWTSecret:      randomHex(32),
		SessionSecret:  randomHex(32),
		EncryptionKeys: "k1:" + base64.StdEncoding.EncodeToString(randomBytes(32)),
	}
	b, _ = json.MarshalIndent(g, "", "  ")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return g, err
	}
	return g, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }
