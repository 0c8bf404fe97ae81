package cli

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/crypto"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

func keys(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: chatproxy keys show [--reveal] | keys generate")
	}
	switch args[0] {
	case "show":
		reveal := len(args) > 1 && args[1] == "--reveal"
		c, err := loadConfig()
		if err != nil {
			return err
		}
		return showKeys(c, reveal, stdout)
	case "generate":
		kid, key := crypto.GenerateKey()
		fmt.Fprintf(stdout, "%s:%s\n", kid, base64.StdEncoding.EncodeToString(key))
		fmt.Fprintln(stdout, "# append it to CHATPROXY_ENCRYPTION_KEYS (comma-separated; the last entry encrypts new data)")
		return nil
	}
	return fmt.Errorf("unknown keys command %q", args[0])
}

// showKeys prints, per site, what to enter in n8n's JWT Auth credential (Webhook node v2.1+).
func showKeys(c config.Config, reveal bool, w io.Writer) error {
	for _, s := range c.Sites {
		fmt.Fprintf(w, "site %s\n", s.ID)
		fmt.Fprintf(w, "  n8n credential: JWT Auth, algorithm %s\n", s.Signing.Algorithm)
		fmt.Fprintf(w, "  token claims to check in the workflow: iss=chatproxy aud=n8n:%s (site_id, sub=session, msg_id, jti, exp ≤ %s)\n", s.ID, s.Signing.TTL.D())
		switch s.Signing.Algorithm {
		case "ES256":
			pub, err := publicPEM(s.Signing.PrivateKeyFile)
			if err != nil {
				return fmt.Errorf("site %s: %w", s.ID, err)
			}
			fmt.Fprintf(w, "  key type: PEM Key; public key:\n%s", indent(pub, "    "))
		default:
			secret, source := s.Signing.Secret, "signing.secret"
			if s.Signing.SecretFile != "" {
				b, err := os.ReadFile(s.Signing.SecretFile)
				if err != nil {
					return fmt.Errorf("site %s: %w", s.ID, err)
				}
				secret, source = strings.TrimSpace(string(b)), "signing.secret_file"
			}
			if secret == "" {
				secret, source = string(c.SessionSecret), "SESSION_SECRET_KEY"
			}
			shown := "(hidden: run `chatproxy keys show --reveal` to print it)"
			if reveal {
				shown = secret
			}
			fmt.Fprintf(w, "  key type: Passphrase; secret from %s: %s\n", source, shown)
		}
	}
	return nil
}

func publicPEM(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	key, err := upstream.ParseES256PrivateKeyPEM(b)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public().(*ecdsa.PublicKey))
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

func indent(s, pad string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return pad + strings.Join(lines, "\n"+pad) + "\n"
}
