// Package docs embeds the API description, openapi.yaml, into the binary.
//
// The document lives here, next to the prose it describes (api.md, console.md), so that people
// edit one file; internal/openapi converts it to the JSON the console serves, and the tests
// validate it and the API's responses against it.
package docs

import _ "embed"

// OpenAPIYAML is docs/openapi.yaml as written.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
