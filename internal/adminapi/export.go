package adminapi

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/audit"
	"github.com/chatproxy/chatproxy/internal/console"
	"github.com/chatproxy/chatproxy/internal/store"
)

// exportWriteWindow is how long one batch of an export may take to reach the client: the
// console listener has no write timeout, so a stalled reader is cut here instead.
const exportWriteWindow = 60 * time.Second

var csvHeader = []string{"session_id", "site_id", "started_at", "last_message_at", "messages", "status",
	"visitor_id", "returning", "country", "page_url", "preview"}

// exportConversations streams the list's filter's every result as CSV or JSON Lines, without
// holding them in memory, and records conversation.export with the filter and the row count
// when it ends (result error when it stopped part way).
func (s *Server) exportConversations(w http.ResponseWriter, r *http.Request, p *console.Principal) error {
	format := r.URL.Query().Get("format")
	if !validFormat(format) {
		return apierr.InvalidRequest("format must be csv or jsonl.")
	}
	q, err := s.conversationQuery(r, p, p.CanExportConversations, "format")
	if err != nil {
		if ae, ok := apierr.As(err); ok && ae.Status == http.StatusForbidden {
			return s.deny(r, p, audit.Entry{Action: audit.ConversationExport, SiteID: singleSite(q), TargetType: "conversation",
				Diff: exportFilter(q, format)})
		}
		return err
	}
	if q.AfterID != "" {
		return apierr.InvalidRequest("cursor does not apply to an export.")
	}
	name := "conversations-" + time.Now().UTC().Format("20060102-150405") + "." + format
	h := w.Header()
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/x-ndjson; charset=utf-8")
	}
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(exportWriteWindow))
	buf := bufio.NewWriterSize(w, 64<<10)
	row := exportRow(format, buf)
	n, err := s.Conversations.Export(r.Context(), q, func(c store.Conversation) error {
		if err := row(c); err != nil {
			return err
		}
		if buf.Buffered() == 0 { // a full buffer just went out: give the next one its window
			_ = rc.SetWriteDeadline(time.Now().Add(exportWriteWindow))
		}
		return nil
	})
	if err == nil {
		err = buf.Flush()
	}
	diff := exportFilter(q, format)
	diff["rows"] = n
	e := audit.Entry{Action: audit.ConversationExport, SiteID: singleSite(q), TargetType: "conversation", Diff: diff}
	if err != nil {
		e.Result = audit.Failed
		s.Log.Warn("export stopped", "request_id", requestID(r), "rows", n, "err", err)
	}
	s.record(r, p, e)
	return nil // the status is sent; a failure shows as a cut body, and in the audit log
}

// exportRow returns the writer of one conversation in format.
func exportRow(format string, w *bufio.Writer) func(store.Conversation) error {
	if format == "jsonl" {
		enc := json.NewEncoder(w) // escapes <, > and &: the file is data, never markup
		return func(c store.Conversation) error { return enc.Encode(viewConversation(c)) }
	}
	cw := csv.NewWriter(w)
	header := true
	return func(c store.Conversation) error {
		if header {
			if err := cw.Write(csvHeader); err != nil {
				return err
			}
			header = false
		}
		err := cw.Write([]string{c.SessionID, c.SiteID, c.StartedAt.Format(time.RFC3339Nano), c.LastMessageAt.Format(time.RFC3339Nano),
			strconv.Itoa(c.Messages), c.Status, c.VisitorID, strconv.FormatBool(c.Returning), csvCell(c.Country),
			csvCell(c.PageURL), csvCell(c.Preview)})
		cw.Flush() // into buf, which batches the socket writes
		return err
	}
}

// csvCell defuses formula injection (OWASP "CSV Injection"): a cell a spreadsheet would run as
// a formula (starting with =, +, -, @, tab or carriage return) gets a leading apostrophe.
func csvCell(v string) string {
	if v != "" {
		switch v[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + v
		}
	}
	return v
}
