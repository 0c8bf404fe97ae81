// Package dockertest runs a private Docker daemon for the container tests.
//
// The daemon gets its own data root, exec root and socket in a temporary directory, no bridge
// and no iptables rules (--bridge=none --iptables=false --ip6tables=false): containers use the
// host network and listen on 127.0.0.1 only. It is stopped by its PID when the tests end.
package dockertest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/deploy/internal/deploytest"
)

// Daemon is a running dockerd of the tests.
type Daemon struct {
	Host   string // DOCKER_HOST value (unix socket)
	dir    string
	docker string
	cmd    *exec.Cmd
	exited chan struct{}
}

var (
	once    sync.Once
	shared  *Daemon
	started error
)

// Shared starts the package's daemon on first use; Stop (from TestMain) ends it.
func Shared(t testing.TB) *Daemon {
	t.Helper()
	dockerd := deploytest.Tool(t, "dockerd")
	docker := deploytest.Tool(t, "docker")
	once.Do(func() { shared, started = start(dockerd, docker) })
	if started != nil {
		t.Fatalf("dockerd: %v", started)
	}
	return shared
}

// Stop ends the shared daemon, if one was started.
func Stop() {
	if shared != nil {
		shared.stop()
	}
}

func start(dockerd, docker string) (*Daemon, error) {
	// A short path: the socket's must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "cpdk-")
	if err != nil {
		return nil, err
	}
	d := &Daemon{Host: "unix://" + filepath.Join(dir, "docker.sock"), dir: dir, docker: docker, exited: make(chan struct{})}
	logf, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		return nil, err
	}
	d.cmd = exec.Command(dockerd,
		"--bridge=none", "--iptables=false", "--ip6tables=false",
		// Own containerd namespaces, in case this dockerd finds the machine's containerd.
		"--containerd-namespace", "chatproxy-test", "--containerd-plugins-namespace", "chatproxy-test-plugins",
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "dockerd.pid"), "--host", d.Host)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = d.cmd.Wait(); logf.Close(); close(d.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, _, err := d.try("version", "--format", "{{.Server.Version}}"); err == nil {
			return d, nil
		}
		select {
		case <-d.exited:
			log, _ := os.ReadFile(filepath.Join(dir, "dockerd.log"))
			return nil, fmt.Errorf("dockerd exited at start:\n%s", tail(string(log), 3000))
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.stop()
			return nil, fmt.Errorf("dockerd did not answer within 60 s")
		}
	}
}

// stop sends SIGTERM to dockerd's PID (it stops its containers and its containerd), waits, and
// removes the data root.
func (d *Daemon) stop() {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(45 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
	unmountBelow(d.dir)
	if err := os.RemoveAll(d.dir); err != nil {
		fmt.Fprintf(os.Stderr, "dockertest: removing %s: %v\n", d.dir, err)
	}
}

// unmountBelow detaches what dockerd left mounted under dir (its default network namespace's
// bind mount stays after it exits), deepest first, so the directory can be removed.
func unmountBelow(dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(points)))
	for _, p := range points {
		_ = syscall.Unmount(p, syscall.MNT_DETACH)
	}
}

func (d *Daemon) env() []string {
	return []string{"DOCKER_HOST=" + d.Host, "DOCKER_BUILDKIT=0", "DOCKER_CLI_HINTS=false"}
}

func (d *Daemon) try(args ...string) (string, string, error) {
	return deploytest.Cmd{Env: d.env(), Timeout: 5 * time.Minute}.Try(d.docker, args...)
}

// Env is the environment that points docker and Compose at this daemon.
func (d *Daemon) Env() []string { return d.env() }

// Docker runs the docker CLI against the daemon and fails the test on error.
func (d *Daemon) Docker(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := d.try(args...)
	if err != nil {
		t.Fatalf("docker %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return strings.TrimSpace(out)
}

// Try runs the docker CLI and returns its outputs and error.
func (d *Daemon) Try(args ...string) (string, string, error) { return d.try(args...) }

// Inspect decodes `docker inspect` of one object into v.
func (d *Daemon) Inspect(t testing.TB, v any, args ...string) {
	t.Helper()
	out := d.Docker(t, append([]string{"inspect"}, args...)...)
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("docker inspect %v: %v (%d objects)", args, err, len(list))
	}
	if err := json.Unmarshal(list[0], v); err != nil {
		t.Fatal(err)
	}
}

// Logs returns a container's output, for failure messages.
func (d *Daemon) Logs(name string) string {
	out, errOut, _ := d.try("logs", "--tail", "60", name)
	return out + errOut
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

var (
	imageOnce sync.Once
	imageErr  error
)

// Image is the tag the tests build from deploy/docker/Dockerfile.prebuilt.
const Image = "chatproxy:deploytest"

// BuildImage builds the image from the static binary with deploy/docker/build-prebuilt.sh
// (what `make image` runs), once per process.
func (d *Daemon) BuildImage(t testing.TB) string {
	t.Helper()
	bin := deploytest.StaticBinary(t)
	script := deploytest.Path(t, "deploy", "docker", "build-prebuilt.sh")
	imageOnce.Do(func() {
		env := append(d.env(), "VERSION=deploytest", "REVISION=test")
		out, errOut, err := deploytest.Cmd{Env: env, Timeout: 5 * time.Minute}.Try(script, bin, Image)
		if err != nil {
			imageErr = fmt.Errorf("build-prebuilt.sh: %v\n%s%s", err, tail(out, 3000), tail(errOut, 3000))
		}
	})
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	return Image
}
