package hygiene

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	// requirementRef: requirement and issue numbers of documents outside this repository.
	requirementRef = regexp.MustCompile(`\bR-\d+\b|\b[Ii]ssue \d+\b|shared/reference|protocol notes`)
	// sectionRef: "§2.1" of some document; only RFC sections (named with their RFC) are fine.
	sectionRef = regexp.MustCompile(`(RFC \d+ )?§\s?\d`)
	// faultRef and faultDef: fault numbers, and the table rows of docs/faults.md that define them.
	faultRef = regexp.MustCompile(`\bF(\d+)\b`)
	faultDef = regexp.MustCompile(`(?m)^\| F(\d+) \|`)
)

// textFiles lists the files git tracks that people read: Go, docs, the widget's sources and
// tests, and the build files. Generated and vendored files are left out.
func textFiles(t *testing.T, root string) []string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	var files []string
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		switch {
		case strings.Contains(f, "node_modules/"), strings.HasSuffix(f, "package-lock.json"),
			strings.Contains(f, "/testdata/"), strings.HasPrefix(f, "internal/webui/dist/"),
			strings.HasPrefix(f, "internal/hygiene/"): // the rules quote what they forbid
			continue
		}
		switch filepath.Ext(f) {
		case ".go", ".md", ".ts", ".tsx", ".mjs", ".js", ".html", ".css", ".yaml", ".yml", ".example":
			files = append(files, f)
		default:
			if base := filepath.Base(f); base == "Makefile" || strings.HasPrefix(f, ".ci/") {
				files = append(files, f)
			}
		}
	}
	if len(files) < 50 {
		t.Fatalf("only %d files to check: wrong root?", len(files))
	}
	return files
}

// TestReferencesResolveInThisRepository: comments and docs point to documents in this
// repository. Requirement numbers, issue numbers and sections of notes kept elsewhere
// mean nothing to a reader of the repository; fault numbers are fine when docs/faults.md
// defines them.
func TestReferencesResolveInThisRepository(t *testing.T) {
	root := repoRoot(t)
	faults, err := os.ReadFile(filepath.Join(root, "docs", "faults.md"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, m := range faultDef.FindAllStringSubmatch(string(faults), -1) {
		defined[m[1]] = true
	}
	if len(defined) < 19 {
		t.Fatalf("docs/faults.md defines %d faults; want F1–F19", len(defined))
	}
	for _, f := range textFiles(t, root) {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range bytes.Split(b, []byte("\n")) {
			where := f + ":" + strconv.Itoa(n+1)
			if m := requirementRef.Find(line); m != nil {
				t.Errorf("%s: %q refers to a document outside this repository: link to docs/ instead", where, m)
			}
			for _, m := range sectionRef.FindAllSubmatch(line, -1) {
				if len(m[1]) == 0 {
					t.Errorf("%s: %q names a section of a document that is not named: link to docs/ instead", where, m[0])
				}
			}
			for _, m := range faultRef.FindAllSubmatch(line, -1) {
				if !defined[string(m[1])] {
					t.Errorf("%s: fault %q is not defined in docs/faults.md", where, m[0])
				}
			}
		}
	}
}
