package upstream

import (
	"bufio"
	"strings"
	"testing"
)

func BenchmarkParseNDJSON(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"type":"begin",` + meta0 + "}\n")
	for range 20 {
		sb.WriteString(`{"type":"item","content":"Hello there",` + meta0 + "}\n")
	}
	sb.WriteString(`{"type":"end",` + meta0 + "}\n")
	body := sb.String()
	br := bufio.NewReaderSize(nil, 16<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		br.Reset(strings.NewReader(body))
		if _, err := parseBody(br, jsonCT, 1<<20, func(Chunk) {}); err != nil {
			b.Fatal(err)
		}
	}
}
