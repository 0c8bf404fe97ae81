package docker_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/deploy/internal/deploytest"
	"github.com/chatproxy/chatproxy/deploy/internal/dockertest"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

// composeEnv creates the secret files with deploy/compose/init-secrets.sh and a sites file in
// a temporary directory, and returns the variables that point Compose at them.
func composeEnv(t *testing.T, sites string) []string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	secrets := filepath.Join(dir, "secrets")
	out := deploytest.Cmd{Env: []string{"CHATPROXY_SECRETS_DIR=" + secrets, "CHATPROXY_BIN=" + deploytest.StaticBinary(t)}}.Run(t,
		deploytest.Path(t, "deploy", "compose", "init-secrets.sh"))
	if n := strings.Count(out, "created "); n != 6 {
		t.Fatalf("init-secrets.sh created %d files, want 6:\n%s", n, out)
	}
	// The containers run as 65532: they see only the files (bind mounts), not the 0700 directory.
	if err := os.WriteFile(filepath.Join(dir, "sites.yaml"), []byte(sites), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"CHATPROXY_SECRETS_DIR=" + secrets, "CHATPROXY_SITES=" + filepath.Join(dir, "sites.yaml"), "CHATPROXY_CERTS_DIR=" + dir}
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestComposeFilesValidate runs `config` of Compose v1 (Debian's docker-compose) and v2 on
// the production stack and the dev override, and checks the stack's shape on v2's output.
func TestComposeFilesValidate(t *testing.T) {
	dir := deploytest.Path(t, "deploy", "compose")
	env := append(composeEnv(t, "sites: []\n"), "HOST_DATABASE_URL=postgres://127.0.0.1/x")
	cmd := deploytest.Cmd{Dir: dir, Env: env, Timeout: time.Minute}
	v1, v2 := deploytest.Tool(t, "docker-compose"), deploytest.Tool(t, "docker-compose-v2")
	for _, files := range [][]string{{"compose.yaml"}, {"compose.yaml", "compose.dev.yaml"}} {
		args := []string{}
		for _, f := range files {
			args = append(args, "-f", f)
		}
		_, errOut, err := cmd.Try(v1, append(args, "config", "-q")...)
		if err != nil || strings.Contains(errOut, "ignored") {
			t.Errorf("docker-compose (v1) config %v: %v %s", files, err, errOut)
		}
		cmd.Run(t, v2, append(args, "config", "-q")...)
	}
	cmd.Run(t, v2, "-f", "compose.yaml", "-f", "compose.host.yaml", "config", "-q")

	if sites, err := config.LoadSitesFile(filepath.Join(dir, "sites.example.yaml")); err != nil || len(sites) == 0 {
		t.Errorf("sites.example.yaml does not load in chatproxy: %v", err)
	}

	var stack composeConfig
	if err := json.Unmarshal([]byte(cmd.Run(t, v2, "-f", "compose.yaml", "config", "--format", "json")), &stack); err != nil {
		t.Fatal(err)
	}
	checkStackShape(t, stack)
}

type composeConfig struct {
	Services map[string]struct {
		Image       string
		Restart     string
		ReadOnly    bool `json:"read_only"`
		User        string
		Deploy      *struct{ Replicas *int }
		Healthcheck *struct{ Test []string }
		Networks    map[string]any
		Ports       []struct {
			HostIP    string `json:"host_ip"`
			Published string
		}
		Secrets         []struct{ Source string }
		Environment     map[string]*string
		StopGracePeriod string `json:"stop_grace_period"`
	}
	Networks map[string]struct{ Internal bool }
	Volumes  map[string]any
	Secrets  map[string]struct{ File string }
}

func checkStackShape(t *testing.T, c composeConfig) {
	t.Helper()
	for _, name := range []string{"chatproxy", "migrate", "nginx", "postgres", "redis", "n8n"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("service %s missing", name)
		}
	}
	cp := c.Services["chatproxy"]
	if cp.Deploy == nil || cp.Deploy.Replicas == nil || *cp.Deploy.Replicas != 2 {
		t.Errorf("chatproxy replicas: %+v, want 2", cp.Deploy)
	}
	if !cp.ReadOnly || cp.User != "65532:65532" {
		t.Errorf("chatproxy read_only %v user %q", cp.ReadOnly, cp.User)
	}
	if grace, err := time.ParseDuration(cp.StopGracePeriod); err != nil || grace <= 25*time.Second {
		t.Errorf("chatproxy stop_grace_period %q, want more than CHATPROXY_SHUTDOWN_TIMEOUT (25s)", cp.StopGracePeriod)
	}
	for name, s := range c.Services {
		if name != "migrate" && (s.Healthcheck == nil || len(s.Healthcheck.Test) == 0) {
			t.Errorf("%s has no healthcheck", name)
		}
		if name != "migrate" && s.Restart != "unless-stopped" {
			t.Errorf("%s restart %q", name, s.Restart)
		}
		// Only nginx publishes to the world; n8n's editor only on loopback.
		for _, p := range s.Ports {
			if name != "nginx" && p.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %s on %q", name, p.Published, p.HostIP)
			}
		}
	}
	// Secrets are files, read through *_FILE (or pgpass), never inline values.
	for _, v := range []string{"JWT_SECRET_KEY", "SESSION_SECRET_KEY", "CHATPROXY_ENCRYPTION_KEYS"} {
		if _, inline := cp.Environment[v]; inline || cp.Environment[v+"_FILE"] == nil {
			t.Errorf("chatproxy %s: want only %s_FILE", v, v)
		}
	}
	if db := cp.Environment["DATABASE_URL"]; db == nil || strings.Contains(*db, ":@") || !strings.Contains(*db, "passfile=/run/secrets/pgpass") {
		t.Errorf("DATABASE_URL must take its password from the pgpass secret: %v", db)
	}
	for name, s := range c.Secrets {
		if s.File == "" {
			t.Errorf("secret %s is not a file", name)
		}
	}
	// n8n: reachable only from chatproxy (agents), plus its own way out.
	for name, s := range c.Services {
		_, onAgents := s.Networks["agents"]
		if onAgents != (name == "chatproxy" || name == "n8n") {
			t.Errorf("%s on the agents network: %v", name, onAgents)
		}
	}
	n8nNets := slices.Sorted(mapsKeys(c.Services["n8n"].Networks))
	if !slices.Equal(n8nNets, []string{"agents", "n8n-egress"}) {
		t.Errorf("n8n networks %v", n8nNets)
	}
	for _, n := range []string{"agents", "data"} {
		if !c.Networks[n].Internal {
			t.Errorf("network %s is not internal", n)
		}
	}
	for _, v := range []string{"chatproxy-data", "postgres-data", "n8n-data"} {
		if _, ok := c.Volumes[v]; !ok {
			t.Errorf("named volume %s missing", v)
		}
	}
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestComposeStackRunsOnHost runs what this machine can run of the stack: the migration and
// two chatproxy replicas from the image built here (compose.yaml + compose.host.yaml: host
// network, the machine's PostgreSQL and Redis, a fake n8n). A reply started on one replica is
// resumed on the other, through PostgreSQL and Redis. nginx, PostgreSQL, Redis and n8n images
// cannot be pulled here, so those services are only validated (TestComposeFilesValidate).
func TestComposeStackRunsOnHost(t *testing.T) {
	d := dockertest.Shared(t)
	img := d.BuildImage(t)
	v2 := deploytest.Tool(t, "docker-compose-v2")
	fake := n8ntest.NewServer(n8ntest.WithChunks(10), n8ntest.WithChunkDelay(100*time.Millisecond))
	t.Cleanup(fake.Close)
	sites := fmt.Sprintf(`sites:
  - id: shop
    allowed_origins: ["https://shop.example"]
    n8n_webhook_url: %s/webhook/compose/chat
    abuse: {min_first_message_delay_ms: -1}
`, fake.URL)
	portA, portB := deploytest.FreePort(t), deploytest.FreePort(t)
	env := append(composeEnv(t, sites), d.Env()...)
	env = append(env,
		"CHATPROXY_IMAGE="+img,
		"HOST_DATABASE_URL="+storetest.NewPostgresURL(t),
		"HOST_REDIS_PREFIX=cptest-"+randomHex(t, 4)+":",
		"CHATPROXY_PORT_A="+strconv.Itoa(portA),
		"CHATPROXY_PORT_B="+strconv.Itoa(portB),
		// On the host network the two consoles need ports of their own too.
		"CHATPROXY_ADMIN_PORT_A="+strconv.Itoa(deploytest.FreePort(t)),
		"CHATPROXY_ADMIN_PORT_B="+strconv.Itoa(deploytest.FreePort(t)),
		"CHATPROXY_PUBLIC_URL=http://127.0.0.1:"+strconv.Itoa(portA),
	)
	if u := os.Getenv("CHATPROXY_TEST_REDIS_URL"); u != "" {
		env = append(env, "HOST_REDIS_URL="+u)
	}
	cmd := deploytest.Cmd{Dir: deploytest.Path(t, "deploy", "compose"), Env: env, Timeout: 3 * time.Minute}
	compose := []string{"-p", "cptest", "-f", "compose.yaml", "-f", "compose.host.yaml"}
	t.Cleanup(func() {
		if t.Failed() {
			out, errOut, _ := cmd.Try(v2, append(compose, "logs", "--no-color", "--tail", "40")...)
			t.Logf("compose logs:\n%s%s", out, errOut)
		}
		_, _, _ = cmd.Try(v2, append(compose, "down", "-v", "--timeout", "30")...)
	})
	cmd.Run(t, v2, append(compose, "up", "--no-build", "--pull", "never", "--abort-on-container-exit", "--exit-code-from", "migrate", "migrate")...)
	cmd.Run(t, v2, append(compose, "up", "-d", "--no-build", "--pull", "never", "--wait", "chatproxy", "chatproxy-b")...)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := deploytest.NewClient(fmt.Sprintf("http://127.0.0.1:%d", portA), "https://shop.example", nil)
	b := deploytest.NewClient(fmt.Sprintf("http://127.0.0.1:%d", portB), "https://shop.example", nil)
	sess, err := a.NewSession(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.Send(ctx, sess, "hello compose")
	if err != nil {
		t.Fatal(err)
	}
	var seen []deploytest.Event
	for len(deploytest.OfType(seen, "item")) < 3 {
		ev, err := st.Next()
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, ev)
	}
	st.Close()
	rest, err := b.Resume(ctx, sess, deploytest.OfType(seen, "begin")[0].MessageID, seen[len(seen)-1].ID)
	if err != nil {
		t.Fatal(err)
	}
	after, err := rest.Rest()
	if err != nil {
		t.Fatal(err)
	}
	if got := deploytest.Text(seen) + deploytest.Text(after); got != n8ntest.StreamText(10) {
		t.Fatalf("replica A then B: %q, want %q", got, n8ntest.StreamText(10))
	}

	ps := cmd.Run(t, v2, append(compose, "ps", "--all", "--format", "{{.Service}} {{.State}} {{.ExitCode}}")...)
	t.Logf("what ran:\n%s", ps)
	for _, want := range []string{"migrate exited 0", "chatproxy running 0", "chatproxy-b running 0"} {
		if !strings.Contains(ps, want) {
			t.Errorf("compose ps lacks %q:\n%s", want, ps)
		}
	}
}
