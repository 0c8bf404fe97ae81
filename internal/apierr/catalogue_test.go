package apierr_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/apierr"
)

// TestCatalogueIsDocumented fails when docs/api.md does not name a declared code.
func TestCatalogueIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range apierr.Catalogue() {
		if seen[c.Name] {
			t.Errorf("code %s declared twice", c.Name)
		}
		seen[c.Name] = true
		if !strings.Contains(string(doc), "`"+c.Name+"`") {
			t.Errorf("docs/api.md does not list the error code `%s` (%d)", c.Name, c.Status)
		}
	}
	if len(seen) < 25 {
		t.Fatalf("catalogue has %d codes; the declarations were not registered", len(seen))
	}
}

// TestNoInlineErrors fails when code outside internal/apierr builds an apierr.Error by hand
// instead of calling a constructor of the catalogue.
func TestNoInlineErrors(t *testing.T) {
	inline := regexp.MustCompile(`apierr\.Error\{`)
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || path == "../../internal/apierr") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if inline.Match(b) {
			t.Errorf("%s builds an apierr.Error inline; declare the code in internal/apierr/catalogue.go", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestErrorKeepsCause(t *testing.T) {
	cause := errors.New("connection refused")
	e := apierr.StorageUnavailable(cause)
	if !errors.Is(e, cause) || e.Status != 503 || e.Code != "storage_unavailable" || e.RetryAfter <= 0 {
		t.Fatalf("StorageUnavailable = %+v", e)
	}
	if strings.Contains(e.Message, "refused") {
		t.Fatal("the cause leaked into the client message")
	}
}
