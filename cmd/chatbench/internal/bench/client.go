package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// newTransport is a keep-alive client transport that can hold idle connections for every
// visitor it serves, so the load generator never redials.
func newTransport(idlePerHost int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0, // no total cap; the per-host cap below is the one that matters
		MaxIdleConnsPerHost: idlePerHost,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// newClient is a client for c concurrent visitors. It has no timeout of its own: each run's
// context bounds every request.
func newClient(c int) *http.Client {
	return &http.Client{Transport: newTransport(c + 8)}
}

// visitorPool makes the visitors of one run, spread over clients of perClient visitors each so
// no single connection pool (and its lock) holds every connection.
type visitorPool struct {
	clients                []*http.Client
	perClient              int
	perSession             int // exchanges per session (conversation length)
	proxyURL, webhook, run string
	want                   string
}

func newVisitorPool(n, perClient int, proxyURL, webhook, want string) *visitorPool {
	vp := &visitorPool{perClient: perClient, proxyURL: proxyURL, webhook: webhook, want: want, run: randomHex(4)}
	vp.clients = make([]*http.Client, (n+perClient-1)/perClient)
	for i := range vp.clients {
		vp.clients[i] = newClient(perClient)
	}
	return vp
}

// overH2C makes the pool's clients speak HTTP/2 without TLS (prior knowledge) when on: direct
// calls to an h2c fake then share connections, as chatproxy's do with CHATPROXY_UPSTREAM_H2C.
func (vp *visitorPool) overH2C(on bool) *visitorPool {
	if !on {
		return vp
	}
	for _, c := range vp.clients {
		t := c.Transport.(*http.Transport)
		t.Protocols = new(http.Protocols)
		t.Protocols.SetUnencryptedHTTP2(true)
	}
	return vp
}

// conversations makes the pool's visitors send n messages per session (1 when n <= 1).
func (vp *visitorPool) conversations(n int) *visitorPool {
	vp.perSession = n
	return vp
}

func (vp *visitorPool) visitor(i int) *visitor {
	v := newVisitor(vp.clients[i/vp.perClient], vp.proxyURL, vp.webhook, "v"+strconv.Itoa(i)+"-"+vp.run, vp.want)
	v.perSession = max(vp.perSession, 1)
	return v
}

// close drops the idle keep-alive connections, so the next run starts with its file
// descriptors (and the server's) free.
func (vp *visitorPool) close() {
	for _, c := range vp.clients {
		c.CloseIdleConnections()
	}
}

// sample is one successful exchange.
type sample struct {
	sent       time.Time     // when the message went out
	headers    time.Duration // message sent → response headers (chatproxy: auth, limits, message stored)
	firstToken time.Duration // message sent → first item
	total      time.Duration // whole exchange (session when one is made + message + stream, or the direct call)
}

// visitor is one simulated visitor; it is used by one goroutine at a time and reuses its buffers.
type visitor struct {
	client   *http.Client
	proxyURL string // "" for direct visitors
	webhook  string // the fake n8n's webhook URL
	want     []byte // the answer the fake streams
	name     string // unique per visitor, so message texts never repeat
	seq      int
	// token is the current session's bearer token; a new session is made after perSession
	// exchanges (inSession counts them).
	token, sessionID      string
	perSession, inSession int
	idempotent            bool   // messages carry a client_message_id (see message)
	site                  string // the site of its sessions; "" is the benchmark shop
	reader                *bufio.Reader
	text                  []byte
	eventID               []byte // the id line of the event being read (readEvents)
	bodyBuf               []byte
	firstSeen             func() // optional: called when the first item arrives (streams mode)
}

func newVisitor(client *http.Client, proxyURL, webhook, name string, want string) *visitor {
	return &visitor{
		client: client, proxyURL: proxyURL, webhook: webhook, want: []byte(want), name: name, perSession: 1,
		reader: bufio.NewReaderSize(nil, 4<<10), // lines here are far shorter; thousands of visitors hold one
	}
}

// statusError is a non-200 answer; code is the API error code when the body had one.
type statusError struct {
	status int
	code   string
}

func (e *statusError) Error() string { return fmt.Sprintf("status %d %s", e.status, e.code) }

var (
	errNoDone      = errors.New("stream ended without [DONE]")
	errNoItem      = errors.New("no item before the end")
	errMismatch    = errors.New("streamed text differs from what n8n sent")
	errNotComplete = errors.New("end status is not complete")
)

// streamError is an `error` event inside the SSE stream.
type streamError struct{ code string }

func (e *streamError) Error() string { return "stream error " + e.code }

// event holds the fields of an SSE event or n8n chunk that the benchmark checks.
type event struct {
	Type      string `json:"type"`
	MessageID string `json:"message_id"`
	Content   string `json:"content"`
	Status    string `json:"status"`
	Code      string `json:"code"`
}

// exchange is what a visitor does: create a session when its conversation is new (every
// perSession exchanges), send a message, read the reply to [DONE].
func (v *visitor) exchange(ctx context.Context) (sample, error) {
	start := time.Now()
	if v.token == "" || v.inSession >= v.perSession {
		token, err := v.createSession(ctx)
		if err != nil {
			v.token = ""
			return sample{}, err
		}
		v.token, v.inSession = token, 0
	}
	v.inSession++
	v.seq++
	return v.message(ctx, start)
}

// message sends message number v.seq of the conversation and reads its reply to [DONE]; the
// sample's total runs from start. With v.idempotent the message carries a client_message_id
// (the same on a resend), so chatproxy stores it and calls n8n once however often it is sent.
func (v *visitor) message(ctx context.Context, start time.Time) (sample, error) {
	v.bodyBuf = append(append(strconv.AppendInt(append(v.bodyBuf[:0], `{"message":"benchmark question `...), int64(v.seq), 10), ' '), v.name...)
	if v.idempotent {
		v.bodyBuf = append(append(strconv.AppendInt(append(v.bodyBuf, `","client_message_id":"`...), int64(v.seq), 10), '-'), v.name...)
	}
	v.bodyBuf = append(v.bodyBuf, `"}`...)
	sent := time.Now()
	resp, err := v.post(ctx, v.proxyURL+"/api/v1/chat/message", v.token, v.bodyBuf)
	if err != nil {
		return sample{}, err
	}
	headers := time.Since(sent)
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return sample{}, readStatusError(resp)
	}
	first, err := v.readSSE(resp.Body, sent)
	if err != nil {
		return sample{}, err
	}
	return sample{sent: sent, headers: headers, firstToken: first, total: time.Since(start)}, nil
}

func (v *visitor) createSession(ctx context.Context) (string, error) {
	resp, err := v.post(ctx, v.proxyURL+"/api/v1/session/create", "", []byte(`{"site_id":"`+cmp.Or(v.site, siteID)+`"}`))
	if err != nil {
		return "", err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return "", readStatusError(resp)
	}
	var s struct {
		SessionID string `json:"session_id"`
		Token     string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || s.Token == "" {
		return "", fmt.Errorf("session create: no token (%v)", err)
	}
	v.sessionID = s.SessionID
	return s.Token, nil
}

// direct calls the fake n8n itself, as chatproxy would, and reads the NDJSON stream to EOF.
func (v *visitor) direct(ctx context.Context) (sample, error) {
	v.seq++
	v.bodyBuf = append(append(strconv.AppendInt(append(v.bodyBuf[:0], `{"action":"sendMessage","sessionId":"`...), int64(v.seq), 10), v.name...), `","chatInput":"benchmark question"}`...)
	start := time.Now()
	resp, err := v.post(ctx, v.webhook, "", v.bodyBuf)
	if err != nil {
		return sample{}, err
	}
	headers := time.Since(start)
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return sample{}, &statusError{status: resp.StatusCode}
	}
	first, err := v.readNDJSON(resp.Body, start)
	if err != nil {
		return sample{}, err
	}
	return sample{sent: start, headers: headers, firstToken: first, total: time.Since(start)}, nil
}

func (v *visitor) post(ctx context.Context, url, token string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if v.proxyURL != "" {
		req.Header.Set("Origin", shopOrigin)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return v.client.Do(req)
}

// readSSE reads events to `data: [DONE]`, collecting the item texts, and checks the answer.
func (v *visitor) readSSE(body io.Reader, sent time.Time) (time.Duration, error) {
	v.text = v.text[:0]
	var first time.Duration
	status := ""
	_, err := v.readEvents(body, func(_ []byte, ev event) (bool, error) {
		switch ev.Type {
		case "item":
			v.takeItem(ev.Content, sent, &first)
		case "error":
			return true, &streamError{code: ev.Code}
		case "end":
			status = ev.Status
		}
		return false, nil
	})
	if err != nil {
		return 0, err
	}
	return first, v.check(first, status == "complete")
}

// readEvents reads SSE events from body and passes each to f with its id (nil when it has
// none; valid until f returns), until `data: [DONE]` (done), f stops it or fails, or the stream
// ends first (errNoDone).
func (v *visitor) readEvents(body io.Reader, f func(id []byte, ev event) (stop bool, err error)) (done bool, err error) {
	v.reader.Reset(body)
	v.eventID = v.eventID[:0]
	for {
		line, err := readLine(v.reader)
		if err != nil {
			return false, errNoDone
		}
		if id, ok := bytes.CutPrefix(line, []byte("id: ")); ok {
			v.eventID = append(v.eventID[:0], id...) // the line is overwritten by the next read
			continue
		}
		payload, ok := bytes.CutPrefix(line, []byte("data: "))
		if !ok {
			continue // retry:, comments and blank separators
		}
		if string(payload) == "[DONE]" {
			return true, nil
		}
		var ev event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return false, fmt.Errorf("event is not JSON: %w", err)
		}
		if stop, err := f(v.eventID, ev); stop || err != nil {
			return false, err
		}
		v.eventID = v.eventID[:0]
	}
}

// readNDJSON reads n8n's chunk lines to EOF, collecting the item texts, and checks the answer.
func (v *visitor) readNDJSON(body io.Reader, start time.Time) (time.Duration, error) {
	v.reader.Reset(body)
	v.text = v.text[:0]
	var first time.Duration
	ended := false
	for {
		line, err := readLine(v.reader)
		if errors.Is(err, io.EOF) && len(line) == 0 {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if len(line) == 0 {
			continue
		}
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil {
			return 0, fmt.Errorf("chunk is not JSON: %w", err)
		}
		switch ev.Type {
		case "item":
			v.takeItem(ev.Content, start, &first)
		case "end":
			ended = true
		}
	}
	return first, v.check(first, ended)
}

// takeItem adds an item's text to the answer; the first item of a reply also sets first (the
// time since the message was sent) and tells firstSeen.
func (v *visitor) takeItem(content string, sent time.Time, first *time.Duration) {
	if *first == 0 {
		*first = time.Since(sent)
		if v.firstSeen != nil {
			v.firstSeen()
		}
	}
	v.text = append(v.text, content...)
}

func (v *visitor) check(first time.Duration, complete bool) error {
	switch {
	case first == 0:
		return errNoItem
	case !complete:
		return errNotComplete
	case !bytes.Equal(v.text, v.want):
		return errMismatch
	}
	return nil
}

// readLine returns one line without its "\n" or "\r\n"; the slice is valid until the next read.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, errors.New("line longer than 4 KiB")
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r")), err
}

func readStatusError(resp *http.Response) error {
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&body)
	return &statusError{status: resp.StatusCode, code: body.Error.Code}
}

// drain reads what is left so the keep-alive connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
}

// errorKind groups errors for the report (few distinct strings, whatever the load).
func errorKind(err error) string {
	var se *statusError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return se.Error()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	case errors.As(err, &ne) && ne.Timeout():
		return "network timeout"
	case errors.As(err, &ne):
		return "network error"
	}
	s := err.Error()
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}
