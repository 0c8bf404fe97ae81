package redisbuf_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/ratelimit/ratelimittest"
	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/chatproxy/chatproxy/internal/stream/redisbuf"
	"github.com/redis/go-redis/v9"
)

// failBound is generous on purpose: the point is "fails fast instead of hanging", not a latency.
const failBound = 2 * time.Second

// clientAt builds a client the way production does (context deadlines bound socket I/O).
func clientAt(t *testing.T, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// silentServer accepts connections and never answers, like a Redis that hangs.
func silentServer(t *testing.T) string { return ratelimittest.SilentRedisAddr(t) }

func TestUnavailable(t *testing.T) {
	for name, addr := range map[string]func(*testing.T) string{"ClosedPort": closedPort, "SilentServer": silentServer} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := redisbuf.New(clientAt(t, addr(t)), "x:", redisbuf.Options{})
			defer b.Close()
			ops := map[string]func(context.Context) error{
				"Start": func(ctx context.Context) error { _, err := b.Start(ctx, "r", "u", "s"); return err },
				"Append": func(ctx context.Context) error {
					_, err := b.Append(ctx, "r", stream.Event{Type: stream.TypeItem})
					return err
				},
				"Finish":    func(ctx context.Context) error { return b.Finish(ctx, "r") },
				"Lookup":    func(ctx context.Context) error { _, _, err := b.Lookup(ctx, "u"); return err },
				"Subscribe": func(ctx context.Context) error { _, err := b.Subscribe(ctx, "r", "s", stream.Position{}); return err },
			}
			for op, call := range ops {
				checkFailsFast(t, op, call)
			}
		})
	}
}

func checkFailsFast(t *testing.T, op string, call func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	began := time.Now()
	err := call(ctx)
	if !errors.Is(err, redisbuf.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%s: %v, want ErrUnavailable (and not the caller's deadline)", op, err)
	}
	if took := time.Since(began); took > failBound {
		t.Errorf("%s took %v to fail", op, took)
	}
}

// TestCallerCancelIsNotUnavailable: the caller giving up is reported as its context error, so
// the chat service does not mistake it for a Redis outage.
func TestCallerCancelIsNotUnavailable(t *testing.T) {
	b := redisbuf.New(clientAt(t, silentServer(t)), "x:", redisbuf.Options{Timeout: time.Minute})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := b.Append(ctx, "r", stream.Event{Type: stream.TypeItem})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redisbuf.ErrUnavailable) {
		t.Fatalf("Append with an expired caller context: %v", err)
	}
}

// TestRedisLostWhileWaiting: a subscription waiting for events when Redis goes away ends with
// ErrUnavailable instead of waiting forever.
func TestRedisLostWhileWaiting(t *testing.T) {
	client := testRedis(t)
	proxy := newProxy(t, client.Options().Addr)
	viaProxy := clientAt(t, proxy.addr)
	prefix := uniquePrefix(t, client)
	b := redisbuf.New(viaProxy, prefix, redisbuf.Options{PollInterval: 50 * time.Millisecond, Timeout: 2 * time.Second})
	defer b.Close()
	ctx := context.Background()
	if _, err := b.Start(ctx, "r", "", "s"); err != nil {
		t.Fatal(err)
	}
	sub, err := b.Subscribe(ctx, "r", "s", stream.Position{})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 1)
	go func() { _, _, _, err := sub.Next(ctx); errs <- err }()
	time.Sleep(100 * time.Millisecond) // let Next wait, then pull the plug
	proxy.close()
	select {
	case err := <-errs:
		if !errors.Is(err, redisbuf.ErrUnavailable) {
			t.Fatalf("Next after Redis went away: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Next still waiting long after Redis went away")
	}
}

// proxy relays TCP to Redis until closed, then refuses and cuts every connection.
type proxy struct {
	addr  string
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: l.Addr().String(), l: l}
	t.Cleanup(p.close)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
	return p
}

func (p *proxy) close() {
	_ = p.l.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
}
