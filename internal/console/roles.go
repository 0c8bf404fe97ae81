package console

import (
	"slices"

	"github.com/chatproxy/chatproxy/internal/store"
)

// Roles.
const (
	RoleOwner  = "owner"  // everything, including accounts; always all sites
	RoleAdmin  = "admin"  // edits its sites and reads their conversations
	RoleViewer = "viewer" // reads its sites' conversations and settings, secrets hidden
)

// ValidRole reports whether r is a role.
func ValidRole(r string) bool { return r == RoleOwner || r == RoleAdmin || r == RoleViewer }

// Permission is what a route requires of the caller's role. Site scope is checked on top,
// by the Principal's Can…Site methods, once the handler knows the site.
type Permission int

// Permissions, from the design's role table.
const (
	PermPublic              Permission = iota // no sign-in (login, setup)
	PermSelf                                  // any signed-in account: /me, own password, TOTP, tokens
	PermSitesRead                             // list and read sites
	PermSitesCreate                           // owner, or an admin with all-sites scope
	PermSitesEdit                             // edit, rotate the secret, disable
	PermSitesDelete                           // owner
	PermConversationsRead                     // list, search, transcripts
	PermConversationsExport                   // owner, admin
	PermConversationsDelete                   // owner, admin
	PermAuditRead                             // owner (all), admin (its sites and itself)
	PermAccountsManage                        // owner: accounts, roles, others' tokens
	PermAnalyticsRead                         // the dashboard's numbers of the caller's sites
)

var permNames = map[Permission]string{
	PermPublic: "public", PermSelf: "self", PermSitesRead: "sites.read", PermSitesCreate: "sites.create",
	PermSitesEdit: "sites.edit", PermSitesDelete: "sites.delete", PermConversationsRead: "conversations.read",
	PermConversationsExport: "conversations.export", PermConversationsDelete: "conversations.delete",
	PermAuditRead: "audit.read", PermAccountsManage: "accounts.manage", PermAnalyticsRead: "analytics.read",
}

func (p Permission) String() string { return permNames[p] }

// rolePermissions is the role table. An owner has every permission.
var rolePermissions = map[string][]Permission{
	RoleAdmin: {PermSelf, PermSitesRead, PermSitesCreate, PermSitesEdit, PermConversationsRead,
		PermConversationsExport, PermConversationsDelete, PermAuditRead, PermAnalyticsRead},
	RoleViewer: {PermSelf, PermSitesRead, PermConversationsRead, PermAnalyticsRead},
}

// RoleHas reports whether role grants perm (before any site scope).
func RoleHas(role string, perm Permission) bool {
	switch {
	case perm == PermPublic:
		return true
	case role == RoleOwner:
		return true
	}
	return slices.Contains(rolePermissions[role], perm)
}

// How a request was authenticated.
const (
	ViaCookie = "cookie"
	ViaToken  = "token"
)

// Principal is the signed-in caller of one request.
type Principal struct {
	Account store.Account
	Via     string // ViaCookie or ViaToken
	// SessionHash identifies the cookie session (ViaCookie); TokenID the API token (ViaToken).
	SessionHash string
	TokenID     string
	csrf        string // the cookie session's CSRF token
}

// ID is the account id.
func (p *Principal) ID() string { return p.Account.ID }

// Label names the caller in the audit log.
func (p *Principal) Label() string { return p.Account.Email }

// Role is the account's role.
func (p *Principal) Role() string { return p.Account.Role }

// IsOwner reports whether the caller is an owner.
func (p *Principal) IsOwner() bool { return p.Account.Role == RoleOwner }

// Can reports whether the caller's role grants perm.
func (p *Principal) Can(perm Permission) bool { return RoleHas(p.Account.Role, perm) }

// AllSites reports whether the caller's scope is every site (owners always).
func (p *Principal) AllSites() bool { return p.IsOwner() || p.Account.AllSites }

// InScope reports whether siteID is within the caller's site scope.
func (p *Principal) InScope(siteID string) bool {
	return p.AllSites() || slices.Contains(p.Account.Sites, siteID)
}

// SiteScope is the scope for filtering lists in SQL: all=true, or the site ids.
func (p *Principal) SiteScope() (ids []string, all bool) {
	if p.AllSites() {
		return nil, true
	}
	return slices.Clone(p.Account.Sites), false
}

// CanReadSite: the site's settings (secrets are never returned to anyone).
func (p *Principal) CanReadSite(siteID string) bool {
	return p.Can(PermSitesRead) && p.InScope(siteID)
}

// CanEditSite: change its settings, rotate its secret, disable it.
func (p *Principal) CanEditSite(siteID string) bool {
	return p.Can(PermSitesEdit) && p.InScope(siteID)
}

// CanCreateSite: owners, and admins whose scope is every site (a new site would otherwise
// fall outside the creator's own scope).
func (p *Principal) CanCreateSite() bool { return p.Can(PermSitesCreate) && p.AllSites() }

// CanDeleteSite: owners only.
func (p *Principal) CanDeleteSite(siteID string) bool {
	return p.Can(PermSitesDelete) && p.InScope(siteID)
}

// CanReadConversations: list, search and read transcripts of the site.
func (p *Principal) CanReadConversations(siteID string) bool {
	return p.Can(PermConversationsRead) && p.InScope(siteID)
}

// CanExportConversations: export the site's conversations.
func (p *Principal) CanExportConversations(siteID string) bool {
	return p.Can(PermConversationsExport) && p.InScope(siteID)
}

// CanDeleteConversation: delete one of the site's conversations.
func (p *Principal) CanDeleteConversation(siteID string) bool {
	return p.Can(PermConversationsDelete) && p.InScope(siteID)
}

// SeesWebhookURL: viewers read settings without the webhook URL.
func (p *Principal) SeesWebhookURL() bool { return p.Account.Role != RoleViewer }

// AuditScope is the part of the audit log the caller reads: nil (all) for owners, else the
// entries about its sites (any site with all-sites scope) and its own.
func (p *Principal) AuditScope() *store.AuditScope {
	if p.IsOwner() {
		return nil
	}
	ids, all := p.SiteScope()
	return &store.AuditScope{SiteIDs: ids, AnySite: all, ScopeActor: p.Account.ID}
}
