package bench

import (
	"strings"
	"testing"
)

func flat(n int, heap float64, g, fds int) []SoakSample {
	out := make([]SoakSample, n)
	for i := range out {
		out[i] = SoakSample{HeapMB: heap, Goroutines: g, FDs: fds}
	}
	return out
}

func TestSoakProblems(t *testing.T) {
	if p := soakProblems(flat(50, 80, 180, 130), 1000, 0); len(p) != 0 {
		t.Fatalf("flat run judged as failing: %v", p)
	}
	growing := flat(50, 80, 180, 130)
	for i := range growing {
		growing[i].Goroutines = 180 + 20*i
		growing[i].FDs = 130 + 5*i
	}
	p := soakProblems(growing, 1000, 0)
	if len(p) != 2 || !strings.Contains(p[0], "goroutines") || !strings.Contains(p[1], "file descriptors") {
		t.Fatalf("leak not found: %v", p)
	}
	if p := soakProblems(flat(50, 80, 180, 130), 999, 1); len(p) != 1 || !strings.Contains(p[0], "1 of 1000") {
		t.Fatalf("failed exchange not reported: %v", p)
	}
	if p := soakProblems(flat(5, 80, 180, 130), 10, 0); len(p) != 1 {
		t.Fatalf("too few samples accepted: %v", p)
	}
}
