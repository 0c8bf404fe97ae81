// Tests of deploy/nginx/chatproxy.conf with Debian's nginx in front of a real chatproxy.
package nginx_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/deploy/internal/deploytest"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/n8ntest"
)

func TestMain(m *testing.M) { deploytest.Main(m) }

const (
	shopOrigin = "https://shop.example"
	chunks     = 10
	chunkGap   = 150 * time.Millisecond
)

// stack is chatproxy behind nginx (TLS on httpsPort, redirect on httpPort), a fake n8n that
// spaces its chunks, and a client that connects from 127.0.0.2.
type stack struct {
	fake      *n8ntest.Server
	client    *deploytest.Client
	httpPort  int
	httpsPort int
	roots     *x509.CertPool
}

func startStack(t *testing.T) *stack {
	t.Helper()
	nginx := deploytest.Tool(t, "nginx")
	bin := deploytest.StaticBinary(t)
	dir := t.TempDir()
	fake := n8ntest.NewServer(n8ntest.WithChunks(chunks), n8ntest.WithChunkDelay(chunkGap))
	t.Cleanup(fake.Close)

	sites := fmt.Sprintf(`sites:
  - id: shop
    allowed_origins: [%q]
    n8n_webhook_url: %s/webhook/nginx-test/chat
    client_ip: raw
    abuse: {min_first_message_delay_ms: -1}
`, shopOrigin, fake.URL)
	write(t, filepath.Join(dir, "sites.yaml"), sites)
	cpPort := deploytest.FreePort(t)
	logs := deploytest.Start(t, dir, "chatproxy", []string{
		"CHATPROXY_ADDR=127.0.0.1:" + strconv.Itoa(cpPort),
		"CHATPROXY_METRICS_ADDR=off",
		"CHATPROXY_DATA_DIR=" + dir,
		"CHATPROXY_SITES_FILE=" + filepath.Join(dir, "sites.yaml"),
		"SESSION_SECRET_KEY=nginx-test-secret-0123456789abcdefghij",
		"TRUSTED_PROXIES=127.0.0.1/32",
		"LOG_LEVEL=warn",
	}, bin, "serve")
	deploytest.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/health/live", cpPort), 30*time.Second)

	s := &stack{fake: fake, httpPort: deploytest.FreePort(t), httpsPort: deploytest.FreePort(t)}
	certs := filepath.Join(dir, "certs")
	if err := os.Mkdir(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	s.roots = deploytest.SelfSignedCert(t, certs)
	write(t, filepath.Join(dir, "chatproxy.conf"), localConf(t, dir, cpPort, s.httpPort, s.httpsPort))
	write(t, filepath.Join(dir, "nginx.conf"), mainConf(dir))
	conf := filepath.Join(dir, "nginx.conf")
	deploytest.Cmd{}.Run(t, nginx, "-t", "-q", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf)
	nginxLog := deploytest.Start(t, dir, "nginx", nil, nginx, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf, "-g", "daemon off;")
	s.client = deploytest.NewClient(fmt.Sprintf("https://127.0.0.1:%d", s.httpsPort), shopOrigin, s.roots).FromAddr("127.0.0.2")
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("chatproxy log:\n%s\nnginx log:\n%s%s", logs(), nginxLog(), b)
		}
	})
	deploytest.WaitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/nginx-health", s.httpPort), 15*time.Second)
	return s
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// localConf is the reference config with only the lines marked SET changed for this machine:
// the upstream, the listen addresses, the certificate and the cache directory.
func localConf(t *testing.T, dir string, cpPort, httpPort, httpsPort int) string {
	t.Helper()
	b, err := os.ReadFile(deploytest.Path(t, "deploy", "nginx", "chatproxy.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for _, r := range []struct{ old, new string }{
		{"server chatproxy:8080 ", fmt.Sprintf("server 127.0.0.1:%d ", cpPort)},
		{"listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", httpPort)},
		{"listen [::]:80;", ""},
		{"listen 443 ssl http2;", fmt.Sprintf("listen 127.0.0.1:%d ssl http2;", httpsPort)},
		{"listen [::]:443 ssl http2;", ""},
		{"/etc/nginx/certs/fullchain.pem", filepath.Join(dir, "certs", "fullchain.pem")},
		{"/etc/nginx/certs/privkey.pem", filepath.Join(dir, "certs", "privkey.pem")},
		{"/var/cache/nginx/chatproxy", filepath.Join(dir, "cache")},
	} {
		if n := strings.Count(conf, r.old); n != 1 {
			t.Fatalf("chatproxy.conf has %q %d times, want once (the test adapts that line)", r.old, n)
		}
		conf = strings.Replace(conf, r.old, r.new, 1)
	}
	return conf
}

// mainConf is a minimal nginx.conf around the reference config, with every path in dir.
func mainConf(dir string) string {
	return fmt.Sprintf(`user root;
worker_processes 1;
pid %[1]s/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/chatproxy.conf;
}
`, dir)
}

func TestNginxStreamsTokenByTokenAndResumes(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sess, err := s.client.NewSession(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("streams token by token", func(t *testing.T) {
		st, err := s.client.Send(ctx, sess, "stream through nginx")
		if err != nil {
			t.Fatal(err)
		}
		events, err := st.Rest()
		if err != nil {
			t.Fatal(err)
		}
		items := deploytest.OfType(events, "item")
		if deploytest.Text(events) != n8ntest.StreamText(chunks) || len(items) < chunks/2 {
			t.Fatalf("answer %q in %d items, want %q", deploytest.Text(events), len(items), n8ntest.StreamText(chunks))
		}
		first, last := items[0].At, items[len(items)-1].At
		t.Logf("through nginx (%s): first token at %s, last token at %s (%d items, n8n spaced %d chunks %s apart)",
			st.Proto(), first.Round(time.Millisecond), last.Round(time.Millisecond), len(items), chunks, chunkGap)
		// Buffered, every token would arrive together at the end.
		if min := chunkGap * (chunks - 1) / 2; last-first < min {
			t.Fatalf("first token %s, last %s: less than %s apart, the stream was buffered", first, last, min)
		}
	})

	t.Run("resumes with Last-Event-ID", func(t *testing.T) {
		st, err := s.client.Send(ctx, sess, "resume through nginx")
		if err != nil {
			t.Fatal(err)
		}
		var seen []deploytest.Event
		for len(deploytest.OfType(seen, "item")) < 3 {
			ev, err := st.Next()
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, ev)
		}
		st.Close() // the visitor's connection drops mid-answer
		lastID := seen[len(seen)-1].ID
		replyID := deploytest.OfType(seen, "begin")[0].MessageID
		rest, err := s.client.Resume(ctx, sess, replyID, lastID)
		if err != nil {
			t.Fatal(err)
		}
		after, err := rest.Rest()
		if err != nil {
			t.Fatal(err)
		}
		if got := deploytest.Text(seen) + deploytest.Text(after); got != n8ntest.StreamText(chunks) {
			t.Fatalf("before %q + after resume %q, want %q", deploytest.Text(seen), deploytest.Text(after), n8ntest.StreamText(chunks))
		}
		if len(after) == 0 || offset(t, after[0].ID) != offset(t, lastID)+1 {
			t.Fatalf("resume from %s started at %+v", lastID, after)
		}
		if ends := deploytest.OfType(after, "end"); len(ends) != 1 || ends[0].Status != "complete" {
			t.Fatalf("end after resume: %+v", ends)
		}
	})
}

// offset is the <offset> of an event id "<epoch>-<offset>".
func offset(t *testing.T, id string) int {
	t.Helper()
	i := strings.LastIndexByte(id, '-')
	n, err := strconv.Atoi(id[i+1:])
	if i < 0 || err != nil {
		t.Fatalf("event id %q", id)
	}
	return n
}

// nginx overwrites X-Forwarded-For with the visitor's address: chatproxy (trusting only nginx)
// sees 127.0.0.2, never the address a client claims.
func TestNginxForwardsTheVisitorAddressOnly(t *testing.T) {
	s := startStack(t)
	s.client.Header.Set("X-Forwarded-For", "203.0.113.9")
	s.client.Header.Set("Forwarded", "for=203.0.113.9")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := s.client.NewSession(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.client.Send(ctx, sess, "who am I")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Rest(); err != nil {
		t.Fatal(err)
	}
	req, ok := s.fake.Last()
	if !ok {
		t.Fatal("n8n got nothing")
	}
	meta, _ := req.JSON["metadata"].(map[string]any)
	if ip := meta["client_ip"]; ip != "127.0.0.2" {
		t.Fatalf("n8n was told client_ip %v, want 127.0.0.2 (the visitor as nginx saw it)", ip)
	}
}

func TestNginxLimitsCachingAndAdmin(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := s.client.NewSession(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("body limit matches chatproxy's", func(t *testing.T) {
		conf, _ := os.ReadFile(deploytest.Path(t, "deploy", "nginx", "chatproxy.conf"))
		m := regexp.MustCompile(`client_max_body_size (\d+)k;`).FindSubmatch(conf)
		if m == nil {
			t.Fatal("no client_max_body_size in chatproxy.conf")
		}
		if kb, _ := strconv.Atoi(string(m[1])); kb<<10 != config.MaxBodyBytes {
			t.Fatalf("client_max_body_size %sk, chatproxy's MaxBodyBytes is %d", m[1], config.MaxBodyBytes)
		}
		big := messageBody(config.MaxBodyBytes + 4<<10)
		code, hdr, body, err := s.client.Post(ctx, "/api/v1/chat/message", sess.Token, big)
		if err != nil {
			t.Fatal(err)
		}
		if code != 413 || errorCode(body) != "body_too_large" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Fatalf("over the limit: %d %s %s", code, hdr.Get("Content-Type"), body)
		}
		// Just under the limit passes nginx; chatproxy judges it (the message is too long).
		code, _, body, err = s.client.Post(ctx, "/api/v1/chat/message", sess.Token, messageBody(config.MaxBodyBytes-256))
		if err != nil {
			t.Fatal(err)
		}
		if code != 400 || errorCode(body) != "message_too_long" {
			t.Fatalf("under the limit: %d %s", code, body)
		}
	})

	t.Run("embed.js and hashed assets are cached", func(t *testing.T) {
		assets, err := filepath.Glob(deploytest.Path(t, "internal", "webui", "dist", "widget", "assets", "*.js"))
		if err != nil || len(assets) == 0 {
			t.Fatalf("no built widget assets: %v", err)
		}
		for _, path := range []string{"/embed.js", "/widget/assets/" + filepath.Base(assets[0])} {
			var statuses []string
			for range 2 {
				code, hdr, _, err := s.client.Get(ctx, path)
				if err != nil || code != 200 {
					t.Fatalf("GET %s: %d %v", path, code, err)
				}
				statuses = append(statuses, hdr.Get("X-Cache-Status"))
			}
			if statuses[1] != "HIT" {
				t.Errorf("GET %s twice: cache %v, want the second a HIT", path, statuses)
			}
		}
	})

	t.Run("admin is not exposed", func(t *testing.T) {
		code, hdr, body, err := s.client.Get(ctx, "/admin/")
		if err != nil {
			t.Fatal(err)
		}
		if code != 404 || strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || !strings.Contains(string(body), "nginx") {
			t.Fatalf("/admin/: %d %s %s (want nginx's own 404, not proxied)", code, hdr.Get("Content-Type"), body)
		}
	})

	t.Run("plain HTTP redirects to HTTPS", func(t *testing.T) {
		c := deploytest.NewClient(fmt.Sprintf("http://127.0.0.1:%d", s.httpPort), shopOrigin, nil)
		c.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		code, hdr, _, err := c.Get(ctx, "/embed.js")
		if err != nil {
			t.Fatal(err)
		}
		if code != 308 || !strings.HasPrefix(hdr.Get("Location"), "https://") {
			t.Fatalf("http: %d %q", code, hdr.Get("Location"))
		}
	})

	t.Run("health through the proxy", func(t *testing.T) {
		code, _, body, err := s.client.Get(ctx, "/health/ready")
		if err != nil || code != 200 {
			t.Fatalf("/health/ready: %d %v %s", code, err, body)
		}
	})
}

func messageBody(size int) []byte {
	b, _ := json.Marshal(map[string]string{"message": strings.Repeat("a", size-20)})
	return b
}

func errorCode(body []byte) string {
	var e struct{ Error struct{ Code string } }
	_ = json.Unmarshal(body, &e)
	return e.Error.Code
}
