package n8ntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwtVerifier mirrors n8n's jwt.verify(token, key, {algorithms:[alg]}): the algorithm is pinned,
// exp and nbf are enforced when present, aud and iss are not checked.
func jwtVerifier(alg string, key any) func(string) (map[string]any, error) {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{alg}))
	return func(token string) (map[string]any, error) {
		claims := jwt.MapClaims{}
		_, err := parser.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return key, nil })
		if err != nil {
			return nil, err
		}
		return claims, nil
	}
}

// bearerToken takes the second word of the header, as n8n does (authHeader.split(' ')[1]).
func bearerToken(header string) string {
	parts := strings.Split(header, " ")
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// checkJWT answers like n8n's Webhook node: 401 "No token provided" without a token, 403 with the
// verifier's message when it is invalid. It returns true when the request may proceed.
func checkJWT(w http.ResponseWriter, rec *Request, verify func(string) (map[string]any, error)) bool {
	if rec.Token == "" {
		authFailure(w, http.StatusUnauthorized, "No token provided")
		return false
	}
	claims, err := verify(rec.Token)
	if err != nil {
		authFailure(w, http.StatusForbidden, jwtMessage(err))
		return false
	}
	rec.Claims = claims
	return true
}

func jwtMessage(err error) string {
	if errors.Is(err, jwt.ErrTokenExpired) {
		return "jwt expired"
	}
	return "invalid token"
}

func authFailure(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="Webhook"`)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

// selfSignedCert makes a short-lived certificate for the TLS fake and a pool that trusts it.
func selfSignedCert() (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("n8ntest: key: " + err.Error())
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "n8ntest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost", "example.com"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic("n8ntest: certificate: " + err.Error())
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic("n8ntest: certificate: " + err.Error())
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
