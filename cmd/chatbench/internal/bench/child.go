package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chatproxy/chatproxy/internal/app"
)

// ChildFlag is the hidden chatbench flag that runs only chatproxy, in a process of its own,
// for the split scale test: the load generator's sockets and memory are then not counted with
// chatproxy's, and each process stays under the open-file limit.
const ChildFlag = "-serve-child"

// childCPUProfileEnv names the file a child writes its CPU profile to (its whole life).
const childCPUProfileEnv = "CHATBENCH_CHILD_CPUPROFILE"

// childStats are the peaks a child proxy reported, and its process id.
type childStats struct {
	pid int
	mu  sync.Mutex
	// the last sample
	goroutines      int
	heapMB, stackMB float64
	gc              gcTimeline // its collections, as reported
}

// collections returns the child's collections so far.
func (cs *childStats) collections() gcTimeline {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append(gcTimeline(nil), cs.gc...)
}

func (cs *childStats) read() (goroutines int, heapMB, stackMB float64) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.goroutines, cs.heapMB, cs.stackMB
}

// rssMB is the child's resident memory now.
func (cs *childStats) rssMB() float64 { return mb(procStatusKBOf(strconv.Itoa(cs.pid), "VmRSS")) }

// startChildProxy runs chatproxy as a child process of this binary (ChildFlag) with the same
// settings startProxy would use.
func startChildProxy(ctx context.Context, spec proxySpec) (_ *proxy, err error) {
	p, vars, err := prepareProxy(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer p.closeIfFailed(&err)
	p.dataDir = vars["CHATPROXY_DATA_DIR"]
	path := filepath.Join(p.dataDir, "settings.json")
	b, _ := json.Marshal(vars)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, ChildFlag, path)
	cmd.Stderr = os.Stderr
	cmd.Env = os.Environ()
	if spec.childCPUProfile != "" {
		cmd.Env = append(cmd.Env, childCPUProfileEnv+"="+spec.childCPUProfile)
	}
	for k, v := range spec.settings { // Go runtime settings (GOMEMLIMIT, GOGC) act on the process
		if strings.HasPrefix(k, "GO") {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	stdin, err := cmd.StdinPipe() // closing it tells the child to stop
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.child = &childStats{pid: cmd.Process.Pid}
	p.stop = func() { _ = stdin.Close() }
	go func() { p.served <- cmd.Wait() }()
	lines := bufio.NewScanner(out)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "listening ") {
		_ = cmd.Process.Kill()
		return nil, errors.New("the chatproxy child process did not start (see its stderr above)")
	}
	p.url = strings.TrimPrefix(lines.Text(), "listening ")
	go p.child.follow(lines)
	return p, nil
}

// follow reads the child's "stats goroutines heapMB stackMB gcCycles assistSeconds" lines.
func (cs *childStats) follow(lines *bufio.Scanner) {
	for lines.Scan() {
		f := strings.Fields(lines.Text())
		if len(f) != 6 || f[0] != "stats" {
			continue
		}
		g, _ := strconv.Atoi(f[1])
		heap, _ := strconv.ParseFloat(f[2], 64)
		stack, _ := strconv.ParseFloat(f[3], 64)
		cycles, _ := strconv.ParseUint(f[4], 10, 64)
		assist, _ := strconv.ParseFloat(f[5], 64)
		cs.mu.Lock()
		cs.goroutines, cs.heapMB, cs.stackMB = g, heap, stack
		cs.gc = cs.gc.add(gcPoint{at: time.Now(), cycles: cycles, assistS: assist})
		cs.mu.Unlock()
	}
}

// ServeChild is the child side: it serves chatproxy with the settings in path, reports its
// goroutines, heap and collections on stdout every 200 ms, and stops when stdin closes or ctx ends.
func ServeChild(ctx context.Context, path string, stdin io.Reader, stdout io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var vars map[string]string
	if err := json.Unmarshal(b, &vars); err != nil {
		return err
	}
	if _, err := raiseFileLimit(1 << 20); err != nil {
		return err
	}
	c, err := loadConfig(vars)
	if err != nil {
		return err
	}
	// The child is chatproxy alone, as `chatproxy serve` runs it: CHATPROXY_MEMORY_LIMIT applies.
	app.ApplyMemoryLimit(c, app.NewLogger(c, os.Stderr))
	if path := os.Getenv(childCPUProfileEnv); path != "" {
		stop, err := startCPUProfile(path)
		if err != nil {
			return err
		}
		defer stop()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _, _ = io.Copy(io.Discard, stdin); cancel() }()
	p := &proxy{served: make(chan error, 1)}
	if err := p.serve(ctx, c); err != nil {
		return err
	}
	defer p.close()
	fmt.Fprintln(stdout, "listening", p.url)
	// SIGUSR1 writes a heap profile next to the settings file (the parent's -memprofile);
	// SIGUSR2 a goroutine summary (goroutines.txt), to see where streams wait.
	usr1, usr2 := make(chan os.Signal, 1), make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	signal.Notify(usr2, syscall.SIGUSR2)
	defer signal.Stop(usr1)
	defer signal.Stop(usr2)
	tick := time.NewTicker(childStatsInterval)
	defer tick.Stop()
	var m runtime.MemStats
	gc := newGCMetrics()
	for n := 0; ; n++ {
		if n%5 == 0 { // ReadMemStats stops the world: once a second
			runtime.ReadMemStats(&m)
		}
		cycles, assist := gc.read()
		fmt.Fprintf(stdout, "stats %d %.1f %.1f %d %.3f\n", runtime.NumGoroutine(), mb(m.HeapInuse), mb(m.StackInuse), cycles, assist)
		select {
		case <-ctx.Done():
			return nil
		case err := <-p.served:
			return err
		case <-usr1:
			if err := writeHeapProfile(filepath.Join(filepath.Dir(path), "heap.out")); err != nil {
				fmt.Fprintln(os.Stderr, "chatbench child: heap profile:", err)
			}
		case <-usr2:
			if err := writeGoroutines(filepath.Join(filepath.Dir(path), "goroutines.txt")); err != nil {
				fmt.Fprintln(os.Stderr, "chatbench child: goroutines:", err)
			}
		case <-tick.C:
		}
	}
}

// procStatusKBOf reads a "Name: N kB" field of /proc/<pid>/status (0 when unknown).
func procStatusKBOf(pid, name string) uint64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	return statusField(b, name)
}

// childHeapProfile asks the child for a heap profile and copies it to dst.
func (p *proxy) childHeapProfile(dst string) error {
	src := filepath.Join(p.dataDir, "heap.out")
	_ = os.Remove(src)
	if err := syscall.Kill(p.child.pid, syscall.SIGUSR1); err != nil {
		return err
	}
	for range 100 {
		time.Sleep(100 * time.Millisecond)
		if b, err := os.ReadFile(src); err == nil && len(b) > 0 {
			time.Sleep(200 * time.Millisecond) // let the write finish
			if b, err = os.ReadFile(src); err == nil {
				return os.WriteFile(dst, b, 0o600)
			}
		}
	}
	return errors.New("the child wrote no heap profile")
}
