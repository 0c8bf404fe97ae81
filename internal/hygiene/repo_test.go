package hygiene

import (
	"errors"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	return root
}

// goDirs lists every directory under cmd/ and internal/ (relative to root, slash-separated)
// that holds Go files, skipping testdata and node_modules.
func goDirs(t *testing.T, root string) []string {
	t.Helper()
	seen := map[string]bool{}
	var dirs []string
	for _, top := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(d.Name(), ".go") {
				return nil
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			rel = filepath.ToSlash(rel)
			if !seen[rel] {
				seen[rel] = true
				dirs = append(dirs, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(dirs) < 10 {
		t.Fatalf("found only %d Go packages under cmd/ and internal/: wrong root?", len(dirs))
	}
	return dirs
}

// fuzzTargets maps "./dir:FuzzName" for every fuzz function in the _test.go files of dirs.
func fuzzTargets(t *testing.T, root string, dirs []string) []string {
	t.Helper()
	var out []string
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(root, dir, "*_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range parsed.Decls {
				if name := fuzzFuncName(decl); name != "" {
					out = append(out, "./"+dir+":"+name)
				}
			}
		}
	}
	return out
}

var errNoDoc = errors.New("no package doc comment")

type multiDocError struct{ files []string }

func (e *multiDocError) Error() string {
	return "package doc comments in " + strings.Join(e.files, ", ") + ": keep one"
}
