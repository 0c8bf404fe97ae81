package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/store"
)

type historyMessage struct {
	ID        string    `json:"id"`
	Role      string    `json:"role"`
	Content   string    `json:"content"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

type historyResponse struct {
	SessionID string           `json:"session_id"`
	Messages  []historyMessage `json:"messages"`
	HasMore   bool             `json:"has_more"`
}

// history returns a session's messages, oldest first. Only the session's own credentials may
// read it: another existing session's id is 403, an unknown one 404.
func (s *Server) history(w http.ResponseWriter, r *http.Request) error {
	s.setCORS(w, r)
	sess, _, err := s.authenticate(r)
	if err != nil {
		return err
	}
	id := r.PathValue("session_id")
	if id != sess.ID {
		if _, perr := uuid.Parse(id); perr != nil {
			return apierr.SessionNotFound()
		}
		if _, err := s.Store.GetSession(r.Context(), id); errors.Is(err, store.ErrNotFound) {
			return apierr.SessionNotFound()
		} else if err != nil {
			return err
		}
		return apierr.Forbidden("This history belongs to another session.")
	}
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return apierr.InvalidLimit("limit must be between 1 and 200.")
		}
		limit = n
	}
	before := r.URL.Query().Get("before")
	if before != "" {
		if _, err := uuid.Parse(before); err != nil {
			return apierr.InvalidBefore()
		}
	}
	msgs, err := s.Store.ListMessages(r.Context(), sess.ID, store.Page{Before: before, Limit: limit + 1})
	if err != nil {
		return err
	}
	resp := historyResponse{SessionID: sess.ID, Messages: make([]historyMessage, 0, len(msgs))}
	if len(msgs) > limit {
		resp.HasMore = true
		msgs = msgs[len(msgs)-limit:]
	}
	for _, m := range msgs {
		resp.Messages = append(resp.Messages, historyMessage{ID: m.ID, Role: m.Role, Content: m.Content, Status: m.Status, CreatedAt: m.CreatedAt})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
