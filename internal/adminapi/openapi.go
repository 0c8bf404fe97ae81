package adminapi

import (
	"net/http"

	"github.com/chatproxy/chatproxy/internal/openapi"
)

// openapiRoutes serves the API description. It needs no sign-in: the document describes
// every chatproxy's API (it is docs/openapi.yaml) and says nothing about this deployment.
func (s *Server) openapiRoutes() {
	s.public("GET /admin/api/v1/openapi.json", s.openapiDocument)
}

func (s *Server) openapiDocument(w http.ResponseWriter, _ *http.Request) error {
	b, err := openapi.JSON()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
	return nil
}
