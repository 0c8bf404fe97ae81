package adminapi_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/chatproxy/chatproxy/internal/openapi"
)

// TestServesOpenAPIDocument: the document is served as JSON, byte for byte the converted
// docs/openapi.yaml, without sign-in, and never cached stale.
func TestServesOpenAPIDocument(t *testing.T) {
	h := newHarness(t, "sqlite")
	r := h.client().do("GET", "/admin/api/v1/openapi.json", "")
	want, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json; charset=utf-8" || !bytes.Equal(r.body, want) {
		t.Fatalf("openapi.json: %d %q, %d bytes (want %d)", r.status, r.header.Get("Content-Type"), len(r.body), len(want))
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q", cc)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	r.json(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
}
