// Package stream carries replies from the upstream call to the browser: a reply buffer that keeps
// every event of a reply under its id (so a dropped client can resume from an offset, on this or
// another replica) and the Server-Sent Events writer that relays a subscription to one client.
package stream

import (
	"encoding/json"
	"strconv"
	"strings"
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

// Data is the event as one line of JSON. encoding/json escapes control characters, U+2028 and
// U+2029, so no upstream text can end a data line or start another SSE field.
func (e Event) Data() []byte {
	b, err := json.Marshal(e)
	if err != nil { // only strings and ints: cannot fail
		panic(err)
	}
	return b
}

// size approximates the event's frame length, for buffer bounds, without rendering it.
func (e Event) size() int {
	return 64 + len(e.Type) + len(e.Content) + len(e.MessageID) + len(e.UserMessageID) + len(e.Code) + len(e.Status)
}

// Frame renders the event as a complete SSE frame with its id.
func (e Event) Frame(epoch string) []byte { return RenderFrame(epoch, e.Offset, e.Data()) }

// RenderFrame builds the SSE frame of an event at offset whose Data() is data. Buffers that keep
// the JSON (not the Event) use it to avoid encoding the event again. Offset 0 means no id line.
func RenderFrame(epoch string, offset uint64, data []byte) []byte {
	buf := make([]byte, 0, len(data)+len(epoch)+32)
	if offset > 0 {
		buf = append(buf, "id: "...)
		buf = append(buf, epoch...)
		buf = append(buf, '-')
		buf = strconv.AppendUint(buf, offset, 10)
		buf = append(buf, '\n')
	}
	buf = append(buf, "data: "...)
	buf = append(buf, data...)
	buf = append(buf, '\n', '\n')
	return buf
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
