// Package textnorm cleans visitor text and matches blocklists on a folded form.
//
// Clean is what is stored and sent upstream: controls and bidi overrides removed, NFC.
// Blank says whether a text shows nothing once invisible characters are gone. Fold is the
// form blocklists see: a text written with zero-width characters, full-width or mathematical
// letters, combining marks or non-ASCII spaces folds to the same string as the plain word, so
// those spellings cannot slip past an entry. Go's regexp \s and \b know only ASCII, so word
// entries use boundaries computed here from Unicode letter and digit classes.
package textnorm

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Clean normalises visitor text for storage and forwarding: C0/C1 controls (but newline and
// tab), bidi overrides and isolates (which can disguise text in admin views) and invalid UTF-8
// removed, CRLF to LF, then NFC (after stripping, so removing a character cannot leave a
// non-normalised sequence), surrounding white space trimmed. Zero-width joiners and the like
// are kept: emoji sequences and several scripts need them.
func Clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if strings.IndexFunc(s, stripped) >= 0 {
		s = strings.Map(func(r rune) rune {
			if stripped(r) {
				return -1
			}
			return r
		}, s)
	}
	return strings.TrimSpace(norm.NFC.String(s))
}

func stripped(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == utf8.RuneError
}

// Blank reports whether s shows nothing: it holds only white space (any Unicode space),
// invisible characters (see invisible) and combining marks with no letter to sit on.
func Blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !invisible(r) && !unicode.In(r, unicode.Mn, unicode.Me) {
			return false
		}
	}
	return true
}

// invisible reports characters that render as nothing: controls, format characters (Cf:
// zero-width space and joiners, soft hyphen, word joiner, BOM, bidi marks, tags), the other
// default-ignorable code points (variation selectors, combining grapheme joiner, Hangul
// fillers) and the braille blank, which fonts draw empty.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) ||
		r == 0x2800
}

var folder = cases.Fold()

// Fold returns the form blocklists are matched against: invisible characters removed,
// compatibility-decomposed (NFKD: full-width, mathematical and circled letters, ligatures
// become plain ones), combining marks removed (accents, strike-through overlays), case folded,
// recomposed (NFKC), and every run of white space one ASCII space, trimmed. Two texts that
// read the same fold to the same string; marks that tell words apart in some scripts are lost,
// which a blocklist can afford.
func Fold(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case invisible(r):
			return -1
		}
		return r
	}, s)
	s = norm.NFKD.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Mn, unicode.Me) {
			return -1
		}
		return r
	}, s)
	// Full case folding (ß → ss), then lower case: x/text folds some letters to upper case
	// (Cherokee), and Fold must give one form for every case of a word.
	s = norm.NFKC.String(strings.ToLower(folder.String(s)))
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// foldPattern folds a regular expression's source like Fold folds text, without changing its
// syntax: no case folding (it would turn \S into \s; the pattern is matched case-insensitively
// instead) and no change to white space or ASCII.
func foldPattern(s string) string {
	s = strings.Map(func(r rune) rune {
		if invisible(r) && r != '\t' && r != '\n' {
			return -1
		}
		return r
	}, s)
	s = strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Mn, unicode.Me) {
			return -1
		}
		return r
	}, norm.NFKD.String(s))
	return norm.NFKC.String(s)
}
