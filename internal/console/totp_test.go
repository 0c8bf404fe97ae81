package console

import (
	"strings"
	"testing"
	"time"
)

// TestTOTPRFC6238Vectors checks the SHA-1 rows of RFC 6238 Appendix B (8 digits, secret
// "12345678901234567890").
func TestTOTPRFC6238Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	vectors := []struct {
		unix int64
		code string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, v := range vectors {
		step := totpStep(time.Unix(v.unix, 0))
		if got := hotp(secret, uint64(step), 8); got != v.code {
			t.Errorf("T=%d: %s, want %s", v.unix, got, v.code)
		}
	}
}

// TestHOTPRFC4226Vectors checks RFC 4226 Appendix D (6 digits).
func TestHOTPRFC4226Vectors(t *testing.T) {
	secret := []byte("12345678901234567890")
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := hotp(secret, uint64(i), 6); got != w {
			t.Errorf("counter %d: %s, want %s", i, got, w)
		}
	}
}

func TestMatchTOTPWindow(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1111111111, 0)
	step := totpStep(now)
	for d := int64(-3); d <= 3; d++ {
		code := hotp(secret, uint64(step+d), totpDigits)
		got, ok := matchTOTP(secret, code, now)
		wantOK := d >= -totpSkew && d <= totpSkew
		if ok != wantOK || (ok && got != step+d) {
			t.Errorf("offset %d: matched step %d ok=%v, want ok=%v", d, got, ok, wantOK)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := matchTOTP(secret, bad, now); ok {
			t.Errorf("code %q matched", bad)
		}
	}
}

func TestTOTPURI(t *testing.T) {
	uri := totpURI([]byte("12345678901234567890"), "ops@example.com")
	for _, part := range []string{"otpauth://totp/chatproxy:ops@example.com?", "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "issuer=chatproxy", "digits=6", "period=30"} {
		if !strings.Contains(uri, part) {
			t.Errorf("URI %s lacks %s", uri, part)
		}
	}
}
