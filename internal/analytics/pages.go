package analytics

import (
	"net/url"
	"strings"
)

// maxPath bounds a page path kept as a breakdown key.
const maxPath = 200

// PagePath is the path of a page URL, without query or fragment (they may carry personal
// data), at most 200 bytes; "" when the URL has none.
func PagePath(pageURL string) string {
	u, err := url.Parse(pageURL)
	if err != nil || pageURL == "" {
		return ""
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if len(p) > maxPath {
		p = p[:maxPath]
	}
	return p
}

// ReferrerHost is the lower-case host of a referrer URL, "" when there is none.
func ReferrerHost(ref string) string {
	u, err := url.Parse(ref)
	if err != nil || ref == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	h := strings.ToLower(u.Hostname())
	if len(h) > 253 {
		return ""
	}
	return h
}
