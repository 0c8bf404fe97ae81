// Tests of deploy/terraform: formatting, documented variables and outputs, the provider-free
// values module (terraform test), and the chart rendered with that module's output.
//
// `terraform validate` and `plan` of the root module need the hashicorp/helm provider, which
// cannot be downloaded here (no registry access): they are not run. See README.md.
package terraform_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-config-inspect/tfconfig"

	"github.com/chatproxy/chatproxy/deploy/internal/deploytest"
	"github.com/chatproxy/chatproxy/deploy/internal/k8scheck"
)

// tf runs terraform without any CLI configuration (no credentials, no mirrors).
func tf(dir string) deploytest.Cmd {
	return deploytest.Cmd{Dir: dir, Env: []string{"TF_CLI_CONFIG_FILE=/dev/null", "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_INPUT=0"}}
}

func root(t *testing.T) string { return deploytest.Path(t, "deploy", "terraform") }

func TestTerraformFormatted(t *testing.T) {
	terraform := deploytest.Tool(t, "terraform")
	out, errOut, err := tf(root(t)).Try(terraform, "fmt", "-check", "-recursive", "-diff")
	if err != nil {
		t.Fatalf("terraform fmt -check: %v\n%s%s", err, out, errOut)
	}
}

func TestTerraformVariablesAndOutputsAreDocumented(t *testing.T) {
	for _, dir := range []string{".", "modules/values", "examples/basic"} {
		mod, diags := tfconfig.LoadModule(filepath.Join(root(t), dir))
		if diags.HasErrors() {
			t.Fatalf("%s: %v", dir, diags.Err())
		}
		if len(mod.Variables) == 0 {
			t.Errorf("%s declares no variables", dir)
		}
		for _, name := range sortedKeys(mod.Variables) {
			if v := mod.Variables[name]; strings.TrimSpace(v.Description) == "" || v.Type == "" {
				t.Errorf("%s: variable %q needs a description and a type", dir, name)
			}
		}
		for _, name := range sortedKeys(mod.Outputs) {
			if strings.TrimSpace(mod.Outputs[name].Description) == "" {
				t.Errorf("%s: output %q has no description", dir, name)
			}
		}
	}
	// The module exposes what the issue asks for.
	mod, _ := tfconfig.LoadModule(root(t))
	for _, v := range []string{"image", "replicas", "database_url_secret", "redis_url_secret", "sites", "ingress_host"} {
		if _, ok := mod.Variables[v]; !ok {
			t.Errorf("root module lacks variable %s", v)
		}
	}
	if _, ok := mod.ManagedResources["helm_release.chatproxy"]; !ok {
		t.Error("root module has no helm_release.chatproxy")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// copyDir copies a module directory (files only, one level of subdirectories) to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTerraformValuesModule runs the module's own terraform test offline, in a copy (init
// writes .terraform/).
func TestTerraformValuesModule(t *testing.T) {
	terraform := deploytest.Tool(t, "terraform")
	dir := t.TempDir()
	copyDir(t, filepath.Join(root(t), "modules", "values"), dir)
	tf(dir).Run(t, terraform, "init", "-backend=false", "-input=false")
	out := tf(dir).Run(t, terraform, "test", "-no-color")
	if !strings.Contains(out, "4 passed, 0 failed") {
		t.Fatalf("terraform test:\n%s", out)
	}
}

// TestTerraformValuesRenderTheChart applies the values module in a throwaway root (no
// provider) and renders the Helm chart with its YAML: what helm_release would install.
func TestTerraformValuesRenderTheChart(t *testing.T) {
	terraform, helm := deploytest.Tool(t, "terraform"), deploytest.Tool(t, "helm")
	dir := t.TempDir()
	rootTF := `module "values" {
  source                 = "` + filepath.Join(root(t), "modules", "values") + `"
  image                  = { repository = "registry.example.com/chatproxy", tag = "9.9.9" }
  replicas               = 3
  max_replicas           = 6
  ingress_host           = "chat.shop.example"
  ingress_class_name     = "nginx"
  tls_secret_name        = "chat-tls"
  database_url_secret    = { name = "db", key = "url" }
  redis_url_secret       = { name = "redis", key = "url" }
  jwt_secret_key_secret  = { name = "keys", key = "jwt" }
  encryption_keys_secret = { name = "keys", key = "enc" }
  sites = [{ id = "shop", allowed_origins = ["https://shop.example"], n8n_webhook_url = "http://n8n:5678/webhook/x/chat", limits = { daily_messages = 100 } }]
  trusted_proxies        = "10.0.0.0/8"
}
output "yaml" { value = module.values.yaml }
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(rootTF), 0o644); err != nil {
		t.Fatal(err)
	}
	tf(dir).Run(t, terraform, "init", "-backend=false", "-input=false")
	tf(dir).Run(t, terraform, "apply", "-auto-approve", "-input=false", "-no-color")
	values := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(values, []byte(tf(dir).Run(t, terraform, "output", "-raw", "yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	out := deploytest.Cmd{}.Run(t, helm, "template", "rel", deploytest.Path(t, "deploy", "helm", "chatproxy"),
		"--kube-version", "1.33.0", "-f", values)
	objs := k8scheck.Decode(t, []byte(out))
	dep := k8scheck.Server(t, objs)
	c := dep.Spec.Template.Spec.Containers[0]
	if c.Image != "registry.example.com/chatproxy:9.9.9" || k8scheck.Env(c, "CHATPROXY_PUBLIC_URL") != "https://chat.shop.example" {
		t.Errorf("image %s, public URL %s", c.Image, k8scheck.Env(c, "CHATPROXY_PUBLIC_URL"))
	}
	for _, e := range c.Env {
		if e.Name == "DATABASE_URL" && (e.ValueFrom.SecretKeyRef.Name != "db" || e.ValueFrom.SecretKeyRef.Key != "url") {
			t.Errorf("DATABASE_URL from %+v", e.ValueFrom.SecretKeyRef)
		}
	}
}
