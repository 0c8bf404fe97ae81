package openapi_test

import (
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/adminapi"
	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/httpapi"
	"github.com/chatproxy/chatproxy/internal/openapi/openapitest"
)

// TestDocumentIsValidOpenAPI31: docs/openapi.yaml parses, every $ref resolves, and the
// document validates against the OpenAPI 3.1 meta-schema (pb33f/libopenapi-validator).
func TestDocumentIsValidOpenAPI31(t *testing.T) {
	spec := openapitest.Load(t)
	if v := spec.Doc.GetVersion(); v != "3.1.0" {
		t.Fatalf("openapi version %q, want 3.1.0", v)
	}
	for _, p := range spec.ValidateDocument() {
		t.Error(p)
	}
	idx := spec.Doc.GetRolodex().GetRootIndex()
	for _, ref := range idx.GetReferenceIndexErrors() {
		t.Errorf("reference: %v", ref)
	}
}

// TestValidatorRejectsWrongBodies: the checks are not vacuous (a wrong body fails).
func TestValidatorRejectsWrongBodies(t *testing.T) {
	spec := openapitest.Load(t)
	for schema, body := range map[string]string{
		"ErrorBody":  `{"error":{"code":"no_such_code","message":"x"}}`,
		"Session":    `{"session_id":"not-a-uuid","token":"t","expires_at":"2026-01-01T00:00:00Z","visitor_id":"0193c1a4-1f87-7cde-8f00-0a1b2c3d4e5f","returning":false}`,
		"ReplyEvent": `{"type":"item","content":1}`,
		"Account":    `{"id":"a"}`,
	} {
		if probs := spec.ValidateJSON(schema, []byte(body)); len(probs) == 0 {
			t.Errorf("%s accepted %s", schema, body)
		}
	}
	if probs := spec.ValidateJSON("ErrorBody", []byte(`{"error":{"code":"not_found","message":"Not found."}}`)); len(probs) > 0 {
		t.Errorf("a valid error body was refused: %v", probs)
	}
}

// TestErrorCodesAreTheCatalogue: the ErrorCode enum is exactly internal/apierr's catalogue.
func TestErrorCodesAreTheCatalogue(t *testing.T) {
	var want []string
	for _, c := range apierr.Catalogue() {
		want = append(want, c.Name)
	}
	got := enumOf(t, "ErrorCode")
	if !slices.Equal(got, want) {
		t.Errorf("ErrorCode enum differs from the catalogue:\n only in the document: %v\n only in the catalogue: %v",
			minus(got, want), minus(want, got))
	}
}

// TestAuditActionsAreTheRegistry: the AuditAction enum is exactly internal/audit's registry.
func TestAuditActionsAreTheRegistry(t *testing.T) {
	var want []string
	for _, a := range audit.Actions() {
		want = append(want, a.String())
	}
	sort.Strings(want)
	got := enumOf(t, "AuditAction")
	if !slices.Equal(got, want) {
		t.Errorf("AuditAction enum differs from the registry:\n only in the document: %v\n only in the registry: %v",
			minus(got, want), minus(want, got))
	}
}

func enumOf(t *testing.T, schema string) []string {
	t.Helper()
	s := openapitest.Load(t).Schema(schema)
	if s == nil {
		t.Fatalf("no schema %s", schema)
	}
	var out []string
	for _, n := range s.Enum {
		out = append(out, n.Value)
	}
	sort.Strings(out)
	return out
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// notFoundPatterns are the catch-alls that only answer 404 not_found: no document path may
// land on them, and they are not described.
var notFoundPatterns = []string{"/", "/admin/"}

// subtreePatterns serve every path below them for the paths the document describes (CORS
// preflights of the API).
var subtreePatterns = map[string]string{"OPTIONS /api/": "/api/"}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// TestEveryRouteIsDocumented: every pattern registered on the public and the console mux is
// reached by some operation of the document, and every operation of the document reaches a
// route of its own (not a catch-all, not another path's route).
func TestEveryRouteIsDocumented(t *testing.T) {
	spec := openapitest.Load(t)
	public := httpapi.New(httpapi.Deps{})
	console := adminapi.New(adminapi.Deps{})
	muxes := []struct {
		name     string
		patterns []string
		match    func(method, path string) string
		owns     func(path string) bool
	}{
		{"public", public.Patterns(), func(m, p string) string { return public.PatternFor(httptest.NewRequest(m, p, nil)) },
			func(p string) bool { return !strings.HasPrefix(p, "/admin") }},
		{"console", console.Patterns(), func(m, p string) string { return console.PatternFor(httptest.NewRequest(m, p, nil)) },
			func(p string) bool { return strings.HasPrefix(p, "/admin") }},
	}
	for _, mux := range muxes {
		reached := map[string]bool{}
		for pair := spec.Model.Paths.PathItems.First(); pair != nil; pair = pair.Next() {
			path := pair.Key()
			if !mux.owns(path) {
				continue
			}
			concrete := pathParam.ReplaceAllString(path, "x1")
			for op := pair.Value().GetOperations().First(); op != nil; op = op.Next() {
				method := strings.ToUpper(op.Key())
				pattern := mux.match(method, concrete)
				reached[pattern] = true
				if !servesPath(pattern, method, path) {
					t.Errorf("%s %s is in docs/openapi.yaml but the %s mux routes it to %q", method, path, mux.name, pattern)
				}
			}
		}
		for _, p := range mux.patterns {
			if !reached[p] && !slices.Contains(notFoundPatterns, p) {
				t.Errorf("the %s mux registers %q but docs/openapi.yaml has no operation it serves", mux.name, p)
			}
		}
	}
}

// servesPath reports whether pattern is the route of method + path (a document path).
func servesPath(pattern, method, path string) bool {
	if prefix, ok := subtreePatterns[pattern]; ok {
		return strings.HasPrefix(path, prefix)
	}
	m, p, ok := strings.Cut(pattern, " ")
	if !ok || (m != method && !(m == "GET" && method == "HEAD")) {
		return false
	}
	if prefix, ok := strings.CutSuffix(p, "{path...}"); ok && path == prefix {
		return true // a {name...} wildcard also matches nothing
	}
	p = strings.ReplaceAll(strings.TrimSuffix(p, "{$}"), "...}", "}")
	return p == path
}
