package n8nchat

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// LCMessage is one message as n8n's Chat Trigger answers loadPreviousSession: LangChain's
// toJSON() of a HumanMessage or AIMessage. The widget reads only id and kwargs.content; the
// rest is there so that the answer is byte for byte what a Chat Trigger with memory sends.
type LCMessage struct {
	LC     int      `json:"lc"`
	Type   string   `json:"type"`
	ID     []string `json:"id"`
	Kwargs LCKwargs `json:"kwargs"`
}

// LCKwargs are a LangChain message's constructor arguments.
type LCKwargs struct {
	Content          string   `json:"content"`
	AdditionalKwargs struct{} `json:"additional_kwargs"`
	ResponseMetadata struct{} `json:"response_metadata"`
}

// historyOf converts stored messages, leaving out answers that failed before any text (n8n's
// memory holds no such turn, and the widget would show "<Empty response>").
func historyOf(msgs []store.Message) []LCMessage {
	out := make([]LCMessage, 0, len(msgs))
	for _, m := range msgs {
		if m.Content == "" {
			continue
		}
		kind := "AIMessage"
		if m.Role == store.RoleUser {
			kind = "HumanMessage"
		}
		out = append(out, LCMessage{LC: 1, Type: "constructor", ID: []string{"langchain_core", "messages", kind},
			Kwargs: LCKwargs{Content: m.Content}})
	}
	return out
}

// chunk is one line of n8n's streaming response, keys in n8n's order (docs/n8n-protocol.md).
type chunk struct {
	Type     string     `json:"type"`
	Content  *string    `json:"content,omitempty"`
	Metadata *chunkMeta `json:"metadata,omitempty"`
}

type chunkMeta struct {
	NodeID    string `json:"nodeId"`
	NodeName  string `json:"nodeName"`
	ItemIndex int    `json:"itemIndex"`
	RunIndex  int    `json:"runIndex"`
	Timestamp int64  `json:"timestamp,omitempty"` // n8n's error chunks have none
}

// NodeName is the node name chatproxy's chunks carry.
const NodeName = "chatproxy"

// line renders one chunk and its newline. content is left out when nil (begin, end); error
// chunks carry no timestamp, like n8n's.
func line(typ, nodeID string, content *string) []byte {
	c := chunk{Type: typ, Content: content}
	if typ != typeKeepalive {
		c.Metadata = &chunkMeta{NodeID: nodeID, NodeName: NodeName}
		if typ != typeError {
			c.Metadata.Timestamp = time.Now().UnixMilli()
		}
	}
	return encode(c)
}

// encode is JSON as JavaScript's JSON.stringify writes it (no HTML escaping), plus "\n".
func encode(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the values here always encode
	return b.Bytes()
}

const (
	typeBegin     = "begin"
	typeItem      = "item"
	typeEnd       = "end"
	typeError     = "error"
	typeKeepalive = "keepalive"
)

// Previous is the loadPreviousSession answer.
func Previous(msgs []LCMessage) []byte {
	if msgs == nil {
		msgs = []LCMessage{}
	}
	return encode(struct {
		Data []LCMessage `json:"data"`
	}{msgs})
}

// Output is the answer of a widget that does not stream: {"output": text}, the shape of an
// AI Agent's last node. A failed reply adds its error, and its friendly text is what the
// widget shows (after the text that came before it, if any).
func Output(r Result) []byte {
	type errBody struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	body := struct {
		Output string   `json:"output"`
		Error  *errBody `json:"error,omitempty"`
	}{Output: r.Text}
	if r.Code != "" {
		body.Error = &errBody{Code: r.Code, Message: r.Friendly}
		if body.Output != "" {
			body.Output += "\n\n"
		}
		body.Output += r.Friendly
	}
	return encode(body)
}
