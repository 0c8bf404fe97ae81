package httpapi_test

import (
	"reflect"
	"testing"

	"github.com/chatproxy/chatproxy/internal/n8ntest"
)

// Invisible and look-alike characters: the blocklist is matched against a folded form (NFKC,
// case folded, format characters and combining marks removed, every Unicode space one space),
// with word boundaries that know letters beyond ASCII; a message that shows nothing once
// invisible characters are removed is empty; context strings are cleaned like messages.
func TestInvisibleAndLookAlikeText(t *testing.T) {
	e := newEnv(t, "sqlite", withOtherSiteYAML(
		"    abuse: {min_first_message_delay_ms: -1, blocklist: [casino, \"/free\\\\s+money/\", казино, 赌场]}\n"))
	e.fake.SetScenario(n8ntest.ScenarioJSONOutput)
	resp := e.do(request{method: "POST", path: "/api/v1/session/create", origin: otherOrigin, body: map[string]any{"site_id": "other"}})
	var s session
	decode(t, resp, &s)
	post := func(body map[string]any) (int, string) {
		t.Helper()
		resp := e.do(request{method: "POST", path: "/api/v1/chat/message", origin: otherOrigin, token: s.Token, body: body})
		if resp.StatusCode != 200 {
			return resp.StatusCode, errorCode(t, resp)
		}
		readSSE(t, resp)
		return 200, ""
	}
	for name, text := range map[string]string{
		"zero-width space":         "best ca\u200bsino",
		"zero-width joiner":        "c\u200da\u200ds\u200di\u200dn\u200do",
		"soft hyphen":              "CA\u00adSINO",
		"word joiner and BOM":      "cas\u2060i\ufeffno",
		"full-width":               "ｃａｓｉｎｏ night",
		"mathematical bold":        "𝐜𝐚𝐬𝐢𝐧𝐨",
		"circled":                  "ⓒⓐⓢⓘⓝⓞ",
		"combining strike-through": "c\u0336a\u0336s\u0336i\u0336n\u0336o\u0336",
		"combining accents":        "cásíñó",
		"NBSP in a phrase":         "free\u00a0money",
		"ideographic space":        "FREE\u3000MONEY",
		"em spaces":                "free\u2003\u2003money",
		"Cyrillic word":            "Лучшее Казино!",
		"Cyrillic after Latin":     "the казино",
		"Han inside a sentence":    "这个赌场很好",
	} {
		if status, code := post(map[string]any{"message": text}); status != 400 || code != "blocked_content" {
			t.Errorf("%s (%q): %d %s; want 400 blocked_content", name, text, status, code)
		}
	}
	for name, text := range map[string]string{
		"zero-width space only":        "\u200b",
		"zero-width mix":               "\u200b\u200c\u200d\u2060\ufeff",
		"with non-ASCII spaces":        "\u00a0\u200b\u3000\u2003",
		"Hangul filler, braille blank": "\u3164\u2800",
		"combining marks alone":        "\u0301\u0336",
		"variation selector":           "\ufe0f",
		"tag characters":               "\U000E0041\U000E007F",
	} {
		if status, code := post(map[string]any{"message": text}); status != 400 || code != "empty_message" {
			t.Errorf("%s (%q): %d %s; want 400 empty_message", name, text, status, code)
		}
	}
	if n := len(e.messages(s.ID)); n != 0 || e.fake.Count() != 0 {
		t.Fatalf("refused messages left %d stored messages and %d upstream calls", n, e.fake.Count())
	}
	// Words that only contain a blocked word, or look like one in part, go through.
	for _, text := range []string{"casinos nearby", "mycasino", "казиното", "free-money"} {
		if status, code := post(map[string]any{"message": text}); status != 200 {
			t.Errorf("%q: %d %s; want it accepted", text, status, code)
		}
	}
	status, code := post(map[string]any{"message": "what about this page",
		"context": map[string]any{"title": "Sale\u202e\u0000!", "list": []any{"x\u0007y", 3}, "ke\u0000y": map[string]any{"n": "\u202dv"}}})
	if status != 200 {
		t.Fatalf("message with context: %d %s", status, code)
	}
	got, _ := e.fake.Last()
	meta, _ := got.JSON["metadata"].(map[string]any)
	want := map[string]any{"title": "Sale!", "list": []any{"xy", float64(3)}, "key": map[string]any{"n": "v"}}
	if !reflect.DeepEqual(meta["context"], want) {
		t.Errorf("context sent upstream = %#v; want %#v", meta["context"], want)
	}
}
