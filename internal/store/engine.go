package store

import (
	"bytes"
	"fmt"
)

// Limits shared by the engines.
const (
	DefaultPageLimit      = 50
	MaxPageLimit          = 200
	DefaultReencryptBatch = 500
	MaxReencryptBatch     = 5000
)

// PageLimit clamps a requested page size.
func PageLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultPageLimit
	case n > MaxPageLimit:
		return MaxPageLimit
	}
	return n
}

// ReencryptLimit clamps a re-encryption batch size.
func ReencryptLimit(n int) int {
	if n <= 0 {
		return DefaultReencryptBatch
	}
	return min(n, MaxReencryptBatch)
}

// Resealed is one row's new sealed values, with the old ones kept for compare-and-swap.
type Resealed struct {
	ID       string
	Old, New [2][]byte
}

// ResealSession fills r.New with the session's resealed personal fields (user agent, page URL),
// or the old bytes for a field left alone, and reports whether any changed.
func ResealSession(sess Session, r *Resealed, reseal ResealFunc) (bool, error) {
	fields := [2]string{"user_agent", "page_url"}
	anyChanged := false
	for i, field := range fields {
		fresh, changed, err := reseal(r.Old[i], SessionAAD(sess, field))
		if err != nil {
			return false, fmt.Errorf("%s: %w", field, err)
		}
		r.New[i] = r.Old[i]
		if changed && !bytes.Equal(fresh, r.Old[i]) {
			r.New[i], anyChanged = fresh, true
		}
	}
	return anyChanged, nil
}
