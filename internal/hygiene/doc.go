// Package hygiene tests the rules the repository keeps about itself.
//
// It has no code of its own. Its tests read the source tree and the Makefile: every package
// has a short doc comment, `make fuzz` runs every fuzz target, and the docs and comments cite
// only things this repository defines. A new package or fuzz target that breaks a rule fails
// `make test` instead of waiting for a reviewer to notice.
package hygiene
