package store

import (
	"context"
	"errors"
	"time"
)

// Who manages a site.
const (
	ManagedByFile    = "file"    // the sites file or the environment: read-only in the console
	ManagedByConsole = "console" // created in the console
)

// Errors of site writes, for errors.Is.
var (
	// ErrVersionMismatch means the site changed since the caller read the version it passed.
	ErrVersionMismatch = errors.New("store: version mismatch")
	// ErrManagedByFile means the console tried to change a site from the sites file.
	ErrManagedByFile = errors.New("store: site managed by the sites file")
)

// SiteRecord is a site as stored for the console and for every replica's registry.
type SiteRecord struct {
	ID        string
	Name      string
	ManagedBy string // ManagedByFile or ManagedByConsole
	// Version changes with every write of the row and is greater than every version the
	// table held before (the ETag of the console's sites API).
	Version  int64
	Disabled bool
	Settings []byte // JSON: the site's whole configuration without secrets
	Public   []byte // JSON: the public widget config (what Site.Config holds)
	// SecretsEnc holds the signing keys of a console site, sealed by the caller; nil for file
	// sites.
	SecretsEnc []byte
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// SiteStamp sums up the sites table so that any committed change changes it: a write raises
// its row's version above every earlier one, so the sum of versions grows with each update
// and create, even when transactions commit out of version order (which defeats max alone),
// and a delete lowers the count.
type SiteStamp struct {
	Count      int64
	SumVersion int64
	MaxVersion int64
}

// SiteRecords is the sites table as the console and the hot reload use it. Every write is one
// transaction, gives the row a new version and signals the change to WatchSites (PostgreSQL:
// NOTIFY chatproxy_sites, delivered to every replica at commit).
type SiteRecords interface {
	// ListSiteRecords returns every site ordered by id.
	ListSiteRecords(ctx context.Context) ([]SiteRecord, error)
	// GetSiteRecord returns ErrNotFound for an unknown id.
	GetSiteRecord(ctx context.Context, id string) (SiteRecord, error)
	// CreateSiteRecord inserts a console site (ManagedBy is set to console) and returns it as
	// stored, with its version. ErrConflict when the id is taken, by any site.
	CreateSiteRecord(ctx context.Context, r SiteRecord) (SiteRecord, error)
	// UpdateSiteRecord replaces the name, settings, public config, disabled flag and secrets
	// of the console site r.ID if its version is still r.Version, and returns it as stored.
	// ErrNotFound, ErrManagedByFile, or ErrVersionMismatch (nothing is written).
	UpdateSiteRecord(ctx context.Context, r SiteRecord) (SiteRecord, error)
	// DeleteSiteRecord removes the console site id at version, with its visitors, sessions,
	// messages and events. ErrNotFound, ErrManagedByFile or ErrVersionMismatch.
	DeleteSiteRecord(ctx context.Context, id string, version int64) error
	// SyncFileSites stores the sites of the sites file and the environment (ManagedBy file,
	// enabled) in one transaction: new ones are inserted, changed ones rewritten (a console
	// site with the same id becomes a file site: the file wins), unchanged ones left alone.
	// File sites stored earlier that sites no longer lists are marked disabled. It returns
	// the ids of console sites that became file sites.
	SyncFileSites(ctx context.Context, sites []SiteRecord) (tookOver []string, err error)
	// SiteStamp reads the table's stamp (the hot reload's periodic check).
	SiteStamp(ctx context.Context) (SiteStamp, error)
	// WatchSites returns a channel that receives a value soon after sites change: every
	// change on PostgreSQL (LISTEN on a connection of its own, reconnecting; a value is also
	// sent after each reconnection, as notifications may have been missed), this process's
	// changes on SQLite. Values coalesce. The channel is closed when ctx ends.
	WatchSites(ctx context.Context) <-chan struct{}
}

// SiteSecretsAAD binds a console site's sealed signing keys to the site.
func SiteSecretsAAD(siteID string) string { return "site-secrets|" + siteID }
