package hygiene

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeMapsEveryPackage: the README's architecture map names every top-level package
// under internal/ and every command under cmd/, so a new one cannot be left off the map.
func TestReadmeMapsEveryPackage(t *testing.T) {
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, top := range []string{"internal", "cmd"} {
		entries, err := os.ReadDir(filepath.Join(root, top))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			if name := "`" + top + "/" + e.Name() + "`"; !strings.Contains(string(readme), name) {
				t.Errorf("README.md's architecture map does not list %s", name)
			}
		}
	}
}
