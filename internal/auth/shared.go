package auth

// Support for a keyring shared by several replicas (kept in a database by package keys): the
// whole set is swapped on reload, and a token naming a kid this replica has not seen yet can
// trigger a reload before it is refused.

// Replace publishes a new keyring at once: active signs, others verify until their NotAfter.
// It is meant for reloads from shared storage, where the stored set is the truth; a failed
// check leaves the current keyring in place.
func (ks *Keys) Replace(active Key, others ...Key) error {
	set, err := newKeySet(active, others)
	if err != nil {
		return err
	}
	ks.rotate.Lock()
	defer ks.rotate.Unlock()
	ks.current.Store(set)
	return nil
}

// OnUnknownKID installs refresh, which Verify calls when a token names a well-formed kid the
// keyring does not hold; the lookup is then tried once more. Another replica may have just
// rotated, and this lets its tokens verify here at once instead of after the next periodic
// reload. refresh runs before any signature check, so anyone can trigger it: it must limit
// its own rate, and it may block only briefly. nil removes the hook.
func (ks *Keys) OnUnknownKID(refresh func()) {
	if refresh == nil {
		ks.unknown.Store(nil)
		return
	}
	ks.unknown.Store(&refresh)
}

// refreshFor runs the unknown-kid hook (if any) and looks kid up again.
func (ks *Keys) refreshFor(kid string) (Key, bool) {
	refresh := ks.unknown.Load()
	if refresh == nil || checkKID(kid) != nil {
		return Key{}, false
	}
	(*refresh)()
	k, ok := ks.current.Load().byKID[kid]
	return k, ok
}
