package sitecfg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/site"
	"github.com/chatproxy/chatproxy/internal/store"
	"github.com/chatproxy/chatproxy/internal/upstream"
)

// List returns every stored site the filter keeps (nil keeps all), ordered by id.
func (s *Service) List(ctx context.Context, keep func(id string) bool) ([]View, error) {
	recs, err := s.opts.Store.ListSiteRecords(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(recs))
	for _, r := range recs {
		if keep != nil && !keep(r.ID) {
			continue
		}
		v, err := s.view(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Get returns one site; apierr.NotFound when unknown.
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	r, err := s.opts.Store.GetSiteRecord(ctx, id)
	if err != nil {
		return View{}, storeError(err)
	}
	return s.view(r)
}

// Create stores a console site from its JSON form and returns it with its new key.
func (s *Service) Create(ctx context.Context, body []byte) (Created, error) {
	doc, err := parseDocument(body)
	if err != nil {
		return Created{}, err
	}
	for _, k := range readOnly {
		if _, ok := doc[k]; ok {
			return Created{}, apierr.InvalidRequest(k + " is set by the server.")
		}
	}
	disabled, err := takeDisabled(doc)
	if err != nil {
		return Created{}, err
	}
	cs, err := decodeSettings(doc)
	if err != nil {
		return Created{}, err
	}
	if cs.Signing.KID != "" {
		return Created{}, apierr.InvalidRequest("signing.kid is set by the server: each key gets its own.")
	}
	if s.fileID[cs.ID] {
		return Created{}, apierr.SiteExists()
	}
	if err := s.check(ctx, cs, nil); err != nil {
		return Created{}, err
	}
	now := s.opts.Now().UTC()
	k, shown, err := newKey(cs.Signing.Algorithm, cs.ID, now)
	if err != nil {
		return Created{}, err
	}
	ks := keySet{Current: k}
	cs.Signing.KID = k.KID
	rec, err := s.record(cs, ks, disabled)
	if err != nil {
		return Created{}, err
	}
	rec.CreatedAt, rec.UpdatedAt = now, now
	stored, err := s.opts.Store.CreateSiteRecord(ctx, rec)
	if err != nil {
		return Created{}, storeError(err)
	}
	s.reloadAfterWrite(ctx)
	v, err := s.view(stored)
	return Created{Site: v, Secret: shown}, err
}

// Update applies a JSON merge patch (RFC 7396) to a console site's editable form (its
// settings and "disabled"). It returns the site before and after.
func (s *Service) Update(ctx context.Context, id string, patch []byte, pre Precondition) (before, after View, err error) {
	p, err := parseDocument(patch)
	if err != nil {
		return View{}, View{}, err
	}
	rec, ks, err := s.consoleRecord(ctx, id, pre)
	if err != nil {
		return View{}, View{}, err
	}
	if before, err = s.view(rec); err != nil {
		return View{}, View{}, err
	}
	current := asDocument(before)
	merged := mergePatch(asDocument(before), p).(document)
	for _, k := range append([]string{"id"}, readOnly...) {
		if !reflect.DeepEqual(merged[k], current[k]) {
			if k == "id" {
				return View{}, View{}, apierr.InvalidRequest("id cannot change: create a new site instead.")
			}
			return View{}, View{}, apierr.InvalidRequest(k + " is set by the server.")
		}
		delete(merged, k)
	}
	merged["id"] = id
	disabled, err := takeDisabled(merged)
	if err != nil {
		return View{}, View{}, err
	}
	cs, err := decodeSettings(merged)
	if err != nil {
		return View{}, View{}, err
	}
	if cs.Signing.Algorithm != before.Signing.Algorithm {
		return View{}, View{}, apierr.InvalidRequest(`signing.algorithm changes with a new key: POST …/rotate-secret {"algorithm": "` + cs.Signing.Algorithm + `"}.`)
	}
	if cs.Signing.KID != before.Signing.KID {
		return View{}, View{}, apierr.InvalidRequest("signing.kid is set by the server: each key gets its own.")
	}
	if unchanged(cs, before.Site) && disabled == before.Disabled {
		return before, before, nil // nothing to write: the version (ETag) stays
	}
	if err := s.check(ctx, cs, &before.Site); err != nil {
		return View{}, View{}, err
	}
	after, err = s.write(ctx, rec, cs, ks, disabled)
	return before, after, err
}

// Rotate gives a console site a new signing key (of algorithm alg, "" = the same). The key it
// replaces keeps signing retries for Overlap unless revoke ends it now.
func (s *Service) Rotate(ctx context.Context, id, alg string, revoke bool, pre Precondition) (before View, out Created, err error) {
	rec, err := s.consoleRow(ctx, id, pre)
	if err != nil {
		return View{}, Created{}, err
	}
	ks, err := openKeySet(s.opts.Cipher, id, rec.SecretsEnc)
	if err != nil {
		// The keys were sealed with a field key that is gone: only a fresh start can help.
		if !revoke {
			return View{}, Created{}, apierr.InvalidRequest("The site's current key cannot be opened (its field key was removed): rotate with revoke_previous.")
		}
		ks = keySet{}
	}
	if before, err = s.view(rec); err != nil {
		return View{}, Created{}, err
	}
	cs := before.Site
	if alg == "" {
		alg = cs.Signing.Algorithm
	}
	if alg != "HS256" && alg != "ES256" {
		return View{}, Created{}, apierr.InvalidRequest("algorithm must be HS256 or ES256.")
	}
	next, shown, err := ks.rotate(alg, id, s.opts.Now(), Overlap, revoke)
	if err != nil {
		return View{}, Created{}, err
	}
	cs.Signing.Algorithm, cs.Signing.KID = alg, next.Current.KID
	after, err := s.write(ctx, rec, cs, next, rec.Disabled)
	return before, Created{Site: after, Secret: shown}, err
}

// Delete removes a disabled console site with its conversations; it returns the site as it was.
func (s *Service) Delete(ctx context.Context, id string, pre Precondition) (View, error) {
	rec, err := s.consoleRow(ctx, id, pre)
	if err != nil {
		return View{}, err
	}
	if !rec.Disabled {
		return View{}, apierr.SiteEnabled()
	}
	v, err := s.view(rec)
	if err != nil {
		return View{}, err
	}
	if err := s.opts.Store.DeleteSiteRecord(ctx, id, rec.Version); err != nil {
		return View{}, storeError(err)
	}
	s.reloadAfterWrite(ctx)
	return v, nil
}

func unchanged(a, b config.Site) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// consoleRow reads a console site, checking the caller's precondition.
func (s *Service) consoleRow(ctx context.Context, id string, pre Precondition) (store.SiteRecord, error) {
	rec, err := s.opts.Store.GetSiteRecord(ctx, id)
	if err != nil {
		return store.SiteRecord{}, storeError(err)
	}
	if rec.ManagedBy != store.ManagedByConsole {
		return store.SiteRecord{}, apierr.SiteManagedByFile()
	}
	if pre != nil && !pre(rec.Version) {
		return store.SiteRecord{}, apierr.PreconditionFailed()
	}
	return rec, nil
}

// consoleRecord is consoleRow with the site's keys opened.
func (s *Service) consoleRecord(ctx context.Context, id string, pre Precondition) (store.SiteRecord, keySet, error) {
	rec, err := s.consoleRow(ctx, id, pre)
	if err != nil {
		return store.SiteRecord{}, keySet{}, err
	}
	ks, err := openKeySet(s.opts.Cipher, id, rec.SecretsEnc)
	return rec, ks, err
}

// write stores the new state of a console site at the version read (nothing is written if
// it changed meanwhile: 412) and reloads.
func (s *Service) write(ctx context.Context, rec store.SiteRecord, cs config.Site, ks keySet, disabled bool) (View, error) {
	next, err := s.record(cs, ks, disabled)
	if err != nil {
		return View{}, err
	}
	next.Version, next.CreatedAt, next.UpdatedAt = rec.Version, rec.CreatedAt, s.opts.Now().UTC()
	stored, err := s.opts.Store.UpdateSiteRecord(ctx, next)
	if err != nil {
		return View{}, storeError(err)
	}
	s.reloadAfterWrite(ctx)
	return s.view(stored)
}

// record builds the row of a console site: settings, public config and sealed keys. The site
// is compiled as the registry would, so what is stored can be served.
func (s *Service) record(cs config.Site, ks keySet, disabled bool) (store.SiteRecord, error) {
	keys, err := ks.signers(cs.Signing.TTL, s.opts.Now())
	if err != nil {
		return store.SiteRecord{}, err
	}
	compiled, err := site.CompileManaged(cs, keys)
	if err != nil {
		return store.SiteRecord{}, apierr.InvalidRequest(err.Error())
	}
	settings, err := json.Marshal(cs)
	if err != nil {
		return store.SiteRecord{}, err
	}
	sealed, err := ks.seal(s.opts.Cipher, cs.ID)
	if err != nil {
		return store.SiteRecord{}, err
	}
	return store.SiteRecord{ID: cs.ID, Name: cs.Name, ManagedBy: store.ManagedByConsole, Disabled: disabled,
		Settings: settings, Public: compiled.PublicJSON, SecretsEnc: sealed}, nil
}

// check applies the rules of the sites file, the SSRF rule to a new or changed webhook URL,
// and refuses origins another site already serves (a site could otherwise take over another
// site's visitors, whose widget finds its site by Origin).
func (s *Service) check(ctx context.Context, cs config.Site, before *config.Site) error {
	if len(cs.AllowedOrigins) == 0 {
		return apierr.InvalidRequest("allowed_origins must list at least one origin.")
	}
	if err := config.ValidateSite(cs); err != nil {
		return apierr.InvalidRequest(err.Error() + ".")
	}
	if before == nil || before.WebhookURL != cs.WebhookURL {
		rctx, cancel := context.WithTimeout(ctx, ResolveTimeout)
		defer cancel()
		if err := upstream.ValidateUntrustedURLWith(rctx, cs.WebhookURL, s.opts.AllowPrivateUpstream, s.opts.Resolver); err != nil {
			msg := err.Error() + "."
			if errors.Is(err, upstream.ErrBlockedAddress) {
				msg = "The webhook URL points at a private, loopback, link-local or metadata address (set CHATPROXY_ALLOW_PRIVATE_UPSTREAM=true for development)."
			}
			return apierr.WebhookNotAllowed(msg)
		}
	}
	return s.checkOrigins(cs)
}

func (s *Service) checkOrigins(cs config.Site) error {
	for _, other := range s.opts.Registry.All() {
		if other.ID == cs.ID {
			continue
		}
		for _, pat := range cs.AllowedOrigins {
			if slices.Contains(other.AllowedOrigins, pat) || (!strings.Contains(pat, "*") && other.Origins.Allows(pat)) {
				return apierr.InvalidRequest("allowed_origins: " + pat + " is already served by another site.")
			}
		}
	}
	return nil
}

// view builds the API form of a stored site.
func (s *Service) view(r store.SiteRecord) (View, error) {
	v := View{ManagedBy: r.ManagedBy, Version: r.Version, Disabled: r.Disabled, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if len(r.Settings) > 0 {
		if err := json.Unmarshal(r.Settings, &v.Site); err != nil {
			return View{}, fmt.Errorf("settings of site %s: %w", r.ID, err)
		}
	}
	v.ID = r.ID
	normalize(&v.Site)
	if v.Name == "" {
		v.Name = r.Name
	}
	v.Secret = SecretInfo{Algorithm: v.Signing.Algorithm, KID: v.Signing.KID}
	if r.ManagedBy == store.ManagedByConsole {
		// A site whose keys cannot be opened (its field key was removed) is still listed, with
		// what its settings say; it is not served (Reload logs why) until it is rotated.
		if ks, err := openKeySet(s.opts.Cipher, r.ID, r.SecretsEnc); err == nil {
			v.Secret = ks.info(s.opts.Now())
		} else {
			s.opts.Log.Error("the signing keys of a console site cannot be opened", "site", r.ID, "err", err)
		}
		return v, nil
	}
	if live, ok := s.opts.Registry.Get(r.ID); ok && live.Trusted {
		v.Secret.KID = live.Target.Signer.KeyID()
	}
	return v, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func splitComma(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
