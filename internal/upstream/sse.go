package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// sseObject covers the JSON payloads seen in SSE answers: n8n-style chunks ({type, content}) and
// OpenAI-style deltas (choices[0].delta.content). Anything else falls back to output/text/message.
type sseObject struct {
	jsonChunk
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		Text string `json:"text"`
	} `json:"choices"`
}

// sseEvent accumulates the fields of one event until the blank line that dispatches it.
type sseEvent struct {
	name    string
	data    []byte
	hasData bool
}

func (e *sseEvent) reset() {
	e.name, e.data, e.hasData = "", e.data[:0], false
}

// sse parses a text/event-stream body: data lines are joined, a blank line dispatches, "[DONE]"
// ends the answer, comment lines count as keepalives.
func (p *parser) sse(lr *lineReader) error {
	var ev sseEvent
	for {
		line, err := lr.next()
		if err == nil {
			if stop, derr := p.sseLine(&ev, line); stop {
				return derr
			}
			continue
		}
		if !errors.Is(err, io.EOF) {
			return p.readErr(err)
		}
		if ev.hasData { // an unterminated last event is still delivered: be lenient
			if stop, derr := p.sseDispatch(&ev); stop {
				return derr
			}
		}
		return p.finish()
	}
}

func (p *parser) sseLine(ev *sseEvent, line []byte) (stop bool, err error) {
	if len(line) == 0 {
		if !ev.hasData {
			ev.reset()
			return false, nil
		}
		return p.sseDispatch(ev)
	}
	if line[0] == ':' {
		p.emit(Chunk{Kind: ChunkKeepalive})
		return false, nil
	}
	field, value, _ := bytes.Cut(line, []byte{':'})
	value = bytes.TrimPrefix(value, []byte{' '})
	switch string(field) {
	case "data":
		if ev.hasData {
			ev.data = append(ev.data, '\n')
		}
		ev.data = append(ev.data, value...)
		ev.hasData = true
	case "event":
		ev.name = string(value)
	}
	return false, nil
}

// sseDispatch handles one complete event; stop is true when the answer is over (or failed).
func (p *parser) sseDispatch(ev *sseEvent) (stop bool, err error) {
	defer ev.reset()
	data := bytes.TrimSpace(ev.data)
	switch {
	case ev.name == "error":
		return true, p.fail(CodeAgentError, errAgentChunk)
	case string(data) == "[DONE]":
		return true, p.finish()
	case len(data) > 0 && data[0] == '{':
		return p.sseJSON(data)
	}
	p.text(string(ev.data))
	return false, nil
}

func (p *parser) sseJSON(data []byte) (stop bool, err error) {
	var o sseObject
	if json.Unmarshal(data, &o) != nil {
		p.text(string(data)) // not JSON after all: it is text that starts with "{"
		return false, nil
	}
	switch {
	case isStreamType(o.Type):
		return p.chunk(o.wire())
	case contentText(o.Content) != "":
		p.text(contentText(o.Content))
	case len(o.Choices) > 0:
		p.text(o.Choices[0].Delta.Content)
		p.text(o.Choices[0].Text)
	default:
		if s, derr := textFromObject(data); derr == nil {
			p.text(s)
		}
	}
	return false, nil
}
