package docker_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/deploy/internal/deploytest"
)

// finalStage returns the lines of a Dockerfile from its last FROM on, without comments and with
// continuation lines joined.
func finalStage(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(deploytest.Path(t, "deploy", "docker", name))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	joined := ""
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if cont, ok := strings.CutSuffix(l, "\\"); ok {
			joined += strings.TrimSpace(cont) + " "
			continue
		}
		lines = append(lines, joined+l)
		joined = ""
	}
	last := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "FROM ") {
			last = i
		}
	}
	if last < 0 {
		t.Fatalf("%s has no FROM", name)
	}
	return lines[last:]
}

// The multi-stage Dockerfile cannot be built here (its base images cannot be pulled), so its
// final stage must stay the one the tests build and run from Dockerfile.prebuilt: only the
// sources of the COPY lines may differ.
func TestDockerfileFinalStageMatchesPrebuilt(t *testing.T) {
	fromStage := regexp.MustCompile(`--from=\w+ /ctx/`)
	full, prebuilt := finalStage(t, "Dockerfile"), finalStage(t, "Dockerfile.prebuilt")
	if len(full) != len(prebuilt) {
		t.Fatalf("final stages differ in length:\n%s\n---\n%s", strings.Join(full, "\n"), strings.Join(prebuilt, "\n"))
	}
	for i := range full {
		if got := fromStage.ReplaceAllString(full[i], ""); got != prebuilt[i] {
			t.Errorf("final stage line %d differs:\n  Dockerfile:          %s\n  Dockerfile.prebuilt: %s", i+1, full[i], prebuilt[i])
		}
	}
	if full[0] != "FROM scratch" {
		t.Errorf("final stage %q, want FROM scratch", full[0])
	}
}

// The multi-stage build has the Node, Go and Debian stages the final stage copies from, and
// builds the binary static.
func TestDockerfileStages(t *testing.T) {
	b, err := os.ReadFile(deploytest.Path(t, "deploy", "docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		"FROM --platform=${BUILDPLATFORM:-linux/amd64} node:${NODE_VERSION}-${DEBIAN_VERSION}-slim AS widget",
		"FROM --platform=${BUILDPLATFORM:-linux/amd64} golang:${GO_VERSION}-${DEBIAN_VERSION} AS build",
		"FROM --platform=${BUILDPLATFORM:-linux/amd64} debian:${DEBIAN_VERSION}-slim AS assemble",
		"CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH:-amd64} go build",
		"RUN npm ci",
		"RUN make-rootfs.sh /ctx/rootfs",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// Every path it copies from the repository exists.
	for _, m := range regexp.MustCompile(`(?m)^COPY ((?:[\w./-]+ )+)[\w./-]+$`).FindAllStringSubmatch(s, -1) {
		for _, src := range strings.Fields(m[1]) {
			if _, err := os.Stat(deploytest.Path(t, src)); err != nil {
				t.Errorf("Dockerfile copies %s: %v", src, err)
			}
		}
	}
}
