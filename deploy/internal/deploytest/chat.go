package deploytest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

var httpClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}

// Client speaks chatproxy's public API as the widget does, from one Origin.
type Client struct {
	Base   string // e.g. http://127.0.0.1:8080
	Origin string // the shop's origin, allowed by the site
	HTTP   *http.Client
	Header http.Header // extra headers on every request (e.g. X-Forwarded-For)
}

// NewClient returns a client without a proxy; roots, when set, are the only trusted CAs.
func NewClient(base, origin string, roots *x509.CertPool) *Client {
	tr := &http.Transport{Proxy: nil, DisableCompression: true}
	if roots != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		tr.ForceAttemptHTTP2 = true
	}
	return &Client{Base: base, Origin: origin, HTTP: &http.Client{Transport: tr}, Header: http.Header{}}
}

// FromAddr makes the client connect from a local address, e.g. 127.0.0.2, so a proxy in
// front of chatproxy sees the visitor at a different address than its own.
func (c *Client) FromAddr(ip string) *Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c.HTTP.Transport.(*http.Transport).DialContext = d.DialContext
	return c
}

// Session is a created chat session.
type Session struct {
	ID    string `json:"session_id"`
	Token string `json:"token"`
}

func (c *Client) request(ctx context.Context, method, path, token string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	req.Header.Set("Origin", c.Origin)
	// As a browser does: a proxy that compressed event streams would also delay them.
	req.Header.Set("Accept-Encoding", "gzip")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.HTTP.Do(req)
}

// NewSession creates a session of site.
func (c *Client) NewSession(ctx context.Context, site string) (Session, error) {
	resp, err := c.request(ctx, http.MethodPost, "/api/v1/session/create", "", map[string]any{"site_id": site})
	if err != nil {
		return Session{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return Session{}, fmt.Errorf("session/create: %d %s", resp.StatusCode, b)
	}
	var s Session
	if err := json.Unmarshal(b, &s); err != nil || s.Token == "" {
		return Session{}, fmt.Errorf("session/create: bad answer %s", b)
	}
	return s, nil
}

// Send posts a message and returns its SSE stream.
func (c *Client) Send(ctx context.Context, s Session, text string) (*Stream, error) {
	start := time.Now()
	resp, err := c.request(ctx, http.MethodPost, "/api/v1/chat/message", s.Token, map[string]any{"message": text})
	return openStream(resp, err, start)
}

// Resume follows a reply from the event after lastEventID.
func (c *Client) Resume(ctx context.Context, s Session, messageID, lastEventID string) (*Stream, error) {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+"/api/v1/chat/stream?message_id="+messageID, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Origin", c.Origin)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Last-Event-ID", lastEventID)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.HTTP.Do(req)
	return openStream(resp, err, start)
}

// Post sends raw bytes as a JSON body (for size-limit checks) and returns status and body.
func (c *Client) Post(ctx context.Context, path, token string, raw []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+path, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Origin", c.Origin)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, resp.Header, b, nil
}

// Get fetches path and returns status, headers and body.
func (c *Client) Get(ctx context.Context, path string) (int, http.Header, []byte, error) {
	resp, err := c.request(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header, b, nil
}

// Event is one SSE event with the time it arrived, counted from the request.
type Event struct {
	ID        string
	Type      string // begin, item, end, error, reset
	Content   string
	MessageID string
	Status    string
	At        time.Duration
}

// Stream reads SSE events from a response.
type Stream struct {
	resp  *http.Response
	r     *bufio.Reader
	start time.Time
	done  bool
}

func openStream(resp *http.Response, err error, start time.Time) (*Stream, error) {
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		return nil, fmt.Errorf("want an event stream, got %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	var body io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		if body, err = gzip.NewReader(resp.Body); err != nil {
			resp.Body.Close()
			return nil, err
		}
	}
	return &Stream{resp: resp, r: bufio.NewReader(body), start: start}, nil
}

// Next returns the next event; io.EOF after "data: [DONE]" or the end of the body.
func (s *Stream) Next() (Event, error) {
	var ev Event
	var data string
	for {
		if s.done {
			return ev, io.EOF
		}
		line, err := s.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if data == "" {
				continue // retry: or comments only
			}
			if data == "[DONE]" {
				s.done = true
				return ev, io.EOF
			}
			var d struct {
				Type, Content, Status string
				MessageID             string `json:"message_id"`
			}
			if err := json.Unmarshal([]byte(data), &d); err != nil {
				return ev, fmt.Errorf("event data %q: %v", data, err)
			}
			ev.Type, ev.Content, ev.Status, ev.MessageID = d.Type, d.Content, d.Status, d.MessageID
			ev.At = time.Since(s.start)
			return ev, nil
		case strings.HasPrefix(line, "id:"):
			ev.ID = strings.TrimSpace(line[3:])
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimSpace(line[5:])
		}
	}
}

// Rest reads every remaining event.
func (s *Stream) Rest() ([]Event, error) {
	var out []Event
	for {
		ev, err := s.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

// Close drops the connection (a visitor leaving mid-answer).
func (s *Stream) Close() { s.resp.Body.Close() }

// Proto is the response's protocol, e.g. HTTP/2.0.
func (s *Stream) Proto() string { return s.resp.Proto }

// Header is the response's header.
func (s *Stream) Header() http.Header { return s.resp.Header }

// Text concatenates the content of the item events.
func Text(events []Event) string {
	var b strings.Builder
	for _, ev := range events {
		if ev.Type == "item" {
			b.WriteString(ev.Content)
		}
	}
	return b.String()
}

// OfType returns the events of one type.
func OfType(events []Event, typ string) []Event {
	var out []Event
	for _, ev := range events {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}
