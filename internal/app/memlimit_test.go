package app

import (
	"runtime/debug"
	"testing"
)

func TestMemoryLimitChoice(t *testing.T) {
	container := func() int64 { return 1000 << 20 }
	none := func() int64 { return 0 }
	current := debug.SetMemoryLimit(-1)
	cases := []struct {
		name       string
		setting    int64
		gomemlimit string
		cgroup     func() int64
		want       int64
		from       string
	}{
		{"setting wins over the container", 900 << 20, "", container, 900 << 20, "CHATPROXY_MEMORY_LIMIT"},
		{"90 % of the container", 0, "", container, 900 << 20, "container limit"},
		{"no container, no setting", 0, "", none, 0, ""},
		{"off", -1, "", container, 0, ""},
		{"GOMEMLIMIT wins", 900 << 20, "500MiB", container, current, "GOMEMLIMIT"},
	}
	for _, c := range cases {
		got, from := memoryLimit(c.setting, c.gomemlimit, c.cgroup)
		if got != c.want || from != c.from {
			t.Errorf("%s: %d from %q, want %d from %q", c.name, got, from, c.want, c.from)
		}
	}
}
