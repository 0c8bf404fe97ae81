// Package stream carries replies from the upstream call to the browser.
//
// A reply buffer keeps every event of a reply under its id (so a dropped client can resume from
// an offset, on this or another replica), and the Server-Sent Events writer relays a
// subscription to one client.
package stream

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Event types on the wire.
const (
	TypeBegin     = "begin"
	TypeItem      = "item"
	TypeEnd       = "end"
	TypeError     = "error"
	TypeReset     = "reset"     // the position asked for is gone: reload history
	TypeReconnect = "reconnect" // the server is going away: reconnect after retry_ms
)

// Event is one event of a reply. Offsets start at 1 and increase by one within a reply.
type Event struct {
	Offset        uint64 `json:"-"`
	Type          string `json:"type"`
	Content       string `json:"content,omitempty"`
	MessageID     string `json:"message_id,omitempty"`
	UserMessageID string `json:"user_message_id,omitempty"`
	Code          string `json:"code,omitempty"`
	Status        string `json:"status,omitempty"`
	RetryMS       int    `json:"retry_ms,omitempty"`
}

// Data is the event as one line of JSON, byte for byte what encoding/json makes of it
// (FuzzEventData checks that), written by hand because it runs for every token of every reply:
// encoding/json's reflection cost ≈ 1 µs and several allocations per event. Like encoding/json
// it escapes control characters, U+2028 and U+2029, so no upstream text can end a data line
// or start another SSE field.
func (e Event) Data() []byte { return e.appendData(make([]byte, 0, e.size())) }

func (e Event) appendData(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, e.Type)
	for _, f := range [...]struct{ name, value string }{
		{`,"content":`, e.Content}, {`,"message_id":`, e.MessageID},
		{`,"user_message_id":`, e.UserMessageID}, {`,"code":`, e.Code}, {`,"status":`, e.Status},
	} {
		if f.value != "" {
			b = append(b, f.name...)
			b = appendJSONString(b, f.value)
		}
	}
	if e.RetryMS != 0 {
		b = append(b, `,"retry_ms":`...)
		b = strconv.AppendInt(b, int64(e.RetryMS), 10)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string the way encoding/json does (HTML-safe: <, > and &
// as \u escapes; invalid UTF-8 as U+FFFD; U+2028 and U+2029 escaped).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		esc, size := "", 1
		if c := s[i]; c < utf8.RuneSelf {
			esc = asciiEscapes[c]
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				esc = `\ufffd`
			case r == '\u2028':
				esc = `\u2028`
			case r == '\u2029':
				esc = `\u2029`
			}
		}
		if esc != "" {
			b = append(b, s[start:i]...)
			b = append(b, esc...)
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// asciiEscapes is encoding/json's escape of each ASCII byte ("" for bytes copied as they are).
var asciiEscapes = func() (t [utf8.RuneSelf]string) {
	const hex = "0123456789abcdef"
	for c := range 0x20 {
		t[c] = `\u00` + string(hex[c>>4]) + string(hex[c&0xF])
	}
	for c, e := range map[byte]string{'"': `\"`, '\\': `\\`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`,
		'<': `\u003c`, '>': `\u003e`, '&': `\u0026`} {
		t[c] = e
	}
	return t
}()

// size approximates the event's frame length, for buffer bounds, without rendering it.
func (e Event) size() int {
	return 64 + len(e.Type) + len(e.Content) + len(e.MessageID) + len(e.UserMessageID) + len(e.Code) + len(e.Status)
}

// Frame renders the event as a complete SSE frame with its id (one allocation).
func (e Event) Frame(epoch string) []byte {
	b := appendFrameStart(make([]byte, 0, e.size()+len(epoch)+32), epoch, e.Offset)
	return append(e.appendData(b), '\n', '\n')
}

// RenderFrame builds the SSE frame of an event at offset whose Data() is data. Buffers that keep
// the JSON (not the Event) use it to avoid encoding the event again. Offset 0 means no id line.
func RenderFrame(epoch string, offset uint64, data []byte) []byte {
	b := appendFrameStart(make([]byte, 0, len(data)+len(epoch)+32), epoch, offset)
	return append(append(b, data...), '\n', '\n')
}

// appendFrameStart appends the id line (none for offset 0) and the start of the data line.
func appendFrameStart(b []byte, epoch string, offset uint64) []byte {
	if offset > 0 {
		b = append(b, "id: "...)
		b = append(b, epoch...)
		b = append(b, '-')
		b = strconv.AppendUint(b, offset, 10)
		b = append(b, '\n')
	}
	return append(b, "data: "...)
}

// Position is where a client stands in a reply: the last event id it saw.
type Position struct {
	Epoch  string
	Offset uint64
}

// ParsePosition reads a Last-Event-ID value "<epoch>-<offset>".
func ParsePosition(id string) (Position, bool) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 || i == len(id)-1 || len(id) > 128 {
		return Position{}, false
	}
	off, err := strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil {
		return Position{}, false
	}
	return Position{Epoch: id[:i], Offset: off}, true
}
