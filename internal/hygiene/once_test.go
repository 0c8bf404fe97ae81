package hygiene

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// callsOf lists "file:line" of every call to pkg.fn (by the package's last path element) in the
// non-test Go files of dirs, outside skipDir.
func callsOf(t *testing.T, root string, dirs []string, pkg, fn, skipDir string) []string {
	t.Helper()
	var out []string
	for _, dir := range dirs {
		if dir == skipDir {
			continue
		}
		files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			parsed, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(parsed, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == fn {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == pkg {
						out = append(out, fset.Position(call.Pos()).String())
					}
				}
				return true
			})
		}
	}
	return out
}

// TestEncryptionKeysParsedOnce: CHATPROXY_ENCRYPTION_KEYS is turned into a keyring in one
// place, so the server and every command read it, and report it wrong, the same way.
func TestEncryptionKeysParsedOnce(t *testing.T) {
	root := repoRoot(t)
	calls := callsOf(t, root, goDirs(t, root), "crypto", "ParseKeyring", "internal/crypto")
	if len(calls) != 1 {
		t.Fatalf("crypto.ParseKeyring is called in %d places, want 1 (app.FieldKeyring):\n%s", len(calls), strings.Join(calls, "\n"))
	}
}
