package buffertest_test

import (
	"testing"

	"github.com/chatproxy/chatproxy/internal/stream"
	"github.com/chatproxy/chatproxy/internal/stream/buffertest"
)

func TestMemoryConformance(t *testing.T) {
	buffertest.Run(t, func(t *testing.T) stream.Buffer { return stream.NewMemory(stream.MemoryOptions{}) })
}
