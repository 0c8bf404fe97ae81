package sitecfg_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/sitecfg"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/postgres"
	"github.com/chatproxy/chatproxy/internal/store/sqlite"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

type publicDNS struct{}

func (publicDNS) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
}

// deaf is a store whose change notifications never arrive (a LISTEN connection that is down,
// or another process writing the SQLite file): only the periodic check can see changes.
type deaf struct{ store.Store }

func (deaf) WatchSites(ctx context.Context) <-chan struct{} { return make(chan struct{}) }

// xorCipher seals reversibly, bound to nothing: enough to share keys between two services.
type xorCipher struct{}

func (xorCipher) Seal(p []byte, _ string) ([]byte, error) { return xor(p), nil }
func (xorCipher) Open(s []byte, _ string) ([]byte, error) { return xor(s), nil }
func xor(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[i] ^ 0x3c
	}
	return out
}

// openTwice opens two stores on one database, like two replicas (or two processes).
func openTwice(t *testing.T, engine string) (store.Store, store.Store) {
	t.Helper()
	var open func() (store.Store, error)
	if engine == "postgres" {
		url := storetest.NewPostgresURL(t)
		open = func() (store.Store, error) { return postgres.Open(t.Context(), url, xorCipher{}) }
	} else {
		path := storetest.NewSQLitePath(t)
		open = func() (store.Store, error) { return sqlite.Open(t.Context(), path, xorCipher{}) }
	}
	var out [2]store.Store
	for i := range out {
		st, err := open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		if err := st.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		out[i] = st
	}
	return out[0], out[1]
}

func newService(t *testing.T, st store.Store) (*sitecfg.Service, *site.Registry) {
	t.Helper()
	reg, err := site.NewRegistry(nil, []byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	svc := sitecfg.New(sitecfg.Options{Store: st, Cipher: xorCipher{}, Registry: reg, Resolver: publicDNS{}})
	if err := svc.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	return svc, reg
}

// TestPeriodicCheckAloneReloads: with no notification at all, a replica sees another's
// create, edit, disable and delete within 2 s (the check runs every second).
func TestPeriodicCheckAloneReloads(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			stA, stB := openTwice(t, engine)
			a, _ := newService(t, stA)
			b, regB := newService(t, deaf{stB})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go b.Run(ctx)

			eventually := func(what string, ok func(*site.Site, bool) bool) {
				t.Helper()
				start := time.Now()
				for {
					s, found := regB.Get("shop")
					if ok(s, found) {
						t.Logf("%s: seen after %s", what, time.Since(start).Round(time.Millisecond))
						return
					}
					if time.Since(start) > 2*time.Second {
						t.Fatalf("%s: not seen within 2 s", what)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			created, err := a.Create(t.Context(), []byte(`{"id":"shop","allowed_origins":["https://shop.example"],"n8n_webhook_url":"https://n8n.example.com/webhook/a"}`))
			if err != nil {
				t.Fatal(err)
			}
			eventually("create", func(s *site.Site, ok bool) bool { return ok && s.Target.Signer.KeyID() == created.Site.Secret.KID })
			if _, _, err := a.Update(t.Context(), "shop", []byte(`{"n8n_webhook_url":"https://n8n.example.com/webhook/b"}`), nil); err != nil {
				t.Fatal(err)
			}
			eventually("edit", func(s *site.Site, ok bool) bool {
				return ok && strings.HasSuffix(s.Target.URL, "/webhook/b") && !s.Target.Trusted
			})
			if _, _, err := a.Update(t.Context(), "shop", []byte(`{"disabled":true}`), nil); err != nil {
				t.Fatal(err)
			}
			eventually("disable", func(_ *site.Site, ok bool) bool { return !ok })
			if _, _, err := a.Update(t.Context(), "shop", []byte(`{"disabled":false}`), nil); err != nil {
				t.Fatal(err)
			}
			eventually("enable", func(_ *site.Site, ok bool) bool { return ok })
		})
	}
}

// lostKey cannot open anything: the field key that sealed the sites' keys was removed.
type lostKey struct{ xorCipher }

func (lostKey) Open([]byte, string) ([]byte, error) { return nil, errLost }

var errLost = context.DeadlineExceeded // any error will do

// TestSiteWithLostKeys: a site whose keys cannot be opened is listed but not served; a
// rotation with revoke_previous gives it a fresh key and it is served again.
func TestSiteWithLostKeys(t *testing.T) {
	stA, stB := openTwice(t, "sqlite")
	a, _ := newService(t, stA)
	if _, err := a.Create(t.Context(), []byte(`{"id":"shop","allowed_origins":["https://shop.example"],"n8n_webhook_url":"https://n8n.example.com/w"}`)); err != nil {
		t.Fatal(err)
	}
	reg, _ := site.NewRegistry(nil, []byte(strings.Repeat("s", 32)))
	b := sitecfg.New(sitecfg.Options{Store: stB, Cipher: lostKey{}, Registry: reg, Resolver: publicDNS{}})
	if err := b.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.Get("shop"); ok {
		t.Fatal("a site whose keys cannot be opened is served")
	}
	if views, err := b.List(t.Context(), nil); err != nil || len(views) != 1 || views[0].Secret.KID == "" {
		t.Fatalf("list: %+v, %v", views, err)
	}
	if _, _, err := b.Rotate(t.Context(), "shop", "", false, nil); err == nil || !strings.Contains(err.Error(), "revoke_previous") {
		t.Fatalf("rotate without revoke: %v", err)
	}
	// The new keys are sealed with lostKey's Seal (which works); open them with a cipher that can.
	c := sitecfg.New(sitecfg.Options{Store: stB, Cipher: xorCipher{}, Registry: reg, Resolver: publicDNS{}})
	if _, _, err := b.Rotate(t.Context(), "shop", "", true, nil); err != nil {
		t.Fatalf("rotate with revoke: %v", err)
	}
	if err := c.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s, ok := reg.Get("shop"); !ok || s.Target.Previous != nil {
		t.Fatal("the site is not served with its fresh key")
	}
}
