// Package openapitest checks real HTTP responses against docs/openapi.yaml.
//
// Load parses the served JSON form of the document once with pb33f/libopenapi (which reads
// OpenAPI 3.1 and validates with JSON Schema 2020-12, see docs/api.md "OpenAPI"). Transport
// wraps a test client's RoundTripper: every response the test receives is checked (its
// status is declared for the operation, its content type is declared for that status, a JSON
// body matches the schema, an SSE stream's data lines match ReplyEvent, and so do the lines of
// the @n8n/chat endpoint's NDJSON stream match N8nStreamChunk, each line of an
// application/x-ndjson body matches the declared schema; a path the document
// does not describe must answer 404 with the error body) and problems fail the test when it
// ends. Only test code imports it, so the binary does not link the validator.
package openapitest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/paths"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/chatproxy/chatproxy/internal/openapi"
)

// Spec is the parsed document and its validators.
type Spec struct {
	Doc       libopenapi.Document
	Model     *v3.Document
	validator validator.Validator
	schemas   schema_validation.SchemaValidator
	opts      *config.ValidationOptions
}

var load = sync.OnceValues(func() (*Spec, error) {
	raw, err := openapi.JSON()
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		return nil, err
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("building the model: %w", err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Spec{Doc: doc, Model: &m.Model, validator: v, schemas: schema_validation.NewSchemaValidator(config.WithFormatAssertions()),
		opts: config.NewValidationOptions()}, nil
})

// Load returns the document, parsed once per test binary; it fails t when it does not parse.
func Load(t testing.TB) *Spec {
	t.Helper()
	s, err := load()
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	return s
}

// ValidateDocument checks the document against the OpenAPI 3.1 meta-schema.
func (s *Spec) ValidateDocument() []string {
	_, errs := s.validator.ValidateDocument()
	return describe(errs)
}

// Schema returns the named schema of components.schemas (nil when there is none).
func (s *Spec) Schema(name string) *base.Schema {
	if s.Model.Components == nil || s.Model.Components.Schemas == nil {
		return nil
	}
	p, ok := s.Model.Components.Schemas.Get(name)
	if !ok {
		return nil
	}
	return p.Schema()
}

// ValidateJSON checks a JSON value against the named component schema.
func (s *Spec) ValidateJSON(schema string, body []byte) []string {
	sc := s.Schema(schema)
	if sc == nil {
		return []string{"no schema " + schema}
	}
	_, errs := s.schemas.ValidateSchemaBytes(sc, body)
	return describe(errs)
}

// Documented reports whether the document describes the request's path and method. The
// validator's lookup ignores a trailing "/"; chatproxy's routes do not (/admin redirects to
// /admin/), so the slash must agree too.
func (s *Spec) Documented(req *http.Request) bool {
	item, errs, template := paths.FindPath(req, s.Model, s.opts)
	if len(errs) > 0 || item == nil || strings.HasSuffix(template, "/") != strings.HasSuffix(req.URL.Path, "/") {
		return false
	}
	return item.GetOperations().GetOrZero(strings.ToLower(req.Method)) != nil
}

// subtrees are the document paths that stand for every path below a prefix (static assets):
// an OpenAPI path parameter cannot hold a "/".
var subtrees = []struct{ prefix, path string }{
	{"/admin/api/", ""}, // the API has no subtree: an unknown API path is 404
	{"/admin/", "/admin/x"},
	{"/widget/", "/widget/"},
	{"/demo/", "/demo/"},
}

// CheckResponse validates a response whose body has been read into body (nil for a stream,
// which is left unread). It returns the problems found.
func (s *Spec) CheckResponse(req *http.Request, resp *http.Response, body []byte) []string {
	if !s.Documented(req) {
		for _, st := range subtrees {
			if strings.HasPrefix(req.URL.Path, st.prefix) {
				if st.path != "" && req.URL.Path != st.path {
					r := req.Clone(req.Context())
					r.URL.Path, r.URL.RawPath = st.path, ""
					return s.CheckResponse(r, resp, body)
				}
				break
			}
		}
		if resp.StatusCode != http.StatusNotFound {
			return []string{fmt.Sprintf("%s %s is not in docs/openapi.yaml but answered %d (only 404 is allowed)", req.Method, req.URL.Path, resp.StatusCode)}
		}
		return s.ValidateJSON("ErrorBody", body)
	}
	clone := *resp
	clone.Body = http.NoBody
	if body != nil {
		clone.Body = io.NopCloser(bytes.NewReader(body))
	}
	_, errs := s.validator.ValidateHttpResponse(req, &clone)
	return describe(errs)
}

func describe(errs []*verrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		msg := e.Message
		if e.Reason != "" && e.Reason != e.Message {
			msg += ": " + e.Reason
		}
		for _, f := range e.SchemaValidationErrors {
			msg += fmt.Sprintf("; at %s: %s", f.FieldPath, f.Reason)
		}
		out = append(out, msg)
	}
	return out
}

// Transport returns a RoundTripper that validates every response through next against the
// document. Problems are reported as errors of t when t ends (a stream may still be read
// after the request returned).
func Transport(t testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	rt := &transport{spec: Load(t), next: next}
	t.Cleanup(func() {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		rt.done = true
		for _, p := range rt.problems {
			t.Errorf("openapi: %s", p)
		}
	})
	return rt
}

// Client returns an http.Client like base (nil = a default one) whose responses are validated.
func Client(t testing.TB, base *http.Client) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.Transport = Transport(t, c.Transport)
	return c
}

type transport struct {
	spec     *Spec
	next     http.RoundTripper
	mu       sync.Mutex
	problems []string
	done     bool
}

func (rt *transport) report(req *http.Request, status int, problems []string) {
	if len(problems) == 0 {
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.done {
		return
	}
	for _, p := range problems {
		rt.problems = append(rt.problems, fmt.Sprintf("%s %s → %d: %s", req.Method, req.URL.RequestURI(), status, p))
	}
}

func (rt *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case mt == "text/event-stream":
		rt.report(req, resp.StatusCode, rt.spec.CheckResponse(req, resp, nil))
		resp.Body = &lineChecker{rc: resp.Body, check: func(line []byte) {
			if data, ok := sseData(line); ok {
				rt.report(req, resp.StatusCode, rt.spec.ValidateJSON("ReplyEvent", data))
			}
		}}
		return resp, nil
	case mt == "application/x-ndjson":
		// JSON lines: each line is one value of the media type's schema.
		schema, probs := rt.spec.mediaSchema(req, resp.StatusCode, mt)
		rt.report(req, resp.StatusCode, probs)
		resp.Body = &lineChecker{rc: resp.Body, check: func(line []byte) {
			if schema != nil && len(bytes.TrimSpace(line)) > 0 {
				_, errs := rt.spec.schemas.ValidateSchemaBytes(schema, line)
				rt.report(req, resp.StatusCode, describe(errs))
			}
		}}
		return resp, nil
	case resp.StatusCode == http.StatusOK && isN8nStream(req):
		// n8n's stream: one JSON object per line, labelled application/json as n8n labels it.
		rt.report(req, resp.StatusCode, rt.spec.checkStatus(req, resp))
		resp.Body = &lineChecker{rc: resp.Body, check: func(line []byte) {
			if len(bytes.TrimSpace(line)) > 0 {
				rt.report(req, resp.StatusCode, rt.spec.ValidateJSON("N8nStreamChunk", line))
			}
		}}
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		// The connection broke mid-body: the test sees the same error when it reads.
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		return resp, nil
	}
	if req.Method == http.MethodHead {
		body = nil
	}
	rt.report(req, resp.StatusCode, rt.spec.CheckResponse(req, resp, body))
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// isN8nStream: a request of the @n8n/chat endpoint asking for n8n's streamed answer
// (Accept: text/plain, the widget's enableStreaming).
func isN8nStream(req *http.Request) bool {
	return req.Method == http.MethodPost && strings.HasPrefix(req.URL.Path, "/api/v1/n8n/") &&
		strings.Contains(req.Header.Get("Accept"), "text/plain")
}

// checkStatus checks only that the status is declared for the operation.
func (s *Spec) checkStatus(req *http.Request, resp *http.Response) []string {
	item, errs, _ := paths.FindPath(req, s.Model, s.opts)
	if len(errs) > 0 || item == nil {
		return []string{"not in docs/openapi.yaml"}
	}
	op := item.GetOperations().GetOrZero(strings.ToLower(req.Method))
	if op == nil || op.Responses == nil || op.Responses.Codes.GetOrZero(fmt.Sprint(resp.StatusCode)) == nil {
		return []string{fmt.Sprintf("status %d is not declared", resp.StatusCode)}
	}
	return nil
}

// mediaSchema returns the schema the operation declares for status and media type mt.
func (s *Spec) mediaSchema(req *http.Request, status int, mt string) (*base.Schema, []string) {
	if probs := s.checkStatus(req, &http.Response{StatusCode: status}); probs != nil {
		return nil, probs
	}
	item, _, _ := paths.FindPath(req, s.Model, s.opts)
	resp := item.GetOperations().GetOrZero(strings.ToLower(req.Method)).Responses.Codes.GetOrZero(fmt.Sprint(status))
	media, ok := resp.Content.Get(mt)
	if !ok || media.Schema == nil {
		return nil, []string{fmt.Sprintf("%s is not declared for status %d", mt, status)}
	}
	return media.Schema.Schema(), nil
}

// sseData returns the JSON of an SSE data line ("[DONE]" is not JSON and is skipped).
func sseData(line []byte) ([]byte, bool) {
	data, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		return nil, false
	}
	data = bytes.TrimPrefix(data, []byte(" "))
	return data, string(data) != "[DONE]"
}

// lineChecker passes a stream through and checks each complete line as it goes by.
type lineChecker struct {
	rc    io.ReadCloser
	line  []byte
	check func(line []byte)
}

// maxLine bounds what is kept of one line (a reply's events are small).
const maxLine = 1 << 20

func (s *lineChecker) Read(p []byte) (int, error) {
	n, err := s.rc.Read(p)
	for _, c := range p[:n] {
		if c != '\n' {
			if len(s.line) < maxLine {
				s.line = append(s.line, c)
			}
			continue
		}
		s.check(bytes.TrimSuffix(s.line, []byte("\r")))
		s.line = s.line[:0]
	}
	return n, err
}

func (s *lineChecker) Close() error { return s.rc.Close() }
