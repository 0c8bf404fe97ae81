package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// Summary is a latency distribution in milliseconds.
type Summary struct {
	N     int     `json:"n"`
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// summarize sorts ds in place and returns nearest-rank percentiles.
func summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	slices.Sort(ds)
	return Summary{N: len(ds), P50ms: ms(percentile(ds, 50)), P99ms: ms(percentile(ds, 99)), MaxMs: ms(ds[len(ds)-1])}
}

// percentile is the nearest-rank percentile of sorted ds.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 · n)
	return sorted[max(rank, 1)-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Machine describes where the numbers were measured.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
}

// String is the machine as the reports' first line shows it: "2 × AMD EPYC, go1.26.8".
func (m Machine) String() string { return fmt.Sprintf("%d × %s, %s", m.CPUs, m.CPUModel, m.GoVersion) }

// cpuModel reads the first "model name" of /proc/cpuinfo ("" elsewhere).
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := bytes.Cut(sc.Bytes(), []byte(":")); ok && string(bytes.TrimSpace(k)) == "model name" {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// procStatusKB reads a "Name:  123 kB" field of /proc/self/status, in bytes (0 when missing).
func procStatusKB(name string) uint64 { return procStatusKBOf("self", name) }

// statusField reads a "Name: N kB" line of a /proc status file, in bytes (0 when absent).
func statusField(b []byte, name string) uint64 {
	for line := range bytes.Lines(b) {
		v, ok := bytes.CutPrefix(line, []byte(name+":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return 0
		}
		return n << 10
	}
	return 0
}

// loadAvg1 is the machine's 1-minute load average: well above the core count means other
// processes competed for the CPU during the run, and the numbers understate chatproxy.
func loadAvg1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	first, _, _ := bytes.Cut(b, []byte(" "))
	v, _ := strconv.ParseFloat(string(first), 64)
	return v
}

// cpuTicks reads the machine's busy and total CPU ticks from /proc/stat (all cores).
type cpuTicks struct{ busy, total uint64 }

func machineTicks() cpuTicks {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTicks{}
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	fields := bytes.Fields(line) // cpu user nice system idle iowait irq softirq steal …
	var t cpuTicks
	for i, f := range fields[1:] {
		n, _ := strconv.ParseUint(string(f), 10, 64)
		t.total += n
		if i != 3 && i != 4 { // idle, iowait
			t.busy += n
		}
	}
	return t
}

// busyCores is how many cores the whole machine kept busy between a and b (every process,
// PostgreSQL and anything else running included).
func busyCores(a, b cpuTicks, cpus int) float64 {
	if b.total <= a.total {
		return 0
	}
	return float64(b.busy-a.busy) / float64(b.total-a.total) * float64(cpus)
}
