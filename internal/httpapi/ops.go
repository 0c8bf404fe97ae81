package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
)

type healthResponse struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// health checks the database (and Redis when configured). It never shows URLs, secrets or
// versions. A Redis failure degrades (limits fall back per instance) but does not fail health.
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	resp := healthResponse{Status: "ok", Checks: map[string]string{"database": "ok"}}
	status := http.StatusOK
	if err := s.Store.Ping(ctx); err != nil {
		resp.Status, resp.Checks["database"], status = "unavailable", "unavailable", http.StatusServiceUnavailable
	}
	if s.Redis != nil {
		resp.Checks["redis"] = "ok"
		if err := s.Redis.Ping(ctx); err != nil {
			resp.Checks["redis"] = "unavailable"
			if status == http.StatusOK {
				resp.Status = "degraded"
			}
		}
	}
	writeJSON(w, status, resp)
	return nil
}

func (s *Server) live(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, healthResponse{Status: "ok", Checks: map[string]string{}})
	return nil
}

// ready turns 503 as soon as a shutdown begins, so load balancers stop sending new visitors.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	if s.draining.Load() {
		return apierr.ShuttingDown(0)
	}
	return s.health(w, r)
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) error {
	keys := []map[string]any{}
	if s.JWKS != nil {
		keys = append(keys, s.JWKS()...)
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Type", "application/json")
	writeJSONNoCacheOverride(w, map[string]any{"keys": keys})
	return nil
}

func (s *Server) notFound(_ http.ResponseWriter, _ *http.Request) error {
	return apierr.NotFound()
}
