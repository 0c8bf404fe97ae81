package sitecfg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
)

// SyncFileSites stores the configured sites (managed_by "file") so the console lists them and
// other replicas see them; a console site with the id of a configured one becomes a file
// site (the file wins, with a warning).
func (s *Service) SyncFileSites(ctx context.Context) error {
	now := s.opts.Now().UTC()
	recs := make([]store.SiteRecord, 0, len(s.file))
	for _, f := range s.file {
		settings, err := json.Marshal(f.Site)
		if err != nil {
			return err
		}
		recs = append(recs, store.SiteRecord{ID: f.ID, Name: f.Name, Settings: settings, Public: f.PublicJSON, CreatedAt: now, UpdatedAt: now})
	}
	tookOver, err := s.opts.Store.SyncFileSites(ctx, recs)
	if err != nil {
		return fmt.Errorf("store the configured sites: %w", err)
	}
	for _, id := range tookOver {
		s.opts.Log.Warn("a site of the sites file has the id of a console site: the file's settings now apply and the console's copy (with its signing keys) is gone", "site", id)
	}
	return nil
}

// Reload reads the sites table, compiles the enabled console sites (reusing those whose
// version did not change) and publishes them after the configured sites. A console site
// that fails to compile (its keys cannot be opened: a field key was removed) is left out
// and logged; the others are served.
func (s *Service) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The stamp is read first: a change committed after it makes the next check reload again.
	stamp, err := s.opts.Store.SiteStamp(ctx)
	if err != nil {
		return err
	}
	recs, err := s.opts.Store.ListSiteRecords(ctx)
	if err != nil {
		return err
	}
	next := make(map[string]compiledSite, len(recs))
	served := append(make([]*site.Site, 0, len(s.file)+len(recs)), s.file...)
	for _, r := range recs {
		if r.ManagedBy != store.ManagedByConsole || r.Disabled || s.fileID[r.ID] {
			continue
		}
		c, ok := s.compiled[r.ID]
		if !ok || c.version != r.Version || s.previousExpired(c.site) {
			st, err := s.compile(r)
			if err != nil {
				s.opts.Log.Error("console site not served: it cannot be compiled", "site", r.ID, "err", err)
				continue
			}
			c = compiledSite{version: r.Version, site: st}
		}
		next[r.ID] = c
		served = append(served, c.site)
	}
	s.opts.Registry.Publish(served)
	s.compiled, s.stamp, s.loaded = next, stamp, true
	if s.opts.OnPublish != nil {
		s.opts.OnPublish(served)
	}
	return nil
}

// previousExpired: a site compiled with a previous key past its end is compiled again, so
// the key is dropped from the JWKS without waiting for a write.
func (s *Service) previousExpired(st *site.Site) bool {
	return st.Target.Previous != nil && !s.opts.Now().Before(st.Target.PreviousUntil)
}

func (s *Service) compile(r store.SiteRecord) (*site.Site, error) {
	var cs config.Site
	if err := json.Unmarshal(r.Settings, &cs); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	ks, err := openKeySet(s.opts.Cipher, r.ID, r.SecretsEnc)
	if err != nil {
		return nil, err
	}
	keys, err := ks.signers(cs.Signing.TTL, s.opts.Now())
	if err != nil {
		return nil, err
	}
	return site.CompileManaged(cs, keys)
}

// reloadAfterWrite publishes this replica's own change at once (its next request sees it);
// the others follow on the notification. A failure is logged: the periodic check retries.
func (s *Service) reloadAfterWrite(ctx context.Context) {
	if err := s.Reload(context.WithoutCancel(ctx)); err != nil {
		s.opts.Log.Warn("reloading sites after a change failed; the periodic check retries", "err", err)
	}
}

// Run keeps the registry in step with the table until ctx ends: it reloads on every change
// signal and whenever the periodic check finds the stamp changed (or a previous key expired).
func (s *Service) Run(ctx context.Context) {
	changes := s.opts.Store.WatchSites(ctx)
	tick := time.NewTicker(s.opts.PollEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				changes = nil // ctx ended; the next select returns
				continue
			}
			s.reloadLogged(ctx, "notification")
		case <-tick.C:
			if s.stale(ctx) {
				s.reloadLogged(ctx, "periodic check")
			}
		}
	}
}

// stale reports whether the table changed since the last reload, or a served site's previous
// key has expired.
func (s *Service) stale(ctx context.Context) bool {
	stamp, err := s.opts.Store.SiteStamp(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.opts.Log.Warn("checking the sites table failed", "err", err)
		}
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded || stamp != s.stamp {
		return true
	}
	for _, c := range s.compiled {
		if s.previousExpired(c.site) {
			return true
		}
	}
	return false
}

func (s *Service) reloadLogged(ctx context.Context, why string) {
	if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
		s.opts.Log.Warn("reloading sites failed; retrying at the next check", "trigger", why, "err", err)
	}
}

// KeyInfo describes the signing keys of every console site (for `chatproxy keys show`),
// without their material, ordered by id.
func (s *Service) KeyInfo(ctx context.Context) (map[string]SecretInfo, []string, error) {
	recs, err := s.opts.Store.ListSiteRecords(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]SecretInfo{}
	var ids []string
	for _, r := range recs {
		if r.ManagedBy != store.ManagedByConsole {
			continue
		}
		ks, err := openKeySet(s.opts.Cipher, r.ID, r.SecretsEnc)
		if err != nil {
			return nil, nil, err
		}
		out[r.ID] = ks.info(s.opts.Now())
		ids = append(ids, r.ID)
	}
	return out, ids, nil
}

// Reseal rewrites the sealed keys of every console site that reseal changes (those not sealed
// with the primary field key), so the older field key can leave CHATPROXY_ENCRYPTION_KEYS
// (`chatproxy keys reencrypt`). A site changed meanwhile is read again.
func (s *Service) Reseal(ctx context.Context, reseal store.ResealFunc) (checked, rewritten int, err error) {
	recs, err := s.opts.Store.ListSiteRecords(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, r := range recs {
		if r.ManagedBy != store.ManagedByConsole {
			continue
		}
		checked++
		for attempt := 0; ; attempt++ {
			fresh, changed, err := reseal(r.SecretsEnc, store.SiteSecretsAAD(r.ID))
			if err != nil {
				return checked, rewritten, fmt.Errorf("site %s: %w", r.ID, err)
			}
			if !changed {
				break
			}
			r.SecretsEnc, r.UpdatedAt = fresh, s.opts.Now().UTC()
			_, err = s.opts.Store.UpdateSiteRecord(ctx, r)
			if err == nil {
				rewritten++
				break
			}
			if !errors.Is(err, store.ErrVersionMismatch) || attempt > 2 {
				return checked, rewritten, fmt.Errorf("site %s: %w", r.ID, err)
			}
			if r, err = s.opts.Store.GetSiteRecord(ctx, r.ID); err != nil {
				return checked, rewritten, fmt.Errorf("site %s: %w", r.ID, err)
			}
		}
	}
	if rewritten > 0 {
		s.reloadAfterWrite(ctx)
	}
	return checked, rewritten, nil
}
