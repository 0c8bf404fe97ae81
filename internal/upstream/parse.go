package upstream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strings"
)

// noDataMessage is what n8n answers (status 200) in lastNode mode when the workflow returned nothing.
const noDataMessage = "Workflow executed successfully but no data was returned"

var (
	errNoText      = errors.New("the response carried no text")
	errAgentChunk  = errors.New("n8n streamed an error chunk")
	errUnreadable  = errors.New("the response body is not NDJSON, JSON, SSE or text")
	errHTML        = errors.New("the response body is an HTML page")
	errInvalidJSON = errors.New("the response contains invalid JSON")
)

// contentText returns a chunk's content: normally a string; anything else is kept as its JSON
// text, the way n8n stringifies object content. Content is decoded as `any`, so the common string
// case needs no second decoder pass.
func contentText(content any) string {
	switch v := content.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, err := json.Marshal(content)
	if err != nil {
		return ""
	}
	return string(b)
}

// wireChunk is one decoded line of n8n's streaming response (docs/n8n-protocol.md, chunks). NodeID
// and RunIndex may alias the decoded line, so a chunk must be handled before the next line is read
// (the parser does): copying them would cost two allocations per streamed token.
type wireChunk struct {
	Type     string
	Text     string // the content, as contentText gives it
	NodeID   []byte // metadata.nodeId
	RunIndex []byte // metadata.runIndex as raw JSON: compared as bytes, no parsing, any JSON type
}

// jsonChunk is a chunk line as encoding/json decodes it.
type jsonChunk struct {
	Type     string `json:"type"`
	Content  any    `json:"content"`
	Metadata struct {
		NodeID   string          `json:"nodeId"`
		RunIndex json.RawMessage `json:"runIndex"` // compared as raw bytes: no parsing, any JSON type
	} `json:"metadata"`
}

// wire converts to the parser's form (owned copies, no aliasing).
func (j *jsonChunk) wire() wireChunk {
	c := wireChunk{Type: j.Type, Text: contentText(j.Content), RunIndex: j.Metadata.RunIndex}
	if j.Metadata.NodeID != "" {
		c.NodeID = []byte(j.Metadata.NodeID)
	}
	return c
}

func isStreamType(t string) bool {
	switch t {
	case "begin", "item", "end", "error", "keepalive":
		return true
	}
	return false
}

// decodeChunk decodes one JSON line. A field of an unexpected type is tolerated (the rest is still
// decoded); anything that is not a JSON object is an error. The scanner decodes n8n's usual lines;
// encoding/json decides everything else.
func decodeChunk(line []byte) (wireChunk, error) {
	if c, ok := scanChunk(line); ok {
		return c, nil
	}
	j, err := decodeChunkJSON(line)
	return j.wire(), err
}

// decodeChunkJSON is decodeChunk with encoding/json alone: the reference the scanner must match.
func decodeChunkJSON(line []byte) (jsonChunk, error) {
	var c jsonChunk
	err := json.Unmarshal(line, &c)
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		return c, errInvalidJSON
	}
	if err != nil && typeErr.Field == "" { // the line itself is not an object
		return c, errInvalidJSON
	}
	return c, nil
}

// parser turns one response body into Chunks. It remembers whether text was emitted (for Partial)
// and which node run the last text came from (for ChunkRunStart).
type parser struct {
	emit     func(Chunk)
	maxLine  int
	textSeen bool
	runNode  string
	runIndex string
}

// parseBody reads one 2xx response body and emits its chunks. It returns nil on success, an *Error
// for protocol failures, or a read error (timeout, reset, size cap) for the caller to classify.
func parseBody(br *bufio.Reader, contentType string, maxLine int, emit func(Chunk)) (textSeen bool, err error) {
	p := &parser{emit: emit, maxLine: maxLine}
	err = p.run(br, mediaType(contentType))
	return p.textSeen, err
}

func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(contentType))
	}
	return mt
}

func (p *parser) run(br *bufio.Reader, mt string) error {
	if mt == "text/html" || mt == "application/xhtml+xml" {
		return p.fail(CodeBadResponse, errHTML)
	}
	if err := skipLeadingSpace(br); err != nil {
		if errors.Is(err, io.EOF) {
			return p.finish()
		}
		return err
	}
	head := peekUpTo(br, 9)
	switch {
	case mt == "text/event-stream" ||
		(mt != "text/plain" && (hasPrefixFold(head, "data:") || hasPrefixFold(head, "event:"))):
		return p.sse(&lineReader{br: br, max: p.maxLine})
	case looksHTML(head):
		return p.fail(CodeBadResponse, errHTML)
	case head[0] == '{':
		return p.objectStart(&lineReader{br: br, max: p.maxLine})
	case head[0] == '[' || head[0] == '"':
		return p.document(br, nil)
	case mt == "" || strings.HasPrefix(mt, "text/"):
		return p.plain(br)
	}
	return p.fail(CodeBadResponse, errUnreadable)
}

// objectStart tells a stream from a single JSON document by content, because n8n streams with
// Content-Type application/json: a first line that is a chunk with a known type means NDJSON.
func (p *parser) objectStart(lr *lineReader) error {
	first, err := lr.next()
	if err != nil && !errors.Is(err, io.EOF) {
		return p.readErr(err)
	}
	if c, derr := decodeChunk(first); derr == nil && isStreamType(c.Type) {
		return p.ndjson(lr, c)
	}
	doc := append(append([]byte(nil), first...), '\n')
	return p.document(lr.br, doc)
}

func (p *parser) ndjson(lr *lineReader, first wireChunk) error {
	if stop, err := p.chunk(first); stop {
		return err
	}
	for {
		line, err := lr.next()
		if line = bytes.TrimSpace(line); len(line) > 0 {
			c, derr := decodeChunk(line)
			if derr != nil {
				return p.fail(CodeBadResponse, derr)
			}
			if stop, cerr := p.chunk(c); stop {
				return cerr
			}
		}
		if errors.Is(err, io.EOF) {
			return p.finish()
		}
		if err != nil {
			return p.readErr(err)
		}
	}
}

// chunk handles one stream chunk; stop is true when the response must not be read further.
func (p *parser) chunk(c wireChunk) (stop bool, err error) {
	switch c.Type {
	case "item":
		if c.Text != "" {
			p.runText(c.NodeID, c.RunIndex, c.Text)
		}
	case "keepalive":
		p.emit(Chunk{Kind: ChunkKeepalive})
	case "error":
		return true, p.fail(CodeAgentError, errAgentChunk)
	}
	return false, nil
}

// runText emits text, preceded by ChunkRunStart when it belongs to another node run than the
// text before it (n8n can stream several begin…end runs in one response).
func (p *parser) runText(node, runIndex []byte, text string) {
	if string(node) != p.runNode || string(runIndex) != p.runIndex {
		if p.textSeen {
			p.emit(Chunk{Kind: ChunkRunStart})
		}
		p.runNode, p.runIndex = string(node), string(runIndex) // copies: both may alias the line
	}
	p.text(text)
}

func (p *parser) text(s string) {
	if s == "" {
		return
	}
	p.textSeen = true
	p.emit(Chunk{Kind: ChunkText, Text: validString(s)})
}

// document reads the rest of a single JSON body (after prefix) and emits its text.
func (p *parser) document(br *bufio.Reader, prefix []byte) error {
	rest, err := io.ReadAll(br)
	if err != nil {
		return p.readErr(err)
	}
	text, derr := textFromDocument(append(prefix, rest...))
	if derr != nil {
		return p.fail(CodeBadResponse, derr)
	}
	p.text(text)
	return p.finish()
}

// plain streams a text body as it arrives, never cutting inside a UTF-8 character.
func (p *parser) plain(br *bufio.Reader) error {
	buf := make([]byte, 8192)
	pending := 0
	for {
		n, err := br.Read(buf[pending:])
		data := buf[:pending+n]
		keep := 0
		if !errors.Is(err, io.EOF) { // at EOF an unfinished character becomes U+FFFD
			keep = incompleteTail(data)
		}
		p.text(validText(data[:len(data)-keep]))
		pending = copy(buf, data[len(data)-keep:])
		if errors.Is(err, io.EOF) {
			return p.finish()
		}
		if err != nil {
			return p.readErr(err)
		}
	}
}

func (p *parser) finish() error {
	if !p.textSeen {
		return p.fail(CodeEmpty, errNoText)
	}
	return nil
}

// fail builds a protocol error; the request was sent, since a response is being read.
func (p *parser) fail(code string, cause error) *Error {
	e := NewError(code, true, cause)
	e.Partial = p.textSeen
	return e
}

// readErr passes I/O errors through for the caller, except the size caps, which are protocol errors.
func (p *parser) readErr(err error) error {
	if errors.Is(err, errTooLarge) || errors.Is(err, errLineTooLong) {
		return p.fail(CodeBadResponse, err)
	}
	return err
}

// docObject holds the fields @n8n/chat reads from a non-streamed answer, in its order of preference.
type docObject struct {
	Output  json.RawMessage `json:"output"`
	Text    json.RawMessage `json:"text"`
	Message json.RawMessage `json:"message"`
}

// textFromDocument extracts the answer from a single JSON body: an object's output ?? text ??
// message (message may be {type:"text",text}), every element of an array, or a bare string.
func textFromDocument(doc []byte) (string, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 {
		return "", nil
	}
	switch doc[0] {
	case '{':
		return textFromObject(doc)
	case '[':
		return textFromArray(doc)
	case '"':
		var s string
		if err := json.Unmarshal(doc, &s); err != nil {
			return "", errInvalidJSON
		}
		return s, nil
	}
	return "", errUnreadable
}

func textFromObject(doc []byte) (string, error) {
	var o docObject
	if err := json.Unmarshal(doc, &o); err != nil {
		return "", errInvalidJSON
	}
	for _, f := range [...]json.RawMessage{o.Output, o.Text} {
		if s := jsonString(f); s != "" {
			return s, nil
		}
	}
	if s := jsonString(o.Message); s != "" {
		if s == noDataMessage {
			return "", nil
		}
		return s, nil
	}
	var m struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if len(o.Message) > 0 && o.Message[0] == '{' && json.Unmarshal(o.Message, &m) == nil && m.Type == "text" {
		return m.Text, nil
	}
	return "", nil
}

func textFromArray(doc []byte) (string, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(doc, &elems); err != nil {
		return "", errInvalidJSON
	}
	var parts []string
	for _, e := range elems {
		if s, err := textFromDocument(e); err == nil && s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n\n"), nil
}

// jsonString returns raw as a string when it is a JSON string, "" otherwise.
func jsonString(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}
