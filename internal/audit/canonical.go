package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/chatproxy/chatproxy/internal/store"
)

// Redacted replaces every secret value in a diff.
const Redacted = "<redacted>"

// secretWords mark keys whose values are never written to the log.
var secretWords = []string{"password", "secret", "token", "private", "totp_code", "key_material"}

// isSecretKey reports whether a diff key names a secret. Token names and ids are not secrets;
// their values are.
func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	switch k {
	case "token_name", "token_id", "token_version":
		return false
	}
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// redactedJSON marshals v, replaces the values of secret keys at any depth, and returns the
// canonical form (sorted keys). nil becomes {}.
func redactedJSON(v any) ([]byte, error) {
	if v == nil {
		return []byte("{}"), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	tree, err := decode(raw)
	if err != nil {
		return nil, err
	}
	return json.Marshal(redact(tree))
}

func decode(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber() // numbers keep their digits through the round trip
	var tree any
	err := d.Decode(&tree)
	return tree, err
}

func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if isSecretKey(k) && child != nil {
				t[k] = Redacted
				continue
			}
			t[k] = redact(child)
		}
	case []any:
		for i := range t {
			t[i] = redact(t[i])
		}
	}
	return v
}

// Changes is the diff between two states of an object: {field: [old, new]} for every
// top-level JSON field that differs. A nil before (creation) or after (deletion) gives null
// on that side.
func Changes(before, after any) map[string][2]any {
	b, a := fields(before), fields(after)
	out := map[string][2]any{}
	for k, av := range a {
		if bv, ok := b[k]; !ok || !reflect.DeepEqual(bv, av) {
			out[k] = [2]any{b[k], av}
		}
	}
	for k, bv := range b {
		if _, ok := a[k]; !ok {
			out[k] = [2]any{bv, nil}
		}
	}
	return out
}

func fields(v any) map[string]any {
	if v == nil {
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return map[string]any{"error": "not marshalable"}
	}
	tree, err := decode(raw)
	if m, ok := tree.(map[string]any); ok && err == nil {
		return m
	}
	return map[string]any{"value": tree}
}

// hashedRow is the canonical form an entry's hash covers (seq and hash itself excluded).
type hashedRow struct {
	PrevHash   string          `json:"prev_hash"`
	ID         string          `json:"id"`
	At         string          `json:"at"`
	ActorID    string          `json:"actor_id"`
	ActorLabel string          `json:"actor_label"`
	ActorIP    string          `json:"actor_ip"`
	Action     string          `json:"action"`
	SiteID     string          `json:"site_id"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	Result     string          `json:"result"`
	Diff       json.RawMessage `json:"diff"`
	RequestID  string          `json:"request_id"`
}

// Hash is an entry's chain hash: hex SHA-256 of its canonical JSON, which includes the
// previous entry's hash. The diff is re-encoded canonically, so a database that reformats
// JSON does not break the chain.
func Hash(e store.AuditEntry) string {
	diff := json.RawMessage("{}")
	if tree, err := decode(e.Diff); err == nil {
		if b, err := json.Marshal(tree); err == nil {
			diff = b
		}
	} else if len(e.Diff) > 0 {
		diff, _ = json.Marshal(string(e.Diff)) // not JSON: hash the bytes as a string
	}
	row := hashedRow{
		PrevHash: e.PrevHash, ID: e.ID, At: e.At.UTC().Format(time.RFC3339Nano),
		ActorID: e.ActorID, ActorLabel: e.ActorLabel, ActorIP: e.ActorIP, Action: e.Action, SiteID: e.SiteID,
		TargetType: e.TargetType, TargetID: e.TargetID, Result: e.Result, Diff: diff, RequestID: e.RequestID,
	}
	b, _ := json.Marshal(row) // strings and valid raw JSON always marshal
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
