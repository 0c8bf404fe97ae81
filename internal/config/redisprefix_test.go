package config

import (
	"os"
	"regexp"
	"testing"
)

// The Redis key prefix defaulted to "" in code while the README promised "chatproxy:". The
// default is declared once here, and the README's table must say the same.
func TestRedisPrefixDefault(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisPrefix != "chatproxy:" || DefaultRedisPrefix != "chatproxy:" {
		t.Errorf("default Redis prefix %q, want %q", c.RedisPrefix, "chatproxy:")
	}
	c, err = Load(env(map[string]string{"CHATPROXY_REDIS_PREFIX": "shop-a:"}))
	if err != nil || c.RedisPrefix != "shop-a:" {
		t.Errorf("CHATPROXY_REDIS_PREFIX=shop-a: gave %q, %v", c.RedisPrefix, err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?m)^\\| `CHATPROXY_REDIS_PREFIX` \\| `([^`]*)` \\|").FindSubmatch(readme)
	if m == nil || string(m[1]) != DefaultRedisPrefix {
		t.Errorf("README's CHATPROXY_REDIS_PREFIX row %q does not name the code's default %q", m, DefaultRedisPrefix)
	}
}
