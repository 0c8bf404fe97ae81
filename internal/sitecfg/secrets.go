package sitecfg

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// key is one signing key of a console site, as sealed in secrets_enc.
type key struct {
	Algorithm string    `json:"alg"`
	KID       string    `json:"kid"`
	Material  string    `json:"material"` // HS256: the secret as n8n takes it (text); ES256: private key PEM
	SetAt     time.Time `json:"set_at"`
	// Until ends a replaced key's use (the rotation overlap); zero for the current key.
	Until time.Time `json:"until,omitzero"`
}

// keySet is what secrets_enc holds, sealed with the field keys and bound to the site id.
type keySet struct {
	Current  key  `json:"current"`
	Previous *key `json:"previous,omitempty"`
}

// newKey makes a fresh key of alg for siteID. shown is what n8n's credential needs and is
// returned to the caller once: the HS256 secret, or "" for ES256 (its public key is public).
func newKey(alg, siteID string, now time.Time) (k key, shown string, err error) {
	k = key{Algorithm: alg, SetAt: now.UTC()}
	switch alg {
	case "HS256":
		// 256 random bits as base64url text: n8n's JWT Auth takes its passphrase as text.
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return key{}, "", err
		}
		k.Material = base64.RawURLEncoding.EncodeToString(b)
		k.KID = kidFor(siteID, []byte(k.Material))
		return k, k.Material, nil
	case "ES256":
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return key{}, "", err
		}
		der, err := x509.MarshalECPrivateKey(priv)
		if err != nil {
			return key{}, "", err
		}
		pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
		if err != nil {
			return key{}, "", err
		}
		k.Material = string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
		k.KID = kidFor(siteID, pubDER)
		return k, "", nil
	}
	return key{}, "", fmt.Errorf("unknown signing algorithm %q", alg)
}

// kidFor names a key after its site and a fingerprint that reveals nothing of it.
func kidFor(siteID string, material []byte) string {
	sum := sha256.Sum256(append([]byte("kid:"), material...))
	return siteID + "-" + hex.EncodeToString(sum[:4])
}

// rotate makes a new current key; the old one stays as the previous key until now+overlap,
// unless revoke ends it now.
func (ks keySet) rotate(alg, siteID string, now time.Time, overlap time.Duration, revoke bool) (keySet, string, error) {
	fresh, shown, err := newKey(alg, siteID, now)
	if err != nil {
		return keySet{}, "", err
	}
	next := keySet{Current: fresh}
	if !revoke {
		prev := ks.Current
		prev.Until = now.UTC().Add(overlap)
		next.Previous = &prev
	}
	return next, shown, nil
}

func (ks keySet) seal(c store.Cipher, siteID string) ([]byte, error) {
	raw, err := json.Marshal(ks)
	if err != nil {
		return nil, err
	}
	return c.Seal(raw, store.SiteSecretsAAD(siteID))
}

func openKeySet(c store.Cipher, siteID string, sealed []byte) (keySet, error) {
	raw, err := c.Open(sealed, store.SiteSecretsAAD(siteID))
	if err != nil {
		return keySet{}, fmt.Errorf("open the signing keys of site %s: %w", siteID, err)
	}
	var ks keySet
	if err := json.Unmarshal(raw, &ks); err != nil {
		return keySet{}, fmt.Errorf("signing keys of site %s: %w", siteID, err)
	}
	return ks, nil
}

// signers turns the key set into the site's signers; a previous key past its end is dropped.
func (ks keySet) signers(ttl config.Dur, now time.Time) (site.Keys, error) {
	cur, err := ks.Current.signer(ttl)
	if err != nil {
		return site.Keys{}, err
	}
	keys := site.Keys{Current: cur}
	if p := ks.Previous; p != nil && now.Before(p.Until) {
		if keys.Previous, err = p.signer(ttl); err != nil {
			return site.Keys{}, err
		}
		keys.PreviousUntil = p.Until
	}
	return keys, nil
}

func (k key) signer(ttl config.Dur) (*upstream.Signer, error) {
	switch k.Algorithm {
	case "HS256":
		return upstream.NewHS256Signer(k.KID, []byte(k.Material), site.Issuer, ttl.D())
	case "ES256":
		priv, err := upstream.ParseES256PrivateKeyPEM([]byte(k.Material))
		if err != nil {
			return nil, err
		}
		return upstream.NewES256Signer(k.KID, priv, site.Issuer, ttl.D())
	}
	return nil, fmt.Errorf("unknown signing algorithm %q", k.Algorithm)
}

// publicPEM is the public half of an ES256 key, "" for HS256.
func (k key) publicPEM() string {
	if k.Algorithm != "ES256" {
		return ""
	}
	priv, err := upstream.ParseES256PrivateKeyPEM([]byte(k.Material))
	if err != nil {
		return ""
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// info describes the key set for the API and `keys show`: never the material.
func (ks keySet) info(now time.Time) SecretInfo {
	setAt := ks.Current.SetAt
	out := SecretInfo{Algorithm: ks.Current.Algorithm, KID: ks.Current.KID, SetAt: &setAt, PublicKeyPEM: ks.Current.publicPEM()}
	if p := ks.Previous; p != nil && now.Before(p.Until) {
		until := p.Until
		out.PreviousKID, out.PreviousUntil, out.PreviousPublicKeyPEM = p.KID, &until, p.publicPEM()
	}
	return out
}
