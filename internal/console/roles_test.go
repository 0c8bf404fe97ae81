package console

import (
	"testing"

	"github.com/chatproxy/chatproxy/internal/store"
)

// TestRoleTable is the design's table, row by row.
func TestRoleTable(t *testing.T) {
	want := map[Permission][3]bool{ // owner, admin, viewer
		PermPublic:              {true, true, true},
		PermSelf:                {true, true, true},
		PermSitesRead:           {true, true, true},
		PermSitesCreate:         {true, true, false},
		PermSitesEdit:           {true, true, false},
		PermSitesDelete:         {true, false, false},
		PermConversationsRead:   {true, true, true},
		PermConversationsExport: {true, true, false},
		PermConversationsDelete: {true, true, false},
		PermAuditRead:           {true, true, false},
		PermAccountsManage:      {true, false, false},
	}
	for perm, w := range want {
		for i, role := range []string{RoleOwner, RoleAdmin, RoleViewer} {
			if got := RoleHas(role, perm); got != w[i] {
				t.Errorf("%s has %s = %v, want %v", role, perm, got, w[i])
			}
		}
		if perm != PermPublic && RoleHas("root", perm) {
			t.Errorf("an unknown role has %s", perm)
		}
	}
}

func TestPrincipalScope(t *testing.T) {
	scoped := &Principal{Account: store.Account{ID: "a", Role: RoleAdmin, Sites: []string{"shop"}}}
	allAdmin := &Principal{Account: store.Account{ID: "b", Role: RoleAdmin, AllSites: true}}
	viewer := &Principal{Account: store.Account{ID: "c", Role: RoleViewer, Sites: []string{"shop"}}}
	owner := &Principal{Account: store.Account{ID: "d", Role: RoleOwner, Sites: []string{}}}
	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"scoped admin edits its site", scoped.CanEditSite("shop"), true},
		{"scoped admin edits another", scoped.CanEditSite("blog"), false},
		{"scoped admin creates", scoped.CanCreateSite(), false},
		{"all-sites admin creates", allAdmin.CanCreateSite(), true},
		{"admin deletes a site", allAdmin.CanDeleteSite("shop"), false},
		{"viewer reads its site", viewer.CanReadSite("shop"), true},
		{"viewer reads conversations", viewer.CanReadConversations("shop"), true},
		{"viewer reads another site's", viewer.CanReadConversations("blog"), false},
		{"viewer edits", viewer.CanEditSite("shop"), false},
		{"viewer exports", viewer.CanExportConversations("shop"), false},
		{"viewer sees the webhook URL", viewer.SeesWebhookURL(), false},
		{"owner has every site whatever its list says", owner.CanDeleteSite("anything"), true},
		{"admin deletes a conversation", scoped.CanDeleteConversation("shop"), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if owner.AuditScope() != nil {
		t.Error("an owner's audit reads are scoped")
	}
	if sc := scoped.AuditScope(); sc == nil || sc.AnySite || len(sc.SiteIDs) != 1 || sc.ScopeActor != "a" {
		t.Errorf("scoped admin's audit scope = %+v", sc)
	}
	if sc := allAdmin.AuditScope(); sc == nil || !sc.AnySite {
		t.Errorf("all-sites admin's audit scope = %+v", sc)
	}
}
