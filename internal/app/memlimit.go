package app

import (
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/chatproxy/chatproxy/internal/config"
)

// cgroupMemoryFiles hold the container's memory limit (cgroup v2, then v1).
var cgroupMemoryFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// ApplyMemoryLimit sets Go's soft memory limit for a process that serves (see
// config.Config.MemoryLimit), so the collector works harder before the container is killed
// instead of after: every open stream holds memory, and without a limit the heap may grow to
// twice its live size. It logs what it chose and returns the limit (0 = none).
func ApplyMemoryLimit(c config.Config, log *slog.Logger) int64 {
	limit, source := memoryLimit(c.MemoryLimit, os.Getenv("GOMEMLIMIT"), readCgroupLimit)
	if limit <= 0 {
		return 0
	}
	if source != "GOMEMLIMIT" {
		debug.SetMemoryLimit(limit)
	}
	log.Info("memory limit", "bytes", limit, "from", source)
	return limit
}

// memoryLimit decides the limit: GOMEMLIMIT (the runtime applied it already), then the setting,
// then 90 % of the container's limit.
func memoryLimit(setting int64, gomemlimit string, cgroup func() int64) (int64, string) {
	switch {
	case gomemlimit != "" && gomemlimit != "off":
		return debug.SetMemoryLimit(-1), "GOMEMLIMIT"
	case setting > 0:
		return setting, "CHATPROXY_MEMORY_LIMIT"
	case setting < 0:
		return 0, ""
	}
	if n := cgroup(); n > 0 {
		return n / 10 * 9, "container limit"
	}
	return 0, ""
}

// readCgroupLimit returns the container's memory limit in bytes, 0 when there is none.
func readCgroupLimit() int64 {
	for _, path := range cgroupMemoryFiles {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err == nil && n > 0 && n < 1<<60 { // "max" (v2) or a huge number (v1): no limit
			return n
		}
	}
	return 0
}
