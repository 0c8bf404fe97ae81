// Package openapi serves the API description (docs/openapi.yaml) as JSON.
//
// The YAML is embedded in the binary (package docs) and converted to JSON once, at the first
// use, keeping the document's key order and expanding its YAML aliases (it writes shared
// pieces once). The console serves the result at /admin/api/v1/openapi.json; the tests in
// openapitest validate the document and the API's responses against the same bytes.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/chatproxy/chatproxy/docs"
)

// YAML returns the document as written.
func YAML() []byte { return docs.OpenAPIYAML }

// JSON returns the document as JSON (computed once).
var JSON = sync.OnceValues(func() ([]byte, error) { return ToJSON(docs.OpenAPIYAML) })

// ToJSON converts a YAML document to JSON, keeping the order of mapping keys.
func ToJSON(doc []byte) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := writeNode(&b, &root, 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// maxDepth bounds alias expansion (a self-referencing alias would recurse for ever).
const maxDepth = 100

func writeNode(b *bytes.Buffer, n *yaml.Node, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("line %d: nested too deep (a recursive alias?)", n.Line)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("want one document, got %d", len(n.Content))
		}
		return writeNode(b, n.Content[0], depth+1)
	case yaml.AliasNode:
		return writeNode(b, n.Alias, depth+1)
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeNode(b, c, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case yaml.MappingNode:
		return writeMapping(b, n, depth)
	case yaml.ScalarNode:
		return writeScalar(b, n)
	}
	return fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
}

func writeMapping(b *bytes.Buffer, n *yaml.Node, depth int) error {
	b.WriteByte('{')
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			return fmt.Errorf("line %d: only plain keys are supported", k.Line)
		}
		if seen[k.Value] {
			return fmt.Errorf("line %d: key %q repeated", k.Line, k.Value)
		}
		seen[k.Value] = true
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(k.Value)
		b.Write(key)
		b.WriteByte(':')
		if err := writeNode(b, v, depth+1); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func writeScalar(b *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		b.WriteString("null")
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			return err
		}
		b.WriteString(strconv.FormatBool(v))
	case "!!int", "!!float":
		var v float64
		if err := n.Decode(&v); err != nil {
			return err
		}
		out, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		b.Write(out)
	default: // !!str, !!timestamp, !!binary: the text as written
		out, _ := json.Marshal(n.Value)
		b.Write(out)
	}
	return nil
}
