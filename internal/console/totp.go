package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 6238's default and what every authenticator app supports
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"time"
)

// TOTP parameters (RFC 6238 defaults, which every authenticator app reads from the URI).
const (
	totpPeriod    = 30 // seconds per step
	totpDigits    = 6
	totpSkew      = 1  // steps accepted either side of now (clock drift, typing time)
	totpSecretLen = 20 // bytes: RFC 4226's recommended 160 bits
	totpIssuer    = "chatproxy"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTOTPSecret returns a random secret.
func newTOTPSecret() ([]byte, error) {
	s := make([]byte, totpSecretLen)
	_, err := rand.Read(s)
	return s, err
}

// hotp is RFC 4226's HMAC-based one-time password for counter.
func hotp(secret []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha1.New, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// totpStep is the RFC 6238 time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// matchTOTP returns the step within ±totpSkew of now whose code is code. Every candidate is
// compared in constant time, so timing does not tell which step matched.
func matchTOTP(secret []byte, code string, now time.Time) (step int64, ok bool) {
	if len(code) != totpDigits {
		return 0, false
	}
	base := totpStep(now)
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		s := base + d
		if s < 0 {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hotp(secret, uint64(s), totpDigits)), []byte(code)) == 1 && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// totpURI is the otpauth:// URI authenticator apps scan (Google's Key Uri Format).
func totpURI(secret []byte, email string) string {
	q := url.Values{}
	q.Set("secret", b32.EncodeToString(secret))
	q.Set("issuer", totpIssuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(totpDigits))
	q.Set("period", fmt.Sprint(totpPeriod))
	label := url.PathEscape(totpIssuer + ":" + email)
	return "otpauth://totp/" + label + "?" + q.Encode()
}
