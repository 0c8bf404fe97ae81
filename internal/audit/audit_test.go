package audit_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/store/postgres"
	"github.com/chatproxy/chatproxy/internal/store/sqlite"
	"github.com/chatproxy/chatproxy/internal/store/storetest"
)

func engines(t *testing.T) map[string]store.Store {
	t.Helper()
	ctx := t.Context()
	lite, err := sqlite.Open(ctx, storetest.NewSQLitePath(t), store.PlainCipher{})
	if err != nil {
		t.Fatal(err)
	}
	pg, err := postgres.Open(ctx, storetest.NewPostgresURL(t), store.PlainCipher{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Store{"sqlite": lite, "postgres": pg}
	for _, s := range out {
		t.Cleanup(func() { _ = s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestRecordRedactsAndVerifies(t *testing.T) {
	for name, st := range engines(t) {
		t.Run(name, func(t *testing.T) {
			log := audit.New(st)
			ctx := context.Background()
			e, err := log.Record(ctx, audit.Entry{
				Actor: audit.Actor{ID: "acc-1", Label: "owner@example.com", IP: "203.0.113.5"}, Action: audit.AccountCreate,
				TargetType: "account", TargetID: "acc-2", RequestID: "req-1",
				Diff: map[string]any{"email": "new@example.com", "password": "correct horse battery", "nested": map[string]any{"api_token": "cpa_x", "token_name": "ci"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(e.Diff), "correct horse") || strings.Contains(string(e.Diff), "cpa_x") {
				t.Fatalf("a secret reached the log: %s", e.Diff)
			}
			var diff map[string]any
			if err := json.Unmarshal(e.Diff, &diff); err != nil || diff["password"] != audit.Redacted || diff["email"] != "new@example.com" ||
				diff["nested"].(map[string]any)["token_name"] != "ci" {
				t.Fatalf("diff = %s, %v", e.Diff, err)
			}
			if e.Result != "ok" || e.ActorIP != "203.0.113.5" || e.Action != "account.create" {
				t.Fatalf("entry = %+v", e)
			}
			if _, err := log.Record(ctx, audit.Entry{Actor: audit.Actor{Label: "x"}, Action: audit.AuthLoginFailed, Result: audit.Denied}); err != nil {
				t.Fatal(err)
			}
			if _, err := log.Record(ctx, audit.Entry{Actor: audit.Actor{Label: "x"}}); err == nil {
				t.Fatal("an entry without an action was recorded")
			}
			n, err := log.Verify(ctx)
			if err != nil || n != 2 {
				t.Fatalf("Verify = %d, %v; want 2 entries, no error", n, err)
			}
		})
	}
}

// tampered serves a chain read from a real store with one change, as if a row had been
// edited below the application.
type tampered struct {
	store.AuditLog
	change func(*store.AuditEntry)
}

func (t tampered) AuditChain(ctx context.Context, after int64, limit int) ([]store.AuditEntry, error) {
	out, err := t.AuditLog.AuditChain(ctx, after, limit)
	for i := range out {
		if out[i].Seq == 2 {
			t.change(&out[i])
		}
	}
	return out, err
}

func TestVerifyFindsTampering(t *testing.T) {
	st := engines(t)["sqlite"]
	ctx := context.Background()
	log := audit.New(st)
	for range 3 {
		if _, err := log.Record(ctx, audit.Entry{Actor: audit.Actor{Label: "a"}, Action: audit.SiteUpdate, SiteID: "shop", Diff: audit.Changes(map[string]int{"history_depth": 10}, map[string]int{"history_depth": 12})}); err != nil {
			t.Fatal(err)
		}
	}
	cases := map[string]func(*store.AuditEntry){
		"diff changed":      func(e *store.AuditEntry) { e.Diff = []byte(`{"history_depth":[10,99]}`) },
		"actor changed":     func(e *store.AuditEntry) { e.ActorLabel = "someone else" },
		"link broken":       func(e *store.AuditEntry) { e.PrevHash = strings.Repeat("0", 64) },
		"time moved":        func(e *store.AuditEntry) { e.At = e.At.Add(time.Second) },
		"result rewritten":  func(e *store.AuditEntry) { e.Result = "denied" },
		"hash recomputed":   func(e *store.AuditEntry) { e.Action = "auth.login"; e.Hash = audit.Hash(*e) },
		"site id rewritten": func(e *store.AuditEntry) { e.SiteID = "blog" },
	}
	for name, change := range cases {
		_, err := audit.New(tampered{st, change}).Verify(ctx)
		if err == nil {
			t.Errorf("%s: Verify found nothing", name)
		}
	}
	// A reformatted JSON diff (as jsonb would return it) is not tampering.
	n, err := audit.New(tampered{st, func(e *store.AuditEntry) { e.Diff = []byte(`{ "history_depth" : [ 10, 12 ] }`) }}).Verify(ctx)
	if err != nil || n != 3 {
		t.Errorf("reformatted diff: Verify = %d, %v", n, err)
	}
}

func TestChanges(t *testing.T) {
	type acc struct {
		Email string   `json:"email"`
		Role  string   `json:"role"`
		Sites []string `json:"sites"`
	}
	got := audit.Changes(acc{"a@x.com", "viewer", []string{"shop"}}, acc{"a@x.com", "admin", nil})
	b, _ := json.Marshal(got)
	if string(b) != `{"role":["viewer","admin"],"sites":[["shop"],null]}` {
		t.Fatalf("Changes = %s", b)
	}
	created, _ := json.Marshal(audit.Changes(nil, acc{"a@x.com", "owner", nil}))
	if string(created) != `{"email":[null,"a@x.com"],"role":[null,"owner"],"sites":[null,null]}` {
		t.Fatalf("Changes(nil, x) = %s", created)
	}
}

func TestRegistry(t *testing.T) {
	if a, ok := audit.Lookup("site.secret_rotate"); !ok || a != audit.SiteSecretRotate || a.Summary() == "" {
		t.Fatalf("Lookup(site.secret_rotate) = %v, %v", a, ok)
	}
	if _, ok := audit.Lookup("site.hack"); ok {
		t.Fatal("an unregistered action was found")
	}
	want := []string{"auth.login", "auth.login_failed", "auth.logout", "auth.setup", "auth.totp_enabled", "auth.totp_disabled",
		"account.create", "account.update", "account.disable", "account.password", "token.create", "token.revoke",
		"site.create", "site.update", "site.disable", "site.delete", "site.secret_rotate", "conversation.export", "conversation.delete"}
	for _, name := range want {
		if _, ok := audit.Lookup(name); !ok {
			t.Errorf("action %s is not registered", name)
		}
	}
	if len(audit.Actions()) < len(want) {
		t.Fatalf("Actions() lists %d", len(audit.Actions()))
	}
}
