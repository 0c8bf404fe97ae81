package openapi_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/openapi"
)

// TestToJSON: key order kept, aliases expanded, scalars typed as YAML types them.
func TestToJSON(t *testing.T) {
	got, err := openapi.ToJSON([]byte("b: 1\na: &x [true, null, '2', 2.5]\nc: *x\nd: {e: text}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"b":1,"a":[true,null,"2",2.5],"c":[true,null,"2",2.5],"d":{"e":"text"}}`
	if string(got) != want {
		t.Fatalf("ToJSON = %s, want %s", got, want)
	}
	for _, bad := range []string{"a: 1\na: 2\n", "a: &x [*x]\n", "<<: {a: 1}\n", "? [a]\n: 1\n"} {
		if out, err := openapi.ToJSON([]byte(bad)); err == nil {
			t.Errorf("ToJSON(%q) = %s, want an error", bad, out)
		}
	}
}

// TestEmbeddedDocumentConverts: the served JSON is an OpenAPI 3.1 document.
func TestEmbeddedDocumentConverts(t *testing.T) {
	b, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Paths) < 20 {
		t.Fatalf("openapi %q with %d paths", doc.OpenAPI, len(doc.Paths))
	}
}

// TestNoKeyIsProse: no key of the document holds a space. In a YAML flow mapping
// ({ description: a, b }) an unquoted comma ends the value and turns the rest into a key:
// JSON Schema ignores unknown keywords, so only this catches it.
func TestNoKeyIsProse(t *testing.T) {
	b, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if strings.Contains(k, " ") {
					t.Errorf("%s has the key %q: quote the value before it", path, k)
				}
				walk(path+"/"+k, c)
			}
		case []any:
			for i, c := range v {
				walk(path+"/"+strconv.Itoa(i), c)
			}
		}
	}
	walk("", doc)
}
