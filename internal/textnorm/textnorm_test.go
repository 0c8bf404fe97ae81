package textnorm

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"  hi\r\nthere \u0000\u0007": "hi\nthere",
		"e\u0301":                    "é", // NFC
		"a\u202eb\u2066c\u2069":      "abc",
		"\u00a0\u3000 x \u2003":      "x",
		"👨\u200d👩\u200d👧":            "👨\u200d👩\u200d👧", // joiners of an emoji sequence stay
		"tab\tkept":                  "tab\tkept",
		"bad \xff byte":              "bad  byte",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBlank(t *testing.T) {
	for _, s := range []string{"", " ", "\u200b", "\u200b\u200c\u200d\u2060\ufeff\u00ad", "\u00a0\u3000\u2003\u202f\u205f",
		"\u180e", "\u3164\u115f\u1160\uffa0", "\u2800", "\u034f", "\ufe0f", "\u0301\u0336", "\U000E0020\U000E007F", "\u200e\u200f\u061c"} {
		if !Blank(s) {
			t.Errorf("Blank(%q) = false", s)
		}
	}
	for _, s := range []string{"a", "\u200ba", "👍", "。", "\u0301a", "0", "ـ"} {
		if Blank(s) {
			t.Errorf("Blank(%q) = true", s)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"CASINO":                      "casino",
		"ca\u200bsi\u00adno":          "casino",
		"ｃａｓｉｎｏ":                      "casino",
		"𝐜𝐚𝐬𝐢𝐧𝐨":                      "casino",
		"ⓒⓐⓢⓘⓝⓞ":                      "casino",
		"c\u0336a\u0336s\u0336":       "cas",
		"Café":                        "cafe",
		"cafe\u0301":                  "cafe",
		"Straße":                      "strasse",
		"ﬁne":                         "fine",
		"free\u00a0\u3000\u2003money": "free money",
		"  a \n\t b  ":                "a b",
		"КАЗИНО":                      "казино",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBlocklist(t *testing.T) {
	b, err := CompileBlocklist([]string{"casino", "free money", `/win\s+\$\d+/`, "казино", "赌场", "Café", "/\\bBONUS\\b/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"casino", "Best CASINO here", "ca\u200bsino!", "ｃａｓｉｎｏ", "(casino)",
		"get FREE\u00a0money", "free \u2003 money now", "win $100", "WIN\u3000$5",
		"лучшее казино", "Казино.", "我们的赌场", "赌场123", "casino赌场",
		"cafe", "CAFÉ", "a café", "bonus time", "ＢＯＮＵＳ",
	} {
		if !b.Match(text) {
			t.Errorf("Match(%q) = false", text)
		}
	}
	for _, text := range []string{
		"casinos", "mycasino", "casino2", "casino_", // "_" is a word character, as in \w "écasino", "casinoé", "freemoney", "free moneys",
		"казиноту", "сказино", "cafes", "bonuses", "",
	} {
		if b.Match(text) {
			t.Errorf("Match(%q) = true", text)
		}
	}
	if (*Blocklist)(nil).Match("casino") {
		t.Error("a nil blocklist matched")
	}
	if _, err := CompileBlocklist([]string{"/(/"}); err == nil {
		t.Error("an invalid regular expression compiled")
	}
}

// FuzzFold: Fold never panics and its result is stable: valid UTF-8, no invisible characters,
// combining marks or spaces other than single ASCII spaces, and folding it again changes nothing.
// A text always matches a blocklist made of itself.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"casino", "ca\u200bsino", "ｃａｓｉｎｏ", "free\u00a0money", "e\u0301", "ẞ", "\u0345", "ǅ", "ΐ", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Fold(s)
		if !utf8.ValidString(got) && utf8.ValidString(s) {
			t.Fatalf("Fold(%q) = %q: invalid UTF-8", s, got)
		}
		for _, r := range got {
			if (unicode.IsSpace(r) && r != ' ') || invisible(r) || unicode.In(r, unicode.Mn, unicode.Me) {
				t.Fatalf("Fold(%q) = %q keeps %U", s, got, r)
			}
		}
		if strings.Contains(got, "  ") || strings.TrimSpace(got) != got {
			t.Fatalf("Fold(%q) = %q: spaces not collapsed", s, got)
		}
		if again := Fold(got); again != got {
			t.Fatalf("Fold not stable: %q -> %q -> %q", s, got, again)
		}
		if got != "" && !strings.HasPrefix(s, "/") {
			b, err := CompileBlocklist([]string{s})
			if err != nil || !b.Match(s) {
				t.Fatalf("a blocklist of %q does not match it (%v)", s, err)
			}
		}
	})
}
