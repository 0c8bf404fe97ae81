package buffertest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chatproxy/chatproxy/internal/stream"
)

// testManyReplies: 200 replies written at once, their appends interleaved, each keep their own
// offsets and order, and each alias finds its reply.
func testManyReplies(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	const replies, events = 200, 20
	var wg sync.WaitGroup
	for r := range replies {
		wg.Go(func() {
			id, alias, owner := "r"+strconv.Itoa(r), "u"+strconv.Itoa(r), "s"+strconv.Itoa(r)
			if _, err := b.Start(ctx, id, alias, owner); err != nil {
				t.Errorf("Start %s: %v", id, err)
				return
			}
			for i := 1; i <= events; i++ {
				e, err := b.Append(ctx, id, item(id+"/"+strconv.Itoa(i)))
				if err != nil || e.Offset != uint64(i) {
					t.Errorf("Append %s/%d: offset %d, %v", id, i, e.Offset, err)
					return
				}
			}
			if err := b.Finish(ctx, id); err != nil {
				t.Errorf("Finish %s: %v", id, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for r := range replies {
		id, owner := "r"+strconv.Itoa(r), "s"+strconv.Itoa(r)
		got := mustCollect(t, ctx, b, id, owner, stream.Position{})
		if len(got) != events {
			t.Fatalf("%s: %d events, want %d", id, len(got), events)
		}
		for i, e := range got {
			if want := id + "/" + strconv.Itoa(i+1); e.Content != want || e.Offset != uint64(i+1) {
				t.Fatalf("%s event %d: %q at %d, want %q at %d", id, i, e.Content, e.Offset, want, i+1)
			}
		}
		if found, ok, err := b.Lookup(ctx, "u"+strconv.Itoa(r)); err != nil || !ok || found != id {
			t.Fatalf("Lookup u%d = %q %v %v", r, found, ok, err)
		}
	}
}

// testConcurrentWriters: writers sharing one reply get distinct offsets 1..n, and readers see
// each writer's events in the order it appended them.
func testConcurrentWriters(t *testing.T, b stream.Buffer) {
	ctx := testCtx(t)
	const writers, each = 8, 50
	start(t, ctx, b, "r", "", "s")
	offsets := make([][]uint64, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e, err := b.Append(ctx, "r", item(fmt.Sprintf("%d/%d", w, i)))
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				offsets[w] = append(offsets[w], e.Offset)
			}
		})
	}
	wg.Wait()
	finish(t, ctx, b, "r")
	var all []uint64
	for w, offs := range offsets {
		if !slices.IsSorted(offs) {
			t.Fatalf("writer %d got offsets out of order: %v", w, offs)
		}
		all = append(all, offs...)
	}
	slices.Sort(all)
	for i, off := range all {
		if off != uint64(i+1) {
			t.Fatalf("offsets are not 1..%d without repeats: position %d holds %d", writers*each, i, off)
		}
	}
	got := mustCollect(t, ctx, b, "r", "s", stream.Position{})
	seen := make([]int, writers)
	for i, e := range got {
		w, n, _ := strings.Cut(e.Content, "/")
		wi, _ := strconv.Atoi(w)
		ni, _ := strconv.Atoi(n)
		if e.Offset != uint64(i+1) || wi < 0 || wi >= writers || ni != seen[wi] {
			t.Fatalf("event %d (offset %d, %q) breaks per-writer order", i, e.Offset, e.Content)
		}
		seen[wi]++
	}
	if len(got) != writers*each {
		t.Fatalf("read %d events, want %d", len(got), writers*each)
	}
}
