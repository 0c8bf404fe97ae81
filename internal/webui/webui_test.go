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

func TestAdminBuiltMatchesAdminIndex(t *testing.T) {
	_, err := os.Stat("dist/admin/index.html")
	if got, want := AdminBuilt(), err == nil; got != want {
		t.Fatalf("AdminBuilt() = %v, but dist/admin/index.html present = %v", got, want)
	}
}

func TestBuiltMatchesWidgetIndex(t *testing.T) {
	_, err := os.Stat("dist/widget/index.html")
	want := err == nil
	if got := Built(); got != want {
		t.Fatalf("Built() = %v, but dist/widget/index.html present = %v", got, want)
	}
}

// The built pages must keep the CSP promises the server relies on: no inline scripts or
// styles, and every asset they load is embedded. Without a build there is nothing to check,
// which is a failure: `make test` builds the widget first, and so must anyone running this.
func TestBuiltPagesHaveNoInlineCode(t *testing.T) {
	if !Built() {
		t.Fatal("no widget build in dist/: run `make build` (or `npm run build` in web/widget) first")
	}
	if !AdminBuilt() {
		t.Fatal("no console build in dist/admin: run `make build` (or `npm run build` in web/admin) first")
	}
	for _, page := range []string{WidgetIndex, DemoIndex, AdminIndex, AdminPreview} {
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
		refs := assetRefs(html)
		if len(refs) == 0 {
			t.Errorf("%s loads no same-origin asset: the check below would prove nothing", page)
		}
		for _, ref := range refs {
			if _, err := fs.Stat(FS(), ref); err != nil {
				t.Errorf("%s loads /%s, which is not embedded: %v", page, ref, err)
			}
		}
	}
	if _, err := fs.Stat(FS(), LoaderPath); err != nil {
		t.Errorf("embed.js missing from a built dist: %v", err)
	}
}

// assetRefs lists the same-origin paths (without the leading slash) that a page's src= and
// href= attributes point to.
func assetRefs(html string) []string {
	var refs []string
	for _, attr := range []string{` src="/`, ` href="/`} {
		for _, rest := range strings.Split(html, attr)[1:] {
			ref, _, _ := strings.Cut(rest, `"`)
			if ref != "" && !strings.HasPrefix(ref, "/") { // "//host" is another origin
				refs = append(refs, ref)
			}
		}
	}
	return refs
}
