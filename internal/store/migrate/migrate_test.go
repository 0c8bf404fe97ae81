package migrate

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/chatproxy/chatproxy/internal/store"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_more.sql": {Data: []byte("B")},
		"m/0001_init.sql": {Data: []byte("A")},
		"m/README.md":     {Data: []byte("ignored")},
	}
	steps, err := Load(fsys, "m")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(steps) != 2 || steps[0].SQL != "A" || steps[1].Version != 2 || Latest(steps) != 2 {
		t.Fatalf("Load = %+v; want 0001 then 0002", steps)
	}
	if p := Pending(steps, 1); len(p) != 1 || p[0].Version != 2 {
		t.Errorf("Pending(1) = %+v; want step 2", p)
	}
	if p := Pending(steps, 5); p != nil {
		t.Errorf("Pending(5) = %+v; want none", p)
	}
}

func TestLoadRejects(t *testing.T) {
	cases := map[string]fstest.MapFS{
		"gap":       {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"duplicate": {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
		"bad name":  {"m/init.sql": {}},
		"zero":      {"m/0000_a.sql": {}},
		"empty":     {"m/README.md": {}},
	}
	for name, fsys := range cases {
		if _, err := Load(fsys, "m"); err == nil {
			t.Errorf("%s: Load succeeded", name)
		}
	}
}

func TestCheckNotTooNew(t *testing.T) {
	if err := CheckNotTooNew(3, 3); err != nil {
		t.Errorf("CheckNotTooNew(3, 3) = %v", err)
	}
	err := CheckNotTooNew(4, 3)
	if !errors.Is(err, store.ErrSchemaTooNew) || !strings.Contains(err.Error(), "4") || !strings.Contains(err.Error(), "3") {
		t.Errorf("CheckNotTooNew(4, 3) = %v; want ErrSchemaTooNew naming both versions", err)
	}
}
