// Package migrate loads and checks the versioned SQL migrations of an engine.
//
// Both engines number, order and refuse schemas the same way. Applying them is the engine's
// job: each engine runs a step and its version bump in one transaction of its own.
package migrate

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/chatproxy/chatproxy/internal/store"
)

// Step is one migration: the schema reaches Version once SQL has run.
type Step struct {
	Version int
	Name    string // file name, for error messages
	SQL     string
}

// Load reads every "NNNN_name.sql" file in dir of fsys, sorted by version. Versions must run
// 1, 2, … with no gap or duplicate: a missing step would leave replicas with different schemas.
func Load(fsys fs.FS, dir string) ([]Step, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrate: read %s: %w", dir, err)
	}
	steps := make([]Step, 0, len(entries))
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		version, err := parseVersion(e.Name())
		if err != nil {
			return nil, err
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migrate: read %s: %w", e.Name(), err)
		}
		steps = append(steps, Step{Version: version, Name: e.Name(), SQL: string(body)})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].Version < steps[j].Version })
	for i, s := range steps {
		if s.Version != i+1 {
			return nil, fmt.Errorf("migrate: %s: expected version %d", s.Name, i+1)
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("migrate: no migrations in %s", dir)
	}
	return steps, nil
}

func parseVersion(name string) (int, error) {
	prefix, _, ok := strings.Cut(name, "_")
	if !ok {
		return 0, fmt.Errorf("migrate: %s: name must be NNNN_description.sql", name)
	}
	v, err := strconv.Atoi(prefix)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("migrate: %s: bad version %q", name, prefix)
	}
	return v, nil
}

// Latest is the version the schema reaches once every step has run.
func Latest(steps []Step) int { return len(steps) }

// CheckNotTooNew refuses a database migrated by a newer binary: running old code on a newer
// schema could write rows the newer code does not expect.
func CheckNotTooNew(applied, latest int) error {
	if applied > latest {
		return fmt.Errorf("%w: database is at version %d, this binary knows up to %d",
			store.ErrSchemaTooNew, applied, latest)
	}
	return nil
}

// Pending returns the steps still to apply on a database at version applied.
func Pending(steps []Step, applied int) []Step {
	if applied >= len(steps) {
		return nil
	}
	return steps[applied:]
}
