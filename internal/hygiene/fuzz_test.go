package hygiene

import (
	"go/ast"
	"os/exec"
	"strings"
	"testing"
)

// fuzzFuncName returns the name of a top-level `func FuzzX(f *testing.F)`, "" for anything else.
func fuzzFuncName(decl ast.Decl) string {
	fn, ok := decl.(*ast.FuncDecl)
	if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Fuzz") {
		return ""
	}
	params := fn.Type.Params.List
	if len(params) != 1 {
		return ""
	}
	star, ok := params[0].Type.(*ast.StarExpr)
	if !ok {
		return ""
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "F" {
		return ""
	}
	return fn.Name.Name
}

// TestMakeFuzzRunsEveryTarget: `make fuzz` must run every fuzz function in the code, so a new
// target cannot be forgotten. `make -n` prints the commands it would run without running them.
func TestMakeFuzzRunsEveryTarget(t *testing.T) {
	root := repoRoot(t)
	targets := fuzzTargets(t, root, goDirs(t, root))
	if len(targets) == 0 {
		t.Fatal("no fuzz targets found in the code")
	}
	cmd := exec.Command("make", "-n", "fuzz", "FUZZTIME=1s")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n fuzz: %v\n%s", err, out)
	}
	plan := string(out)
	for _, target := range targets {
		if !strings.Contains(plan, target) {
			t.Errorf("make fuzz does not run %s", target)
		}
	}
}
