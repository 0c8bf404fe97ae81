package webui

import (
	"io/fs"
	"os"
	"strings"
	"testing"
)

func TestFSIsRootedAtDist(t *testing.T) {
	if _, err := fs.Stat(FS(), ".gitkeep"); err != nil {
		t.Fatalf("dist/.gitkeep not at the root of FS(): %v", err)
	}
}

func TestBuiltMatchesWidgetIndex(t *testing.T) {
	_, err := os.Stat("dist/widget/index.html")
	want := err == nil
	if got := Built(); got != want {
		t.Fatalf("Built() = %v, but dist/widget/index.html present = %v", got, want)
	}
}

// When a build is present, the pages must keep the CSP promises the server relies on:
// no inline scripts or styles, assets only under /widget/assets/.
func TestBuiltPagesHaveNoInlineCode(t *testing.T) {
	if !Built() {
		t.Log("no widget build in dist/: run `npm run build` in web/widget to check the pages")
		return
	}
	for _, page := range []string{WidgetIndex, DemoIndex} {
		b, err := fs.ReadFile(FS(), page)
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		html := string(b)
		if strings.Contains(html, "<style") || strings.Contains(html, " style=") {
			t.Errorf("%s has an inline style", page)
		}
		for _, tag := range strings.Split(html, "<script")[1:] {
			head, _, _ := strings.Cut(tag, ">")
			if !strings.Contains(head, "src=") {
				t.Errorf("%s has an inline script", page)
			}
		}
	}
	if _, err := fs.Stat(FS(), LoaderPath); err != nil {
		t.Errorf("embed.js missing from a built dist: %v", err)
	}
}
