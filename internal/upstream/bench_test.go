package upstream_test

import (
	"time"

	"testing"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// BenchmarkCallStream measures one full call against the fake: sign, encode, POST, parse 20 items.
func BenchmarkCallStream(b *testing.B) {
	fake := n8ntest.NewServer(n8ntest.WithoutRecording())
	defer fake.Close()
	signer, _ := upstream.NewHS256Signer("k", testSecret, "chatproxy", 30*time.Second)
	c, err := upstream.NewClient(withBase(upstream.Options{MaxConcurrentPerSite: 1024}))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	target := trustedTarget(fake.URLFor(n8ntest.ScenarioStream))
	target.Signer = signer
	req := fullRequest()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Call(b.Context(), target, req, func(upstream.Chunk) {}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
