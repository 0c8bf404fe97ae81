package audit

import "sort"

// Action is one kind of audited event. Values exist only as the variables below, so an
// action that is not in the registry does not compile (the zero Action is refused by Record).
type Action struct {
	name    string
	summary string
}

// String is the action's stable dotted name, e.g. "site.update".
func (a Action) String() string { return a.name }

// Summary is a short human description for the console.
func (a Action) Summary() string { return a.summary }

var registry = map[string]Action{}

func register(name, summary string) Action {
	if _, dup := registry[name]; dup {
		panic("audit: action registered twice: " + name)
	}
	a := Action{name: name, summary: summary}
	registry[name] = a
	return a
}

// Lookup finds a registered action by name (for filters).
func Lookup(name string) (Action, bool) {
	a, ok := registry[name]
	return a, ok
}

// Actions lists every registered action, sorted by name.
func Actions() []Action {
	out := make([]Action, 0, len(registry))
	for _, a := range registry {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// The registry. Add new actions here (analytics, experiments and privacy actions come later).
var (
	AuthLogin          = register("auth.login", "Signed in")
	AuthLoginFailed    = register("auth.login_failed", "Failed to sign in")
	AuthLogout         = register("auth.logout", "Signed out")
	AuthSetup          = register("auth.setup", "Created the first owner with the setup link")
	AuthTOTPEnabled    = register("auth.totp_enabled", "Turned on two-factor sign-in")
	AuthTOTPDisabled   = register("auth.totp_disabled", "Turned off two-factor sign-in")
	AccountCreate      = register("account.create", "Created an account")
	AccountUpdate      = register("account.update", "Changed an account")
	AccountDisable     = register("account.disable", "Disabled an account")
	AccountPassword    = register("account.password", "Changed a password")
	TokenCreate        = register("token.create", "Created an API token")
	TokenRevoke        = register("token.revoke", "Revoked an API token")
	SiteCreate         = register("site.create", "Created a site")
	SiteUpdate         = register("site.update", "Changed a site")
	SiteDisable        = register("site.disable", "Disabled a site")
	SiteDelete         = register("site.delete", "Deleted a site")
	SiteSecretRotate   = register("site.secret_rotate", "Rotated a site's signing secret")
	ConversationExport = register("conversation.export", "Exported conversations")
	ConversationDelete = register("conversation.delete", "Deleted a conversation")
	RetentionPurge     = register("retention.purge", "Removed data past a site's retention")
	SubjectExport      = register("subject.export", "Exported a visitor's data (access request)")
	SubjectErase       = register("subject.erase", "Erased a visitor's data (erasure request)")
	VisitorErase       = register("visitor.erase", "A visitor erased their own conversation")
)
