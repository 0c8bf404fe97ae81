package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatproxy/chatproxy/internal/uploads/uploadstest"
)

// uploadFiles posts files (name → content) to POST /api/v1/uploads as one multipart body.
func (e *env) uploadFiles(s session, origin string, files ...[2][]byte) *http.Response {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		part, err := mw.CreateFormFile("file", string(f[0]))
		if err != nil {
			e.t.Fatal(err)
		}
		_, _ = part.Write(f[1])
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", e.url+"/api/v1/uploads", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", origin)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func file(name string, content []byte) [2][]byte { return [2][]byte{[]byte(name), content} }

// storedObjects counts the objects under the data directory's uploads folder.
func storedObjects(t *testing.T, dir string) int {
	entries, err := os.ReadDir(filepath.Join(dir, "uploads"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return len(entries)
}

// TestUploads: a photo with GPS data is stored without it, sealed (its bytes never appear in
// storage), and only its own session reads it back as an attachment; every bad input has its
// code and stores nothing; uploads are off by default.
func TestUploads(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			e := newEnv(t, engine, withEnv("CHATPROXY_DATA_DIR", dir), withOtherSiteYAML(`    abuse: {min_first_message_delay_ms: -1}
    uploads: {enabled: true, max_bytes: 200000, allowed_types: [image/jpeg, image/png, application/pdf]}
`))
			other := func() session {
				resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
				var s session
				decode(t, resp, &s)
				return s
			}
			s := other()
			photo := uploadstest.JPEGWithGPS(t)
			resp := e.uploadFiles(s, otherOrigin, file("damaged.jpg", photo))
			var up struct {
				ID   string `json:"upload_id"`
				Name string `json:"name"`
				Size int64  `json:"size"`
				Type string `json:"type"`
			}
			raw := readAll(resp)
			if err := json.Unmarshal([]byte(raw), &up); err != nil || resp.StatusCode != 200 || up.ID == "" || up.Type != "image/jpeg" || up.Name != "damaged.jpg" {
				t.Fatalf("upload: %d %s", resp.StatusCode, raw)
			}
			if storedObjects(t, dir) != 1 {
				t.Fatalf("objects stored: %d", storedObjects(t, dir))
			}
			obj, _ := os.ReadFile(filepath.Join(dir, "uploads", up.ID))
			if bytes.Contains(obj, []byte("JFIF")) || bytes.Contains(obj, []byte("GPS")) || len(obj) == 0 {
				t.Errorf("the stored object is not sealed")
			}

			get := e.do(request{method: "GET", path: "/api/v1/uploads/" + up.ID, origin: otherOrigin, token: s.Token})
			body, _ := io.ReadAll(get.Body)
			if get.StatusCode != 200 || get.Header.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.HasPrefix(get.Header.Get("Content-Disposition"), "attachment") || get.Header.Get("Content-Type") != "image/jpeg" {
				t.Fatalf("download: %d %v", get.StatusCode, get.Header)
			}
			if int64(len(body)) != up.Size || bytes.Contains(body, []byte("GPS")) || !bytes.HasPrefix(body, []byte{0xFF, 0xD8}) {
				t.Errorf("downloaded %d bytes (size %d), GPS stripped: %v", len(body), up.Size, !bytes.Contains(body, []byte("GPS")))
			}
			if resp := e.do(request{method: "GET", path: "/api/v1/uploads/" + up.ID, origin: otherOrigin, token: other().Token}); resp.StatusCode != 404 || errorCode(t, resp) != "upload_not_found" {
				t.Errorf("another session read the file: %d", resp.StatusCode)
			}

			before := storedObjects(t, dir)
			bad := []struct {
				name   string
				files  [][2][]byte
				status int
				code   string
			}{
				{"wrong magic (HTML named .jpg)", [][2][]byte{file("photo.jpg", []byte("<html><script>alert(1)</script></html>"))}, 415, "unsupported_file_type"},
				{"a type the site does not allow (WebP)", [][2][]byte{file("a.webp", []byte("RIFF\x10\x00\x00\x00WEBPVP8 "))}, 415, "unsupported_file_type"},
				{"oversized", [][2][]byte{file("big.pdf", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 300000)...))}, 413, "file_too_large"},
				{"too many files", [][2][]byte{file("a.jpg", photo), file("b.jpg", photo)}, 400, "too_many_files"},
				{"zip bomb disguised as an image", [][2][]byte{file("bomb.png", uploadstest.PNGBomb(t))}, 400, "image_too_large"},
				{"polyglot (JPEG + ZIP)", [][2][]byte{file("poly.jpg", append(append([]byte{}, photo...), "PK\x03\x04zip"...))}, 400, "polyglot_file"},
				{"path in the file name", [][2][]byte{file("../../etc/passwd.jpg", photo)}, 400, "invalid_file_name"},
			}
			for _, c := range bad {
				resp := e.uploadFiles(s, otherOrigin, c.files...)
				if resp.StatusCode != c.status || errorCode(t, resp) != c.code {
					t.Errorf("%s: %d, want %d %s", c.name, resp.StatusCode, c.status, c.code)
				}
			}
			if n := storedObjects(t, dir); n != before {
				t.Errorf("refused files were stored: %d objects, want %d", n, before)
			}
			// Site "shop" has uploads off (the default).
			shop := e.newSession(nil)
			if resp := e.uploadFiles(shop, shopOrigin, file("a.jpg", photo)); resp.StatusCode != 403 || errorCode(t, resp) != "uploads_disabled" {
				t.Errorf("uploads on a site without them: %d", resp.StatusCode)
			}
			if e.fake.Count() != 0 {
				t.Errorf("an upload reached n8n")
			}
		})
	}
}

// TestUploadsRateLimited: uploads spend a rate of their own per session.
func TestUploadsRateLimited(t *testing.T) {
	e := newEnv(t, "sqlite", withOtherSiteYAML(`    abuse: {min_first_message_delay_ms: -1}
    limits: {session_per_minute: 2, ip_per_minute: 1000, sessions_per_ip_per_hour: 1000}
    uploads: {enabled: true}
`))
	resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
	var s session
	decode(t, resp, &s)
	photo := uploadstest.JPEGWithGPS(t)
	for i := range 2 {
		if resp := e.uploadFiles(s, otherOrigin, file("a.jpg", photo)); resp.StatusCode != 200 {
			t.Fatalf("upload %d: %d %s", i, resp.StatusCode, readAll(resp))
		}
	}
	if resp := e.uploadFiles(s, otherOrigin, file("a.jpg", photo)); resp.StatusCode != 429 || errorCode(t, resp) != "rate_limited" {
		t.Errorf("third upload in a minute: %d, want 429", resp.StatusCode)
	}
}
