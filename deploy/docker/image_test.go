package docker_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/deploy/internal/deploytest"
	"github.com/chatproxy/chatproxy/deploy/internal/dockertest"
	"github.com/chatproxy/chatproxy/internal/n8ntest"
)

// maxImageBytes is the size budget for the final image.
const maxImageBytes = 40 << 20

type imageInfo struct {
	Size   int64
	Config struct {
		User        string
		Labels      map[string]string
		StopSignal  string
		Volumes     map[string]struct{}
		Entrypoint  []string
		Healthcheck struct{ Test []string }
	}
}

func TestPrebuiltImageMetadataAndSize(t *testing.T) {
	d := dockertest.Shared(t)
	img := d.BuildImage(t)
	var info imageInfo
	d.Inspect(t, &info, "--type", "image", img)
	t.Logf("image %s: %.1f MB", img, float64(info.Size)/1e6)
	if info.Size > maxImageBytes || info.Size < 5<<20 {
		t.Errorf("image is %d bytes, want 5 MiB..40 MiB", info.Size)
	}
	c := info.Config
	if c.User != "65532:65532" {
		t.Errorf("USER %q, want 65532:65532", c.User)
	}
	if c.StopSignal != "SIGTERM" {
		t.Errorf("STOPSIGNAL %q", c.StopSignal)
	}
	if _, ok := c.Volumes["/data"]; !ok {
		t.Errorf("no /data volume: %v", c.Volumes)
	}
	if got := strings.Join(c.Healthcheck.Test, " "); got != "CMD /usr/local/bin/chatproxy health" {
		t.Errorf("HEALTHCHECK %q", got)
	}
	for _, k := range []string{"title", "description", "source", "version", "revision", "created"} {
		if c.Labels["org.opencontainers.image."+k] == "" {
			t.Errorf("label org.opencontainers.image.%s missing", k)
		}
	}
	if c.Labels["org.opencontainers.image.version"] != "deploytest" {
		t.Errorf("version label %q, want the VERSION given to the build", c.Labels["org.opencontainers.image.version"])
	}
	if out := d.Docker(t, "run", "--rm", "--network", "none", img, "version"); out != "chatproxy deploytest" {
		t.Errorf("chatproxy version in the image: %q", out)
	}
}

// TestPrebuiltImageServesAnExchangeReadOnlyAsNonRoot runs the image as an operator would
// (read-only root, a /data volume, a secret file) on the host network, listening on loopback,
// and completes a chat exchange against a fake n8n.
func TestPrebuiltImageServesAnExchangeReadOnlyAsNonRoot(t *testing.T) {
	d := dockertest.Shared(t)
	img := d.BuildImage(t)
	fake := n8ntest.NewServer(n8ntest.WithChunks(8))
	t.Cleanup(fake.Close)

	secrets := t.TempDir()
	if err := os.WriteFile(filepath.Join(secrets, "session_secret"), []byte("image-test-secret-0123456789abcdef-xyz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(secrets, 0o755); err != nil {
		t.Fatal(err)
	}
	port, metricsPort := deploytest.FreePort(t), deploytest.FreePort(t)
	name, volume := "cp-image-test", "cp-image-test-data"
	d.Docker(t, "volume", "create", volume)
	t.Cleanup(func() {
		_, _, _ = d.Try("rm", "-f", name)
		_, _, _ = d.Try("volume", "rm", "-f", volume)
	})
	d.Docker(t, "run", "-d", "--name", name,
		"--network", "host", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
		"-v", volume+":/data", "-v", secrets+":/run/secrets:ro",
		"--health-interval", "1s", "--health-start-period", "1s",
		"-e", "CHATPROXY_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"-e", "CHATPROXY_METRICS_ADDR=127.0.0.1:"+strconv.Itoa(metricsPort),
		"-e", "N8N_WEBHOOK_URL="+fake.URL+"/webhook/image-test/chat",
		"-e", "ALLOWED_ORIGINS=https://shop.example",
		"-e", "SESSION_SECRET_KEY_FILE=/run/secrets/session_secret",
		img)

	waitHealthy(t, d, name)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	exchange(t, base)
	if fake.Count() != 1 {
		t.Errorf("fake n8n got %d calls, want 1", fake.Count())
	}

	var state struct {
		State struct {
			Pid      int
			ExitCode int
		}
		HostConfig struct{ ReadonlyRootfs bool }
	}
	d.Inspect(t, &state, "--type", "container", name)
	if !state.HostConfig.ReadonlyRootfs {
		t.Error("container is not read-only")
	}
	checkProcess(t, state.State.Pid)
	checkVolumeOwnedByNonRoot(t, d, volume)
	checkCertificatesAndZones(t, d, name)

	// STOPSIGNAL: chatproxy drains and exits 0 on SIGTERM.
	d.Docker(t, "stop", "-t", "30", name)
	d.Inspect(t, &state, "--type", "container", name)
	if state.State.ExitCode != 0 {
		t.Errorf("exit code after docker stop: %d\n%s", state.State.ExitCode, d.Logs(name))
	}
}

// waitHealthy waits until Docker runs the image's HEALTHCHECK (chatproxy health) successfully.
func waitHealthy(t *testing.T, d *dockertest.Daemon, name string) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var st struct {
			State struct {
				Running bool
				Health  struct{ Status string }
			}
		}
		d.Inspect(t, &st, "--type", "container", name)
		if st.State.Health.Status == "healthy" {
			return
		}
		if !st.State.Running || time.Now().After(deadline) {
			t.Fatalf("container %s not healthy (running %v, health %q):\n%s", name, st.State.Running, st.State.Health.Status, d.Logs(name))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// exchange creates a session and completes one streamed answer through base.
func exchange(t *testing.T, base string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := deploytest.NewClient(base, "https://shop.example", nil)
	s, err := c.NewSession(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond) // the default site refuses a first message sooner (too_fast)
	st, err := c.Send(ctx, s, "hello from the image test")
	if err != nil {
		t.Fatal(err)
	}
	events, err := st.Rest()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := deploytest.Text(events), n8ntest.StreamText(8); got != want {
		t.Fatalf("answer %q, want %q", got, want)
	}
	if ends := deploytest.OfType(events, "end"); len(ends) != 1 || ends[0].Status != "complete" {
		t.Fatalf("end events %+v", ends)
	}
}

// checkProcess reads the container's main process from /proc on the host: it must run as
// 65532 with no capabilities, on a read-only root with a writable /data.
func checkProcess(t *testing.T, pid int) {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(status), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	if fields["Uid"] != "65532 65532 65532 65532" || fields["Gid"] != "65532 65532 65532 65532" {
		t.Errorf("process runs as Uid %q Gid %q, want 65532", fields["Uid"], fields["Gid"])
	}
	if fields["CapEff"] != "0000000000000000" {
		t.Errorf("effective capabilities %s, want none", fields["CapEff"])
	}
	mounts, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string]string{}
	for _, line := range strings.Split(string(mounts), "\n") {
		f := strings.Fields(line)
		if len(f) > 5 {
			opts[f[4]] = f[5] // mount point -> per-mount options
		}
	}
	if !hasOpt(opts["/"], "ro") {
		t.Errorf("root mount options %q, want ro", opts["/"])
	}
	if !hasOpt(opts["/data"], "rw") {
		t.Errorf("/data mount options %q, want rw", opts["/data"])
	}
}

func hasOpt(list, opt string) bool {
	for _, o := range strings.Split(list, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// checkVolumeOwnedByNonRoot: the SQLite database and generated secrets landed in the volume,
// owned by the image's user.
func checkVolumeOwnedByNonRoot(t *testing.T, d *dockertest.Daemon, volume string) {
	t.Helper()
	var vol struct{ Mountpoint string }
	d.Inspect(t, &vol, "--type", "volume", volume)
	for _, f := range []string{"chatproxy.db", "secrets.json"} {
		fi, err := os.Stat(filepath.Join(vol.Mountpoint, f))
		if err != nil {
			t.Errorf("%s in the /data volume: %v", f, err)
			continue
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 65532 {
			t.Errorf("%s owned by uid %d, want 65532", f, uid)
		}
	}
}

// checkCertificatesAndZones copies the CA bundle and a zone file out of the container and
// parses them: the image can verify TLS to a public n8n and knows time zones.
func checkCertificatesAndZones(t *testing.T, d *dockertest.Daemon, name string) {
	t.Helper()
	bundle := copyOut(t, d, name, "/etc/ssl/certs/ca-certificates.crt")
	n := 0
	for rest := bundle; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			t.Fatalf("CA bundle certificate %d: %v", n, err)
		}
		n++
	}
	if n < 100 {
		t.Errorf("CA bundle holds %d certificates, want Mozilla's set (> 100)", n)
	}
	zone := copyOut(t, d, name, "/usr/share/zoneinfo/Europe/Berlin")
	if _, err := time.LoadLocationFromTZData("Europe/Berlin", zone); err != nil {
		t.Errorf("zoneinfo: %v", err)
	}
	passwd := copyOut(t, d, name, "/etc/passwd")
	if !bytes.Contains(passwd, []byte(":65532:65532:")) {
		t.Errorf("/etc/passwd has no entry for 65532: %q", passwd)
	}
}

func copyOut(t *testing.T, d *dockertest.Daemon, name, path string) []byte {
	t.Helper()
	out, errOut, err := d.Try("cp", "-L", name+":"+path, "-")
	if err != nil {
		t.Fatalf("docker cp %s: %v %s", path, err, errOut)
	}
	tr := tar.NewReader(strings.NewReader(out))
	if _, err := tr.Next(); err != nil {
		t.Fatalf("docker cp %s: %v", path, err)
	}
	b, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
