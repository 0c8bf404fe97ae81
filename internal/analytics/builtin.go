package analytics

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
)

var (
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	idRE       = regexp.MustCompile(`^[\x21-\x7e]{1,100}$`) // printable ASCII, no spaces
)

// maxValue bounds a money value (in major units) so sums in hundredths never overflow.
const maxValue = 1e12

// Builtin checks the properties of built-in client events and returns the event's dedupe
// key: a purchase is idempotent by order id, a feedback by its answer and whether it is the
// first rating or the one allowed change. Other names pass unchanged with no key.
func Builtin(name string, props map[string]any) (dedupeKey string, err error) {
	switch name {
	case AddToCart:
		if _, ok := str(props, "sku"); !ok {
			return "", ErrBuiltin
		}
		return "", money(props)
	case Purchase:
		id, ok := str(props, "order_id")
		if !ok {
			return "", ErrBuiltin
		}
		return "purchase:" + id, money(props)
	case Feedback:
		msg, ok := str(props, "message_id")
		rating, _ := props["rating"].(string)
		if !ok || (rating != "up" && rating != "down") {
			return "", ErrBuiltin
		}
		switch from := props["changed_from"]; from {
		case nil:
			delete(props, "changed_from")
			return "feedback:" + msg + ":1", nil
		case "up", "down":
			if from == rating {
				return "", ErrBuiltin
			}
			return "feedback:" + msg + ":2", nil
		}
		return "", ErrBuiltin
	}
	return "", nil
}

// str returns a required short identifier property.
func str(props map[string]any, key string) (string, bool) {
	s, ok := props[key].(string)
	return s, ok && idRE.MatchString(s)
}

// money checks value (a number ≥ 0) and currency (ISO 4217 letters, upper-cased here).
func money(props map[string]any) error {
	v, ok := number(props["value"])
	c, _ := props["currency"].(string)
	c = strings.ToUpper(c)
	if !ok || v < 0 || v > maxValue || !currencyRE.MatchString(c) {
		return ErrBuiltin
	}
	props["currency"] = c
	return nil
}

// number reads a JSON number (json.Number from ParseProps, float64 from server code).
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	}
	return 0, false
}

// hundredths converts a money value to an integer number of hundredths.
func hundredths(v any) int64 {
	f, _ := number(v)
	return int64(math.Round(f * 100))
}
