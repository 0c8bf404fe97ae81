// Package deploytest holds what the deployment tests share: paths, required tools, the binary.
//
// A tool a test needs (docker, helm, nginx, …) that is missing fails the test with the command
// that installs it (.ci/run installs them all); nothing is skipped. The static chatproxy binary
// is built once per test process from the repository (the widget must be built first:
// `make build`), the same way `make image` builds it.
package deploytest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Main runs the package's tests and removes what the helpers left in the temporary directory.
// Every package that builds the binary calls it from TestMain; extra cleanups run after.
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	if scratch != "" {
		_ = os.RemoveAll(scratch)
	}
	os.Exit(code)
}

var (
	scratchOnce sync.Once
	scratch     string
)

// ScratchDir is a directory shared by the package's tests, removed by Main.
func ScratchDir(t testing.TB) string {
	t.Helper()
	scratchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "chatproxy-deploytest-")
		if err != nil {
			panic(err)
		}
		scratch = dir
	})
	return scratch
}

// RepoRoot is the chatproxy repository root (the directory above deploy/).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.HasPrefix(b, []byte("module github.com/chatproxy/chatproxy\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root (go.mod of github.com/chatproxy/chatproxy) not found above the test")
		}
		dir = parent
	}
}

// Path joins elements below the repository root.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{RepoRoot(t)}, elem...)...)
}

// installHints says how .ci/run installs each tool, for the failure message.
var installHints = map[string]string{
	"docker":            "apt-get install docker.io (or any docker CLI)",
	"dockerd":           "apt-get install docker.io",
	"docker-compose":    "apt-get install docker-compose",
	"docker-compose-v2": "cd deploy/tools/compose && go build -o $(go env GOPATH)/bin/docker-compose-v2 github.com/docker/compose/v2/cmd",
	"nginx":             "apt-get install nginx",
	"helm":              "go install helm.sh/helm/v3/cmd/helm@v3.22.0",
	"actionlint":        "go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12",
	"kubectl":           "kubectl (https://kubernetes.io/docs/tasks/tools/)",
	"terraform":         "terraform (https://developer.hashicorp.com/terraform/install)",
}

// Tool finds a command in PATH or in $(go env GOPATH)/bin and fails the test when it is missing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} { // PATH may lack them
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("%s is required by this test and is not installed (%s; .ci/run installs it)", name, installHints[name])
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Cmd describes one command run by a test.
type Cmd struct {
	Dir     string
	Env     []string // added to the test's environment
	Timeout time.Duration
}

// Run runs name with args and returns its standard output; it fails the test, with the output,
// when the command fails.
func (c Cmd) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, errOut, err := c.Try(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// Try runs name with args and returns both outputs and the error, for commands expected to fail.
func (c Cmd) Try(name string, args ...string) (stdout, stderr string, err error) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// StaticBinary builds cmd/chatproxy with CGO_ENABLED=0 (as `make image` does) once per process
// and returns its path. The widget assets must have been built (`make build`).
func StaticBinary(t testing.TB) string {
	t.Helper()
	root := RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "internal", "webui", "dist", "embed.js")); err != nil {
		t.Fatalf("the widget is not built (internal/webui/dist/embed.js missing): run `make build` first")
	}
	dir := ScratchDir(t)
	binOnce.Do(func() {
		binPath = filepath.Join(dir, "chatproxy")
		_, errOut, err := Cmd{Dir: root, Env: []string{"CGO_ENABLED=0"}, Timeout: 10 * time.Minute}.Try(
			"go", "build", "-trimpath", "-ldflags",
			"-s -w -X github.com/chatproxy/chatproxy/internal/cli.Version=deploytest",
			"-o", binPath, "./cmd/chatproxy")
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, errOut)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitHTTP polls url until it answers 200 or the timeout passes.
func WaitHTTP(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := httpClient.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 within %s (last error %v)", url, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
