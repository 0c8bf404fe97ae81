package stream

import (
	"context"
	"errors"
	"testing"
)

// downBuffer is a primary whose backend is unreachable: every call fails.
type downBuffer struct{ starts int }

var errDown = errors.New("backend down")

func (d *downBuffer) Start(context.Context, string, string, string) (string, error) {
	d.starts++
	return "", errDown
}
func (d *downBuffer) Append(_ context.Context, _ string, e Event) (Event, error) { return e, errDown }
func (d *downBuffer) Finish(context.Context, string) error                       { return errDown }
func (d *downBuffer) Lookup(context.Context, string) (string, bool, error)       { return "", false, errDown }
func (d *downBuffer) Subscribe(context.Context, string, string, Position) (Subscription, error) {
	return nil, errDown
}
func (d *downBuffer) Close() error { return nil }

func TestFallbackKeepsRepliesLocallyWhenPrimaryIsDown(t *testing.T) {
	ctx := context.Background()
	down := &downBuffer{}
	local := NewMemory(MemoryOptions{})
	fallbacks := 0
	f := NewFallback(down, local, 0, func(error) { fallbacks++ })
	defer f.Close()
	for _, id := range []string{"r1", "r2"} {
		if _, err := f.Start(ctx, id, "u-"+id, "s"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Append(ctx, id, Event{Type: TypeItem, Content: "x"}); err != nil {
			t.Fatal(err)
		}
		if err := f.Finish(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if down.starts != 1 || fallbacks != 2 {
		t.Fatalf("primary tried %d times (want 1: cool-down), fallbacks %d", down.starts, fallbacks)
	}
	sub, err := f.Subscribe(ctx, "r2", "s", Position{})
	if err != nil {
		t.Fatal(err)
	}
	if e, _, _, err := sub.Next(ctx); err != nil || e.Content != "x" {
		t.Fatalf("local reply: %+v %v", e, err)
	}
	if id, ok, _ := f.Lookup(ctx, "u-r1"); !ok || id != "r1" {
		t.Fatal("alias of a local reply not found")
	}
	// A reply that is not local, with the primary unreachable, cannot be served: reset.
	if _, err := f.Subscribe(ctx, "elsewhere", "s", Position{}); !errors.Is(err, ErrGone) {
		t.Fatalf("want ErrGone, got %v", err)
	}
}
