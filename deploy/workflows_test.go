// Tests of the GitHub configuration: the workflows pass actionlint, and Dependabot covers
// every Go module, every npm package and the workflows' actions.
package deploy_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/chatproxy/chatproxy/deploy/internal/deploytest"
)

func TestWorkflowsPassActionlint(t *testing.T) {
	actionlint := deploytest.Tool(t, "actionlint")
	root := deploytest.RepoRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if len(files) < 2 {
		t.Fatalf("workflows: %v", files)
	}
	out, errOut, err := deploytest.Cmd{Dir: root}.Try(actionlint, append([]string{"-no-color"}, files...)...)
	if err != nil {
		t.Fatalf("actionlint: %v\n%s%s", err, out, errOut)
	}
	ci, _ := os.ReadFile(filepath.Join(root, ".github", "workflows", "ci.yml"))
	for _, want := range []string{"make test", "postgres:", "redis:"} {
		if !strings.Contains(string(ci), want) {
			t.Errorf("ci.yml lacks %q", want)
		}
	}
	rel, _ := os.ReadFile(filepath.Join(root, ".github", "workflows", "release.yml"))
	for _, want := range []string{"linux/amd64,linux/arm64", "GOARCH=\"$arch\"", "cosign sign-blob", "cosign sign --yes", "tags: [\"v*\"]"} {
		if !strings.Contains(string(rel), want) {
			t.Errorf("release.yml lacks %q", want)
		}
	}
}

func TestDependabotCoversEveryManifest(t *testing.T) {
	root := deploytest.RepoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, ".github", "dependabot.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version int
		Updates []struct {
			Ecosystem   string   `json:"package-ecosystem"`
			Directory   string   `json:"directory"`
			Directories []string `json:"directories"`
			Schedule    struct{ Interval string }
		}
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	covered := map[string][]string{}
	for _, u := range cfg.Updates {
		if u.Schedule.Interval == "" {
			t.Errorf("%s: no schedule", u.Ecosystem)
		}
		dirs := u.Directories
		if u.Directory != "" {
			dirs = append(dirs, u.Directory)
		}
		covered[u.Ecosystem] = append(covered[u.Ecosystem], dirs...)
	}
	if cfg.Version != 2 || len(covered["github-actions"]) == 0 {
		t.Errorf("version %d, actions %v", cfg.Version, covered["github-actions"])
	}
	out := deploytest.Cmd{Dir: root}.Run(t, "git", "ls-files", "--cached", "--others", "--exclude-standard", "*go.mod", "*package.json")
	for _, f := range strings.Fields(out) {
		if strings.Contains(f, "node_modules/") {
			continue
		}
		eco := "gomod"
		if strings.HasSuffix(f, "package.json") {
			eco = "npm"
		}
		dir := "/" + filepath.Dir(f)
		if dir == "/." {
			dir = "/"
		}
		if !slices.Contains(covered[eco], dir) {
			t.Errorf("dependabot.yml has no %s entry for %s", eco, dir)
		}
	}
	for _, want := range []string{"/web/widget", "/web/admin"} {
		if !slices.Contains(covered["npm"], want) {
			t.Errorf("npm updates miss %s", want)
		}
	}
}
