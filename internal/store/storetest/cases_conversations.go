package storetest

import (
	"testing"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// convAt makes a session on siteID started at `at`, with the given country and returning flag,
// and the messages in order (user, assistant, user, …); the last assistant's status is status.
func (f *fixture) convAt(siteID string, at time.Time, country string, returning bool, status string, texts ...string) store.Session {
	f.t.Helper()
	v := store.Visitor{ID: newID(), SiteID: siteID, FirstSeen: at, LastSeen: at}
	if _, err := f.s.TouchVisitor(f.ctx, v); err != nil {
		f.t.Fatalf("TouchVisitor: %v", err)
	}
	sess := store.Session{ID: newID(), SiteID: siteID, VisitorID: v.ID, CreatedAt: at, LastSeen: at,
		ExpiresAt: at.Add(time.Hour), UserAgent: "UA", PageURL: "https://shop.example/p/" + country,
		Country: country, Returning: returning}
	if err := f.s.CreateSession(f.ctx, sess); err != nil {
		f.t.Fatalf("CreateSession: %v", err)
	}
	for i, text := range texts {
		role := store.RoleUser
		if i%2 == 1 {
			role = store.RoleAssistant
		}
		m := newMessage(sess, role, text, "", at.Add(time.Duration(i)*time.Second))
		if role == store.RoleAssistant && i == len(texts)-1 && status != store.StatusComplete {
			m.Status, m.ErrorCode = status, "upstream_timeout"
		}
		if _, _, err := f.s.AddMessage(f.ctx, m); err != nil {
			f.t.Fatalf("AddMessage: %v", err)
		}
	}
	return sess
}

func sessionIDs(cs []store.Conversation) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.SessionID
	}
	return out
}

func runConversations(t *testing.T, open Opener) {
	t.Run("ListFiltersAndKeyset", func(t *testing.T) {
		f := newFixture(t, open)
		other := f.addSite("other-" + newID()[24:])
		base := f.now.Add(-10 * 24 * time.Hour).Truncate(time.Second)
		a := f.convAt(f.site.ID, base, "DE", false, store.StatusComplete, "hello a", "answer a")
		b := f.convAt(f.site.ID, base.Add(time.Hour), "FR", true, store.StatusFailed, "hello b", "", "second b", "")
		c := f.convAt(f.site.ID, base.Add(2*time.Hour), "DE", false, "", "hello c") // pending
		o := f.convAt(other.ID, base.Add(3*time.Hour), "DE", false, store.StatusComplete, "other", "x")
		f.sessionOf(f.visitor("")) // no message: not a conversation

		all, err := f.s.ListConversations(f.ctx, store.ConversationFilter{AllSites: true, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := sessionIDs(all), []string{o.ID, c.ID, b.ID, a.ID}; !equalStrings(got, want) {
			t.Fatalf("all = %v, want %v (newest first, no empty session)", got, want)
		}
		gotB := all[2]
		if gotB.SiteID != f.site.ID || gotB.VisitorID != b.VisitorID || gotB.Messages != 4 || gotB.Status != store.StatusFailed ||
			!gotB.Returning || gotB.Country != "FR" || gotB.PageURL != "https://shop.example/p/FR" || gotB.Preview != "hello b" {
			t.Errorf("b = %+v", gotB)
		}
		checkTime(t, "StartedAt", gotB.StartedAt, b.CreatedAt)
		checkTime(t, "LastMessageAt", gotB.LastMessageAt, b.CreatedAt.Add(3*time.Second))
		if all[1].Status != store.ConvPending || all[3].Status != store.StatusComplete {
			t.Errorf("statuses = %q, %q; want pending, complete", all[1].Status, all[3].Status)
		}

		cases := []struct {
			name string
			f    store.ConversationFilter
			want []string
		}{
			{"site", store.ConversationFilter{SiteIDs: []string{f.site.ID}}, []string{c.ID, b.ID, a.ID}},
			{"two sites", store.ConversationFilter{SiteIDs: []string{f.site.ID, other.ID}}, []string{o.ID, c.ID, b.ID, a.ID}},
			{"no site", store.ConversationFilter{SiteIDs: nil}, nil},
			{"from", store.ConversationFilter{AllSites: true, From: base.Add(time.Hour)}, []string{o.ID, c.ID, b.ID}},
			{"to", store.ConversationFilter{AllSites: true, To: base.Add(time.Hour)}, []string{a.ID}},
			{"status failed", store.ConversationFilter{AllSites: true, Status: store.StatusFailed}, []string{b.ID}},
			{"status pending", store.ConversationFilter{AllSites: true, Status: store.ConvPending}, []string{c.ID}},
			{"returning", store.ConversationFilter{AllSites: true, Returning: new(true)}, []string{b.ID}},
			{"not returning", store.ConversationFilter{AllSites: true, Returning: new(false)}, []string{o.ID, c.ID, a.ID}},
			{"country", store.ConversationFilter{SiteIDs: []string{f.site.ID}, Country: "DE"}, []string{c.ID, a.ID}},
			{"after", store.ConversationFilter{AllSites: true, AfterStarted: c.CreatedAt, AfterID: c.ID}, []string{b.ID, a.ID}},
			{"limit", store.ConversationFilter{AllSites: true, Limit: 2}, []string{o.ID, c.ID}},
		}
		for _, tc := range cases {
			got, err := f.s.ListConversations(f.ctx, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if !equalStrings(sessionIDs(got), tc.want) {
				t.Errorf("%s = %v, want %v", tc.name, sessionIDs(got), tc.want)
			}
		}
	})
	t.Run("KeysetTies", func(t *testing.T) {
		f := newFixture(t, open)
		at := f.now.Truncate(time.Second)
		var want []string
		for range 5 { // same start time: the id breaks the tie
			want = append([]string{f.convAt(f.site.ID, at, "", false, store.StatusComplete, "q", "a").ID}, want...)
		}
		var got []string
		filter := store.ConversationFilter{SiteIDs: []string{f.site.ID}, Limit: 2}
		for range 4 {
			page, err := f.s.ListConversations(f.ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, sessionIDs(page)...)
			last := page[len(page)-1]
			filter.AfterStarted, filter.AfterID = last.StartedAt, last.SessionID
		}
		if !equalStrings(got, want) {
			t.Errorf("pages = %v, want %v", got, want)
		}
	})
	t.Run("SessionMessages", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.convAt(f.site.ID, f.now, "", false, store.StatusFailed, "one", "two", "three", "")
		b := f.convAt(f.site.ID, f.now, "", false, store.StatusComplete, "b1", "b2")
		f.convAt(f.site.ID, f.now, "", false, store.StatusComplete, "not asked")
		var got []store.Message
		err := f.s.SessionMessages(f.ctx, []string{a.ID, b.ID}, func(m store.Message) error {
			got = append(got, m)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, m := range got {
			texts = append(texts, m.SessionID[len(m.SessionID)-4:]+":"+m.Content)
		}
		want := []string{a.ID[len(a.ID)-4:] + ":one", a.ID[len(a.ID)-4:] + ":two", a.ID[len(a.ID)-4:] + ":three", a.ID[len(a.ID)-4:] + ":",
			b.ID[len(b.ID)-4:] + ":b1", b.ID[len(b.ID)-4:] + ":b2"}
		if a.ID > b.ID {
			want = append(want[4:], want[:4]...)
		}
		if !equalStrings(texts, want) {
			t.Errorf("messages = %v, want %v", texts, want)
		}
		last := got[3]
		if a.ID > b.ID {
			last = got[5]
		}
		if last.Status != store.StatusFailed || last.ErrorCode != "upstream_timeout" || last.FirstTokenMS != 120 || last.TotalMS != 980 {
			t.Errorf("failed answer = %+v, want status failed, error code, latencies", last)
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
