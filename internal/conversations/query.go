package conversations

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/store"
)

var (
	siteIDPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
)

// listParams are the parameters a list accepts; export adds format.
var listParams = map[string]bool{"site": true, "from": true, "to": true, "status": true, "returning": true,
	"country": true, "page": true, "q": true, "cursor": true, "limit": true}

// ParseQuery validates the list's parameters (export passes allowed extras such as format).
// Site scope is not applied here. now is used for q's default range.
func ParseQuery(v url.Values, now time.Time, extra ...string) (Query, []string, error) {
	var q Query
	for name, vals := range v {
		if !listParams[name] && !contains(extra, name) {
			return q, nil, apierr.InvalidRequest("Unknown parameter " + name + ".")
		}
		if len(vals) > 1 && name != "site" {
			return q, nil, apierr.InvalidRequest(name + " is given more than once.")
		}
	}
	sites, err := parseSites(v["site"])
	if err != nil {
		return q, nil, err
	}
	if q.From, err = timeParam(v.Get("from"), "from"); err != nil {
		return q, nil, err
	}
	if q.To, err = timeParam(v.Get("to"), "to"); err != nil {
		return q, nil, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, nil, apierr.InvalidRange("from must be before to.")
	}
	switch q.Status = v.Get("status"); q.Status {
	case "", store.StatusComplete, store.StatusPartial, store.StatusFailed, store.ConvPending:
	default:
		return q, nil, apierr.InvalidRequest("status must be complete, partial, failed or pending.")
	}
	switch r := v.Get("returning"); r {
	case "":
	case "true", "false":
		b := r == "true"
		q.Returning = &b
	default:
		return q, nil, apierr.InvalidRequest("returning must be true or false.")
	}
	if q.Country = v.Get("country"); q.Country != "" && !countryPattern.MatchString(q.Country) {
		return q, nil, apierr.InvalidRequest("country must be an ISO 3166-1 alpha-2 code like DE.")
	}
	if q.Page, err = textParam(v.Get("page"), "page"); err != nil {
		return q, nil, err
	}
	if q.Text, err = textParam(v.Get("q"), "q"); err != nil {
		return q, nil, err
	}
	if err := searchRange(&q, now); err != nil {
		return q, nil, err
	}
	q.Limit = DefaultListLimit
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxListLimit {
			return q, nil, apierr.InvalidLimit("limit must be 1-" + strconv.Itoa(MaxListLimit) + ".")
		}
		q.Limit = n
	}
	if c := v.Get("cursor"); c != "" {
		if err := DecodeCursor(c, &q.ConversationFilter); err != nil {
			return q, nil, err
		}
	}
	return q, sites, nil
}

// searchRange gives q (message text) its range: the last 31 days when none is given, and
// refuses a longer one (every message in range may have to be opened).
func searchRange(q *Query, now time.Time) error {
	if q.Text == "" {
		return nil
	}
	switch {
	case q.From.IsZero() && q.To.IsZero():
		q.To = now.UTC()
		q.From = q.To.Add(-MaxSearchRange)
	case q.From.IsZero():
		q.From = q.To.Add(-MaxSearchRange)
	case q.To.IsZero():
		q.To = q.From.Add(MaxSearchRange)
	}
	if q.To.Sub(q.From) > MaxSearchRange {
		return apierr.InvalidRange("q searches at most 31 days: narrow from and to.")
	}
	return nil
}

func parseSites(vals []string) ([]string, error) {
	var out []string
	for _, v := range vals {
		for id := range strings.SplitSeq(v, ",") {
			if !siteIDPattern.MatchString(id) {
				return nil, apierr.InvalidRequest("site must be site ids separated by commas.")
			}
			if !contains(out, id) {
				out = append(out, id)
			}
		}
	}
	if len(out) > 100 {
		return nil, apierr.InvalidRequest("site names at most 100 sites.")
	}
	return out, nil
}

func textParam(v, name string) (string, error) {
	switch {
	case !utf8.ValidString(v):
		return "", apierr.InvalidUTF8()
	case utf8.RuneCountInString(v) > MaxQueryLength:
		return "", apierr.InvalidRequest(name + " is longer than " + strconv.Itoa(MaxQueryLength) + " characters.")
	}
	return strings.TrimSpace(v), nil
}

// timeParam reads an RFC 3339 time ("" = none).
func timeParam(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, apierr.InvalidRequest(name + " must be an RFC 3339 time like 2026-03-01T00:00:00Z.")
	}
	return t.UTC(), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
