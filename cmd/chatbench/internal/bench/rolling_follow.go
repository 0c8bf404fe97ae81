package bench

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// longSite is the followers' site: the same fake n8n, answers three times as long (see follow).
const longSite = "shop-long"

// followOutcome is how one read of a reply stream ended.
type followOutcome int

const (
	followDone      followOutcome = iota // data: [DONE]
	followReconnect                      // a reconnect event: the server is going away
	followDetached                       // the reader let go after the first item
)

// followState is a reply read over several connections.
type followState struct {
	replyID, lastID string
	text            []byte
	status          string
}

// follow is a visitor whose reply runs on replica B but who reads it from replica A, as after a
// dropped connection that the load balancer sent to A. It starts the reply on B, lets go after
// the first item, resumes on A with Last-Event-ID and stays there while A drains. A's drain
// deadline comes before this longer answer ends, so A sends `reconnect`; the visitor resumes on
// B with its last event id and reads to the end. The answer must come out whole, every item once.
func (r *rolling) follow(ctx context.Context, v *visitor) error {
	token, err := v.createSession(ctx)
	if err != nil {
		r.failed.Add(1)
		return err
	}
	v.token, v.seq = token, 1
	r.addSession(v.sessionID, 2)
	st := &followState{}
	resp, err := v.post(ctx, r.b.url+"/api/v1/chat/message", v.token, []byte(`{"message":"follow `+v.name+`"}`))
	outcome, err := v.readFollow(resp, err, st, true)
	if err != nil || outcome != followDetached {
		r.attached.Add(1) // the stop must not wait for it
		return orErr(err, "the reply did not start on B")
	}
	resp, err = v.resume(ctx, r.a.url, st)
	r.attached.Add(1)
	if outcome, err = v.readFollow(resp, err, st, false); err != nil || outcome != followReconnect {
		return orErr(err, "A ended the followed stream without reconnect")
	}
	r.reconnected.Add(1)
	resp, err = v.resume(ctx, r.b.url, st)
	if outcome, err = v.readFollow(resp, err, st, false); err != nil || outcome != followDone {
		return orErr(err, "no [DONE] after resuming on B")
	}
	if st.status != "complete" || !bytes.Equal(st.text, v.want) {
		return fmt.Errorf("followed answer %s, %d bytes, want complete and %d bytes", st.status, len(st.text), len(v.want))
	}
	return nil
}

func orErr(err error, otherwise string) error {
	if err != nil {
		return err
	}
	return errors.New(otherwise)
}

// resume opens GET /api/v1/chat/stream for st's reply from its last event id.
func (v *visitor) resume(ctx context.Context, base string, st *followState) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/chat/stream?message_id="+url.QueryEscape(st.replyID), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Origin", shopOrigin)
	req.Header.Set("Authorization", "Bearer "+v.token)
	req.Header.Set("Last-Event-ID", st.lastID)
	return v.client.Do(req)
}

// readFollow reads one connection of a followed reply into st. With detach it lets go after
// the first item (closing the connection; the reply goes on without the visitor).
func (v *visitor) readFollow(resp *http.Response, err error, st *followState, detach bool) (followOutcome, error) {
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return 0, readStatusError(resp)
	}
	outcome := followDone
	_, err = v.readEvents(resp.Body, func(id []byte, ev event) (bool, error) {
		if len(id) > 0 {
			st.lastID = string(id)
		}
		switch ev.Type {
		case "begin":
			if st.replyID != "" {
				return true, errors.New("a second begin: the reply was replayed from its start")
			}
			st.replyID = ev.MessageID
		case "item":
			st.text = append(st.text, ev.Content...)
			if detach {
				outcome = followDetached
				return true, nil
			}
		case "end":
			st.status = ev.Status
		case "reconnect":
			outcome = followReconnect
			return true, nil
		case "error", "reset":
			return true, &streamError{code: cmp.Or(ev.Code, ev.Type)}
		}
		return false, nil
	})
	return outcome, err
}

// longAnswers is the webhook URL of longSite: the same stream, three times slower.
func longAnswers(fakeURL string, chunks int, hold time.Duration) string {
	return fakeURL + webhookPath + "?delay=" + (3 * hold / time.Duration(chunks)).String() + "&chunks=" + strconv.Itoa(chunks)
}
