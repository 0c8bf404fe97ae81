package upstream_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/upstream"
)

// printed is everything a log line could show of err: its text, %v and %+v, and slog's JSON.
func printed(err error) string {
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Warn("failed", "err", err)
	return strings.Join([]string{err.Error(), fmt.Sprintf("%v", err), b.String()}, "\n")
}

// TestFailedCallsNameNoUpstream: a call that cannot reach n8n (connection refused, host that
// does not resolve, address refused by the SSRF guard) fails with an error whose text, and
// whatever slog makes of it, names no host, port, address or URL; Class says what happened.
func TestFailedCallsNameNoUpstream(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	_ = ln.Close()
	_, port, _ := net.SplitHostPort(refused)

	guarded := trustedTarget("https://127.0.0.1:" + port + "/webhook/secret-path/chat")
	guarded.Trusted = false
	for _, tc := range []struct {
		name   string
		target upstream.Target
		class  string
		leaks  []string
	}{
		{"connection refused", trustedTarget("http://" + refused + "/webhook/secret-path/chat"),
			"connect: connection refused", []string{refused, ":" + port, "127.0.0.1", "secret-path"}},
		{"no such host", trustedTarget("http://n8n-private-host.invalid:5678/webhook/secret-path/chat"),
			"dns: no such host", []string{"n8n-private-host", ".invalid", ":5678", "secret-path", ":53"}},
		{"SSRF guard", guarded,
			upstream.ErrBlockedAddress.Error(), []string{"127.0.0.1", ":" + port, "secret-path"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := call(t.Context(), newClient(t, upstream.Options{}), tc.target, testRequest())
			if code(got.err) != upstream.CodeUnreachable {
				t.Fatalf("got %v, want %s", got.err, upstream.CodeUnreachable)
			}
			if upstream.ErrorClass(got.err) != tc.class {
				t.Errorf("class = %q, want %q", got.err.Class, tc.class)
			}
			out := printed(got.err)
			for _, leak := range tc.leaks {
				if strings.Contains(out, leak) {
					t.Errorf("the error shows %q:\n%s", leak, out)
				}
			}
		})
	}
}

// TestValidateUntrustedURLNamesNoAddress: the save-time SSRF check explains a refusal without
// echoing the address or the resolver's message, so it is safe to log too.
func TestValidateUntrustedURLNamesNoAddress(t *testing.T) {
	t.Parallel()
	for raw, leaks := range map[string][]string{
		"https://10.1.2.3/webhook/x":                 {"10.1.2.3"},
		"https://n8n-private-host.invalid/webhook/x": {"n8n-private-host", ":53"},
	} {
		err := upstream.ValidateUntrustedURL(raw, false)
		if err == nil {
			t.Fatalf("%s accepted", raw)
		}
		for _, leak := range leaks {
			if strings.Contains(printed(err), leak) {
				t.Errorf("%s: the error shows %q: %v", raw, leak, err)
			}
		}
	}
}
