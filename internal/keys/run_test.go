package keys

import (
	"context"
	"testing"
	"time"
)

func TestRunPicksUpRotationsAndStopsWithItsContext(t *testing.T) {
	e := engines()[0]
	fk := newFieldKeys("f1")
	dsn := e.newDSN(t)
	clk := newClock()
	a := newManager(t, openStore(t, e, dsn, fk.ring(t, "f1")), fk.ring(t, "f1"), clk, nil)
	b := newManager(t, openStore(t, e, dsn, fk.ring(t, "f1")), fk.ring(t, "f1"), clk, func(o *Options) {
		o.RefreshInterval = 10 * time.Millisecond
	})
	mustLoad(t, a)
	ksB := mustLoad(t, b)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Run(ctx)
	}()
	r, err := a.Rotate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for ksB.Active().KID != r.KID {
		if time.Now().After(deadline) {
			t.Fatalf("Run did not pick up the rotation to %s", r.KID)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
