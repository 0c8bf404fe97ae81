package textnorm

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Blocklist is a site's compiled blocklist. Entries are words or phrases, matched as whole
// words, or "/regular expressions/"; both see the folded text (see Fold), case-insensitively.
// A nil Blocklist matches nothing.
type Blocklist struct {
	words []string
	res   []*regexp.Regexp
}

// CompileBlocklist compiles the entries; an invalid regular expression is an error.
func CompileBlocklist(entries []string) (*Blocklist, error) {
	b := &Blocklist{}
	for _, e := range entries {
		if len(e) > 2 && strings.HasPrefix(e, "/") && strings.HasSuffix(e, "/") {
			re, err := regexp.Compile("(?i)" + foldPattern(e[1:len(e)-1]))
			if err != nil {
				return nil, fmt.Errorf("%q: %w", e, err)
			}
			b.res = append(b.res, re)
			continue
		}
		if w := Fold(e); w != "" {
			b.words = append(b.words, w)
		}
	}
	return b, nil
}

// Match reports whether the text contains a blocked word or matches a blocked expression.
func (b *Blocklist) Match(text string) bool {
	if b == nil || (len(b.words) == 0 && len(b.res) == 0) {
		return false
	}
	folded := Fold(text)
	for _, w := range b.words {
		if containsWord(folded, w) {
			return true
		}
	}
	for _, re := range b.res {
		if re.MatchString(folded) {
			return true
		}
	}
	return false
}

// containsWord reports whether word occurs in text with a word boundary at each end.
func containsWord(text, word string) bool {
	first, _ := utf8.DecodeRuneInString(word)
	last, _ := utf8.DecodeLastRuneInString(word)
	for from := 0; from <= len(text)-len(word); {
		i := strings.Index(text[from:], word)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(word)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (start == 0 || boundary(before, first)) && (end == len(text) || boundary(last, after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		from = start + size
	}
	return false
}

// boundary reports a word boundary between adjacent runes a and b: one of them is not part of
// a word (letters, digits and spacing marks of any script, and "_", as in \w), or one is
// written in a script without spaces between words, where any position may be a boundary.
func boundary(a, b rune) bool {
	return !wordRune(a) || !wordRune(b) || unspaced(a) || unspaced(b)
}

func wordRune(r rune) bool {
	return r == '_' || unicode.In(r, unicode.L, unicode.Nd, unicode.Mc)
}

// unspaced reports scripts written without spaces between words (Chinese, Japanese, Thai,
// Lao, Khmer, Myanmar): a word there is found as a substring.
func unspaced(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar)
}
