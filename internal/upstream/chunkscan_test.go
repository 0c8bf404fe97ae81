package upstream

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// benchLines are typical n8n lines (docs/n8n-protocol.md) plus the shapes that stress the
// scanner: escapes, non-ASCII text, and object content (which takes the encoding/json path).
var benchLines = []struct{ name, line string }{
	{"item", `{"type":"item","content":"Hello","metadata":{"nodeId":"6b49ad3c-1f0e-4b8e-9a51-2d3c4e5f6a7b","nodeName":"AI Agent","itemIndex":0,"runIndex":0,"timestamp":1767168912976}}`},
	{"begin", `{"type":"begin","metadata":{"nodeId":"6b49ad3c-1f0e-4b8e-9a51-2d3c4e5f6a7b","nodeName":"AI Agent","itemIndex":0,"runIndex":0,"timestamp":1767168909528}}`},
	{"escaped", `{"type":"item","content":"Line one\nline \"two\"\tand \u00e9 \ud83d\ude00","metadata":{"nodeId":"6b49ad3c-1f0e-4b8e-9a51-2d3c4e5f6a7b","nodeName":"AI Agent","itemIndex":0,"runIndex":0,"timestamp":1767168912976}}`},
	{"unicode", `{"type":"item","content":"Привет, как дела? 你好 😀","metadata":{"nodeId":"6b49ad3c-1f0e-4b8e-9a51-2d3c4e5f6a7b","nodeName":"AI Agent","itemIndex":0,"runIndex":0,"timestamp":1767168912976}}`},
	{"object_content", `{"type":"item","content":{"output":"Hello"},"metadata":{"nodeId":"6b49ad3c-1f0e-4b8e-9a51-2d3c4e5f6a7b","nodeName":"Respond to Webhook","itemIndex":0,"runIndex":0,"timestamp":1767168912976}}`},
}

func BenchmarkDecodeChunk(b *testing.B) {
	for _, bl := range benchLines {
		line := []byte(bl.line)
		b.Run(bl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if _, err := decodeChunk(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// sameAsJSON fails unless scanChunk and decodeChunk agree with encoding/json (decodeChunkJSON, the
// pre-scanner decodeChunk) on line: fields, content text and whether it is an error. It reports
// whether the scanner took the line.
func sameAsJSON(t *testing.T, line []byte) (fast bool) {
	t.Helper()
	want, wantErr := decodeChunkJSON(line)
	if c, ok := scanChunk(line); ok {
		if wantErr != nil {
			t.Fatalf("scanner accepted %q, encoding/json says %v", line, wantErr)
		}
		sameChunk(t, "scanChunk", line, c, &want)
		fast = true
	}
	c, err := decodeChunk(line)
	if (err == nil) != (wantErr == nil) || (err != nil && !errors.Is(err, errInvalidJSON)) {
		t.Fatalf("decodeChunk(%q) error = %v, encoding/json: %v", line, err, wantErr)
	}
	if err == nil {
		sameChunk(t, "decodeChunk", line, c, &want)
	}
	return fast
}

func sameChunk(t *testing.T, who string, line []byte, c wireChunk, want *jsonChunk) {
	t.Helper()
	if c.Type != want.Type || c.Text != contentText(want.Content) ||
		string(c.NodeID) != want.Metadata.NodeID || !bytes.Equal(c.RunIndex, want.Metadata.RunIndex) {
		t.Fatalf("%s(%q) = type %q text %q node %q run %q; encoding/json: type %q text %q node %q run %q", who, line,
			c.Type, c.Text, c.NodeID, c.RunIndex,
			want.Type, contentText(want.Content), want.Metadata.NodeID, want.Metadata.RunIndex)
	}
}

// chunkSeeds cover what n8n sends and what the scanner must hand to encoding/json.
var chunkSeeds = []string{
	// n8n's own lines
	`{"type":"begin","metadata":{"nodeId":"6b49","nodeName":"AI Agent","itemIndex":0,"runIndex":0,"timestamp":1767168909528}}`,
	`{"type":"item","content":"Hello","metadata":{"nodeId":"abc","nodeName":"AI Agent","itemIndex":0,"runIndex":0,"timestamp":1730000000000}}`,
	`{"type":"end","metadata":{"nodeId":"6b49","nodeName":"AI Agent","itemIndex":0,"runIndex":1,"timestamp":1767168913400}}`,
	`{"type":"error","content":"boom","metadata":{"nodeId":"a","nodeName":"AI Agent","runIndex":0,"itemIndex":0}}`,
	`{"type":"keepalive"}`,
	`{"type":"item","content":"{\"output\":\"Hi\"}","metadata":{"nodeId":"r","nodeName":"Respond to Webhook","itemIndex":0,"runIndex":0,"timestamp":1}}`,
	" \t{ \"type\" : \"item\" ,\r\n \"content\" : \"x\" } \n",
	`{}`,
	`{"output":"Hello"}`,
	// escapes and Unicode
	`{"type":"item","content":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u4e2d\ud83d\ude00"}`,
	`{"type":"item","content":"lone \ud800 low \udc00 pair-ish \ud800\u0041 \ud800\\u0041 end \ud800"}`,
	`{"type":"item","content":"Привет 你好 😀 \u2028"}`,
	"{\"type\":\"item\",\"content\":\"bad \xff\xfe utf8 \xed\xa0\x80 \xc3\"}",
	"{\"type\":\"item\",\"content\":\"bad \xff\\n escaped\",\"metadata\":{\"nodeId\":\"n\xff\"}}",
	`{"type":"it\u0065m","content":"x","metadata":{"nodeId":"a\u00e9\n","runIndex":"0"}}`,
	`{"type":"item","content":"` + strings.Repeat(`\u00e9x\n`, 200) + `"}`,
	// keys the scanner leaves to encoding/json
	`{"TYPE":"item","Content":"x","METADATA":{"NODEID":"a","RunIndex":2}}`,
	`{"\u0074ype":"item","content":"x"}`,
	`{"type":"item","content":"x","metadata":{"nodeİd":"a","runındex":1}}`,
	`{"données":1,"type":"item","content":"x"}`,
	// duplicate keys
	`{"type":"item","type":"end","content":"x"}`,
	`{"type":"item","content":"x","content":"y"}`,
	`{"type":"item","metadata":{"nodeId":"a"},"metadata":{"runIndex":3}}`,
	`{"type":"item","metadata":{"nodeId":"a","nodeId":"b","runIndex":1,"runIndex":[2]}}`,
	`{"nodeName":1,"nodeName":2,"type":"item","content":"x"}`,
	// non-string content and odd field types
	`{"type":"item","content":{"output":"Hello","n":[1,2.5e3,-0,true,false,null]}}`,
	`{"type":"item","content":["a",{"b":"c"}]}`,
	`{"type":"item","content":42}`,
	`{"type":"item","content":1.0000000000000002e-300}`,
	`{"type":"item","content":null}`,
	`{"type":"item","content":true}`,
	`{"type":null,"content":"x"}`,
	`{"type":7,"content":"x"}`,
	`{"type":"item","content":"x","metadata":null}`,
	`{"type":"item","content":"x","metadata":"m"}`,
	`{"type":"item","content":"x","metadata":[1]}`,
	`{"type":"item","content":"x","metadata":{"nodeId":5,"runIndex":0}}`,
	`{"type":"item","content":"x","metadata":{"nodeId":null,"runIndex":null}}`,
	`{"type":"item","content":"x","metadata":{"runIndex":{ "a" : [ 1 , {} , [] ] }}}`,
	`{"type":"item","content":"x","metadata":{"runIndex":"1\"2"}}`,
	`{"type":"item","content":"x","metadata":{"runIndex":-1.5E-7}}`,
	// nested metadata and deep nesting in skipped values
	`{"type":"item","metadata":{"nodeId":"a","extra":{"deep":{"deeper":[{"x":"y\"}"}]}},"runIndex":0},"content":"late"}`,
	`{"type":"item","content":"x","skip":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}`,
	`{"type":"item","content":"x","skip":` + strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70) + `}`,
	`{"type":"item","content":"x","skip":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	// not objects, invalid JSON, trailing garbage
	``, ` `, `null`, `[]`, `"item"`, `42`, `true`,
	`{`, `{"type"`, `{"type":`, `{"type":"item"`, `{"type":"item",}`, `{"type":"item"}}`, `{"type":"item"} x`,
	`{"type":"item"}{"type":"end"}`, `{"type":'item'}`, `{type:"item"}`, `{"type":"item","content":"x\q"}`,
	`{"type":"item","content":"\u12"}`, "{\"type\":\"item\",\"content\":\"tab\there\"}", `{"a":01}`, `{"a":1.}`,
	`{"a":1e}`, `{"a":-}`, `{"a":tru}`, `{"a":truex}`, `{"a":nul}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":{"b"}}`,
	`{"a":{"b":1,}}`, `{"a":[}`, `{"a":{]}`, "{\"type\":\"item\"}\x00", "\xef\xbb\xbf{\"type\":\"item\"}",
	"{\"type\":\"item\"}\v", `{"type":"item","content":"x",,"a":1}`, `{"type":"item" "content":"x"}`,
	`{"a":"\'"}`, `{"a":+1}`, `{"a":.5}`, `{"a":1e+}`, `{"a":0x10}`, `{"a":NaN}`, `{"a":Infinity}`,
}

func FuzzDecodeChunk(f *testing.F) {
	for _, s := range chunkSeeds {
		f.Add([]byte(s))
	}
	for _, bl := range benchLines {
		f.Add([]byte(bl.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		orig := bytes.Clone(line)
		sameAsJSON(t, line)
		if !bytes.Equal(line, orig) {
			t.Fatal("decoding modified the line")
		}
	})
}

func TestDecodeChunkSeedsMatchJSON(t *testing.T) {
	t.Parallel()
	for _, s := range chunkSeeds {
		sameAsJSON(t, []byte(s))
	}
}

// TestDecodeChunkCombinationsMatchJSON complements the fuzzer, which rarely builds well-formed
// objects by mutation: it assembles many from the keys and values the scanner treats specially
// (duplicates, folded and escaped keys, every value type at every field), with a stray byte edit
// now and then, and checks each against encoding/json.
func TestDecodeChunkCombinationsMatchJSON(t *testing.T) {
	t.Parallel()
	keys := []string{`"type"`, `"content"`, `"metadata"`, `"nodeId"`, `"runIndex"`, `"Type"`, `"nodeid"`,
		`"nodeName"`, `""`, `"\u0074ype"`, `"métadata"`, `"x\"y"`}
	values := []string{`"item"`, `"end"`, `"keepalive"`, `"a\nb"`, `"\ud800"`, `"\ud83d\ude00"`, "\"\xff\"", `"é"`,
		`null`, `true`, `false`, `0`, `-1.5e3`, `{}`, `[]`, `[1,{"a":[null]}]`, `{"nodeId":"n","runIndex":1}`,
		`{"runIndex":{"x":[]},"nodeId":"\u00e9","nodeName":"A"}`, `{"nodeId":5}`, `{"nodeId":"a","nodeId":"b"}`,
		`{"NodeId":"a"}`, `{"runIndex":"1"}`}
	spaces := []string{"", "", " ", "\t", "\r\n"}
	const edits = "{}[],:\"\\ 0an"
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	fast := 0
	const n = 20000
	for range n {
		var b strings.Builder
		b.WriteString(pick(spaces) + "{")
		for m := range r.IntN(5) {
			if m > 0 {
				b.WriteString(",")
			}
			b.WriteString(pick(spaces) + pick(keys) + pick(spaces) + ":" + pick(spaces) + pick(values) + pick(spaces))
		}
		b.WriteString("}" + pick(spaces))
		line := []byte(b.String())
		if r.IntN(8) == 0 { // a stray edit: usually invalid JSON, sometimes a different valid line
			line[r.IntN(len(line))] = edits[r.IntN(len(edits))]
		}
		if sameAsJSON(t, line) {
			fast++
		}
	}
	if fast < n/10 {
		t.Errorf("the scanner took only %d of %d lines: the test no longer exercises it", fast, n)
	}
}

// TestScanChunk pins what the scanner decodes itself (the fast path must not silently stop being
// taken) and what it leaves to encoding/json, with the expected result either way.
func TestScanChunk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, line           string
		fast                 bool
		typ, text, node, run string
		wantErr              bool
	}{
		{"n8n item", benchLines[0].line, true, "item", "Hello", "6b49ad3c-1f0e-4b8e-9a51-2d3c4e5f6a7b", "0", false},
		{"n8n begin", benchLines[1].line, true, "begin", "", "6b49ad3c-1f0e-4b8e-9a51-2d3c4e5f6a7b", "0", false},
		{"escapes", benchLines[2].line, true, "item", "Line one\nline \"two\"\tand é 😀", "6b49ad3c-1f0e-4b8e-9a51-2d3c4e5f6a7b", "0", false},
		{"unicode", benchLines[3].line, true, "item", "Привет, как дела? 你好 😀", "6b49ad3c-1f0e-4b8e-9a51-2d3c4e5f6a7b", "0", false},
		{"keepalive", `{"type":"keepalive"}`, true, "keepalive", "", "", "", false},
		{"lone surrogates", `{"type":"item","content":"\ud800x\udc00\ud83d\ude00"}`, true, "item", "\uFFFDx\uFFFD😀", "", "", false},
		{"invalid UTF-8", "{\"type\":\"item\",\"content\":\"a\xffb\"}", true, "item", "a\uFFFDb", "", "", false},
		{"escaped node id", `{"metadata":{"nodeId":"a\"b","runIndex":[1, 2]}}`, true, "", "", `a"b`, "[1, 2]", false},
		{"null content", `{"type":"item","content":null}`, true, "item", "", "", "", false},
		{"whitespace", " {\t\"type\" :\r\n\"end\" } ", true, "end", "", "", "", false},
		{"unknown type", `{"type":"later","content":"x"}`, true, "later", "x", "", "", false},
		{"document", `{"output":"Hello","extra":[{"a":null},true,-1.5e3]}`, true, "", "", "", "", false},
		{"object content", benchLines[4].line, false, "item", `{"output":"Hello"}`, "6b49ad3c-1f0e-4b8e-9a51-2d3c4e5f6a7b", "0", false},
		{"number content", `{"type":"item","content":1e2}`, false, "item", "100", "", "", false},
		{"duplicate type", `{"type":"item","type":"end"}`, false, "end", "", "", "", false},
		{"duplicate metadata merges", `{"metadata":{"nodeId":"a"},"metadata":{"runIndex":3}}`, false, "", "", "a", "3", false},
		{"folded key", `{"Type":"item","CONTENT":"x"}`, false, "item", "x", "", "", false},
		{"escaped key", `{"typ\u0065":"item"}`, false, "item", "", "", "", false},
		{"non-string node id", `{"type":"item","metadata":{"nodeId":1,"runIndex":0}}`, false, "item", "", "", "0", false},
		{"too deep to scan", `{"a":` + strings.Repeat("[", 65) + strings.Repeat("]", 65) + `}`, false, "", "", "", "", false},
		{"null line", `null`, false, "", "", "", "", false},
		{"array line", `[{"type":"item"}]`, false, "", "", "", "", true},
		{"trailing garbage", `{"type":"item"}x`, false, "", "", "", "", true},
		{"two objects", `{"type":"item"}{}`, false, "", "", "", "", true},
		{"truncated", `{"type":"item","content":"Hel`, false, "", "", "", "", true},
		{"bad escape", `{"type":"item","content":"\x41"}`, false, "", "", "", "", true},
		{"control byte", "{\"content\":\"a\nb\"}", false, "", "", "", "", true},
		{"leading zero", `{"a":00}`, false, "", "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if fast := sameAsJSON(t, []byte(tt.line)); fast != tt.fast {
				t.Errorf("scanner took the line = %v, want %v", fast, tt.fast)
			}
			c, err := decodeChunk([]byte(tt.line))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if c.Type != tt.typ || c.Text != tt.text || string(c.NodeID) != tt.node || string(c.RunIndex) != tt.run {
				t.Errorf("got type %q text %q node %q run %q, want %q %q %q %q",
					c.Type, c.Text, c.NodeID, c.RunIndex, tt.typ, tt.text, tt.node, tt.run)
			}
		})
	}
}

// TestScanChunkAllocs holds the point of the scanner: a typical item costs one allocation (its
// text), begin/end none.
func TestScanChunkAllocs(t *testing.T) {
	for _, tc := range []struct {
		line string
		max  float64
	}{{benchLines[0].line, 1}, {benchLines[1].line, 0}, {benchLines[2].line, 1}, {benchLines[3].line, 1}} {
		line := []byte(tc.line)
		if n := testing.AllocsPerRun(100, func() { _, _ = decodeChunk(line) }); n > tc.max {
			t.Errorf("%.40s…: %v allocations, want ≤ %v", tc.line, n, tc.max)
		}
	}
}
