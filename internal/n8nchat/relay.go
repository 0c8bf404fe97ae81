package n8nchat

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/chat"
	"github.com/chatproxy/chatproxy/internal/stream"
)

// LineWriter writes one NDJSON line to the client and flushes it.
type LineWriter interface {
	WriteLine(line []byte) error
}

// StreamOptions tune Stream.
type StreamOptions struct {
	// NodeID is the metadata.nodeId of every chunk: the widget puts the chunks of one
	// (nodeId, runIndex) in one bubble, so it must be stable within a reply.
	NodeID    string
	Heartbeat time.Duration // a keepalive line after this long without one (n8n: 30 s)
	Stop      context.Context
}

// Friendly texts of this package's own failures.
const (
	// lostText: the reply's events are gone (the buffer failed); the answer is still stored.
	lostText = "The answer could not be shown. Reload the page to see it."
	// stopText: the server is going away; the reply goes on and is stored.
	stopText = "The connection was closed because the server restarted. Reload the page to see the answer."
)

// Stream relays a reply as n8n's NDJSON stream: begin, an item per text chunk, end; a failure
// is one error chunk with the friendly text (the widget shows "Error: <text>"). Keepalive
// lines keep proxies from cutting a slow answer; the widget ignores them.
func Stream(ctx context.Context, sub stream.Subscription, w LineWriter, o StreamOptions) error {
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	stopCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Stop != nil {
		defer context.AfterFunc(o.Stop, cancel)()
	}
	failed := false
	for {
		beat, beatCancel := context.WithTimeout(stopCtx, o.Heartbeat)
		e, _, done, err := sub.Next(beat)
		beatCancel()
		switch {
		case done:
			return nil
		case err != nil && stopCtx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
			err = w.WriteLine(line(typeKeepalive, "", nil))
		case err != nil && stopCtx.Err() != nil && ctx.Err() == nil:
			return w.WriteLine(errorLine(o.NodeID, stopText))
		case err != nil:
			return err
		default:
			var l []byte
			l, failed = eventLine(e, o.NodeID, failed)
			if l != nil {
				err = w.WriteLine(l)
			}
		}
		if err != nil {
			return err
		}
	}
}

// eventLine renders a buffered event; nothing follows an error chunk but the end of the body.
func eventLine(e stream.Event, nodeID string, failed bool) ([]byte, bool) {
	if failed {
		return nil, true
	}
	switch e.Type {
	case stream.TypeBegin:
		return line(typeBegin, nodeID, nil), false
	case stream.TypeItem:
		if e.Content == "" {
			return nil, false
		}
		return line(typeItem, nodeID, &e.Content), false
	case stream.TypeEnd:
		return line(typeEnd, nodeID, nil), false
	case stream.TypeError:
		return errorLine(nodeID, e.Content), true
	case stream.TypeReset:
		return errorLine(nodeID, lostText), true
	}
	return nil, false
}

func errorLine(nodeID, text string) []byte { return line(typeError, nodeID, &text) }

// Result is a whole reply read by Collect.
type Result struct {
	Text     string
	Code     string // the error code when the reply failed, else ""
	Friendly string // the friendly text of that error
}

// Collect reads a reply to its end, for a widget that does not stream.
func Collect(ctx context.Context, sub stream.Subscription) (Result, error) {
	var text strings.Builder
	var r Result
	for {
		e, _, done, err := sub.Next(ctx)
		if done {
			r.Text = text.String()
			return r, nil
		}
		if err != nil {
			return Result{}, err
		}
		switch e.Type {
		case stream.TypeItem:
			text.WriteString(e.Content)
		case stream.TypeError:
			r.Code, r.Friendly = e.Code, e.Content
		case stream.TypeReset:
			r.Code, r.Friendly = chat.CodeInterrupted, lostText
		}
	}
}
