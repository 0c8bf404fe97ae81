// Package n8ntest is a fake n8n webhook for tests and benchmarks.
//
// It answers in every shape n8n (and things in front of it) can produce, records what it
// received, and can check the JWT the way n8n's Webhook-node "JWT Auth" does, with one
// credential for every path or one per webhook path. It does not depend on package testing, so
// benchmark commands can use it too.
package n8ntest

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one request as the fake received it.
type Request struct {
	Method   string
	Proto    string // "HTTP/1.1" or "HTTP/2.0"
	Path     string
	Scenario string
	Header   http.Header
	Body     []byte
	JSON     map[string]any // the parsed body; nil when it is not a JSON object
	Token    string         // the raw JWT from "Authorization: Bearer …", "" when absent
	Claims   map[string]any // the verified claims when JWT checking is on and passed
}

// Server is a running fake n8n.
type Server struct {
	// URL is the base URL, e.g. "http://127.0.0.1:41234".
	URL string

	srv      *http.Server
	listener net.Listener
	certPool *x509.CertPool
	closing  chan struct{}

	scenario   atomic.Value // string
	chunks     atomic.Int64
	chunkDelay atomic.Int64 // nanoseconds
	record     bool
	h2c        bool
	verify     func(token string) (map[string]any, error)
	pathVerify map[string]func(token string) (map[string]any, error) // by webhook path
	count      atomic.Int64

	mu        sync.Mutex
	closed    bool
	inFlight  sync.WaitGroup
	requests  []Request
	closeOnce sync.Once
}

// Option configures a Server.
type Option func(*Server)

// WithScenario sets the scenario for paths that do not name one (default "stream").
func WithScenario(name string) Option { return func(s *Server) { s.scenario.Store(name) } }

// WithChunks sets how many items the "stream" scenario sends (default 20).
func WithChunks(n int) Option { return func(s *Server) { s.chunks.Store(int64(n)) } }

// WithChunkDelay sets the pause between streamed chunks (default none).
func WithChunkDelay(d time.Duration) Option { return func(s *Server) { s.chunkDelay.Store(int64(d)) } }

// WithoutRecording keeps only the request count, for benchmarks.
func WithoutRecording() Option { return func(s *Server) { s.record = false } }

// WithH2C makes the plain-HTTP fake also accept HTTP/2 without TLS (prior knowledge), as a
// reverse proxy in front of n8n may: many calls share one connection.
func WithH2C() Option { return func(s *Server) { s.h2c = true } }

// WithHS256 makes the fake require a JWT signed with secret, algorithm pinned to HS256.
func WithHS256(secret []byte) Option {
	return func(s *Server) { s.verify = jwtVerifier("HS256", append([]byte(nil), secret...)) }
}

// WithHS256At makes requests to one webhook path (e.g. "/webhook/other/chat") require a JWT
// signed with secret, HS256 pinned, as a second workflow with its own JWT Auth credential
// does; other paths keep the server-wide check.
func WithHS256At(path string, secret []byte) Option {
	return func(s *Server) {
		if s.pathVerify == nil {
			s.pathVerify = map[string]func(string) (map[string]any, error){}
		}
		s.pathVerify[path] = jwtVerifier("HS256", append([]byte(nil), secret...))
	}
}

// SetHS256At is WithHS256At on a running fake: like an operator pasting a key into the
// credential of the workflow at path (a key made after the fake started, or a rotated one).
func (s *Server) SetHS256At(path string, secret []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pathVerify == nil {
		s.pathVerify = map[string]func(string) (map[string]any, error){}
	}
	s.pathVerify[path] = jwtVerifier("HS256", append([]byte(nil), secret...))
}

// WithES256 makes the fake require a JWT signed by the key matching pub, algorithm pinned to ES256.
func WithES256(pub *ecdsa.PublicKey) Option {
	return func(s *Server) { s.verify = jwtVerifier("ES256", pub) }
}

// NewServer starts a plain-HTTP fake on 127.0.0.1.
func NewServer(opts ...Option) *Server { return start(false, opts) }

// NewTLSServer starts an HTTPS fake on 127.0.0.1 with a fresh self-signed certificate valid for
// 127.0.0.1, ::1, localhost and example.com; trust it through RootCAs.
func NewTLSServer(opts ...Option) *Server { return start(true, opts) }

func start(useTLS bool, opts []Option) *Server {
	s := &Server{closing: make(chan struct{}), record: true}
	s.scenario.Store(ScenarioStream)
	s.chunks.Store(20)
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("n8ntest: listen: " + err.Error())
	}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	if s.h2c && !useTLS {
		s.srv.Protocols = new(http.Protocols)
		s.srv.Protocols.SetHTTP1(true)
		s.srv.Protocols.SetUnencryptedHTTP2(true)
	}
	scheme := "http"
	if useTLS {
		cert, pool := selfSignedCert()
		s.certPool = pool
		// HTTP/1.1 only, so reset-mid-stream can hijack the connection.
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
		scheme = "https"
	}
	s.listener = ln
	s.URL = scheme + "://" + ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	return s
}

// RootCAs returns a pool trusting the TLS fake's certificate (nil for plain HTTP).
func (s *Server) RootCAs() *x509.CertPool { return s.certPool }

// Port returns the listening port, for building URLs with other host names (e.g. localhost).
func (s *Server) Port() string {
	_, port, _ := net.SplitHostPort(s.listener.Addr().String())
	return port
}

// URLFor returns the webhook URL that selects a scenario: <URL>/webhook/<scenario>/chat.
func (s *Server) URLFor(scenario string) string {
	return s.URL + "/webhook/" + url.PathEscape(scenario) + "/chat"
}

// SetScenario changes the scenario for paths that do not name one.
func (s *Server) SetScenario(name string) { s.scenario.Store(name) }

// SetChunks changes the item count of the "stream" scenario.
func (s *Server) SetChunks(n int) { s.chunks.Store(int64(n)) }

// SetChunkDelay changes the pause between streamed chunks.
func (s *Server) SetChunkDelay(d time.Duration) { s.chunkDelay.Store(int64(d)) }

// Count returns how many requests reached the server.
func (s *Server) Count() int { return int(s.count.Load()) }

// Requests returns a copy of the recorded requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Last returns the most recent request; ok is false when there was none.
func (s *Server) Last() (Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return Request{}, false
	}
	return s.requests[len(s.requests)-1], true
}

// Reset forgets recorded requests and the count.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.count.Store(0)
}

// Close stops the server, releases hanging handlers and waits for every handler to return.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		_ = s.srv.Close() // connections first, so released handlers cannot answer
		close(s.closing)
		s.inFlight.Wait()
	})
}

// enter registers a running handler; false once Close has begun (so Wait never races with Add).
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.inFlight.Add(1)
	return true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.inFlight.Done()
	s.count.Add(1)
	rec := s.capture(r)
	verify := s.verify
	s.mu.Lock()
	if v, ok := s.pathVerify[rec.Path]; ok {
		verify = v
	}
	s.mu.Unlock()
	if verify != nil && !checkJWT(w, &rec, verify) {
		s.store(rec)
		return
	}
	s.store(rec)
	h, ok := scenarios[rec.Scenario]
	if !ok {
		http.Error(w, "unknown n8ntest scenario", http.StatusNotFound)
		return
	}
	h(s, w, r, rec)
}

func (s *Server) capture(r *http.Request) Request {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	rec := Request{
		Method:   r.Method,
		Proto:    r.Proto,
		Path:     r.URL.Path,
		Scenario: s.scenarioFor(r.URL.Path),
		Header:   r.Header.Clone(),
		Body:     body,
		Token:    bearerToken(r.Header.Get("Authorization")),
	}
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		rec.JSON = m
	}
	return rec
}

func (s *Server) store(rec Request) {
	if !s.record {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, rec)
}

// scenarioFor reads the segment after "webhook" (or "webhook-test"), as in /webhook/<id>/chat.
func (s *Server) scenarioFor(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) >= 2 && (parts[0] == "webhook" || parts[0] == "webhook-test") {
		if name, err := url.PathUnescape(parts[1]); err == nil {
			if _, ok := scenarios[name]; ok {
				return name
			}
		}
	}
	return s.scenario.Load().(string)
}

// hang blocks until the client gives up or the server closes.
func (s *Server) hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.closing:
	}
}

// pause waits between chunks; false when the request or server ended meanwhile.
func (s *Server) pause(r *http.Request) bool {
	d := time.Duration(s.chunkDelay.Load())
	if d <= 0 {
		return r.Context().Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closing:
		return false
	}
}
