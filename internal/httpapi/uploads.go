package httpapi

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/uploads"
)

// uploadOverhead bounds the multipart framing around one file.
const uploadOverhead = 16 << 10

// uploadCreate is POST /api/v1/uploads: one file, multipart field "file", with the session's
// credentials. It answers {upload_id, name, size, type}.
func (s *Server) uploadCreate(w http.ResponseWriter, r *http.Request) error {
	s.setCORS(w, r)
	sess, st, err := s.authenticate(r)
	if err != nil {
		return err
	}
	rules := st.Uploads
	if !rules.Enabled || s.Uploads == nil {
		return apierr.UploadsDisabled()
	}
	if err := s.Guard.Upload(r.Context(), st, sess, s.IPs.ClientIP(r)); err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return apierr.UnsupportedMediaType("Send the file as multipart/form-data.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, rules.MaxBytes+uploadOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		return apierr.InvalidRequest("The multipart body could not be read.")
	}
	var prepared *uploads.Prepared
	defer func() {
		if prepared != nil {
			prepared.Discard()
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return uploadReadError(err)
		}
		name, isFile := rawFileName(part)
		if !isFile {
			continue // other fields are ignored
		}
		if prepared != nil {
			return apierr.TooManyFiles()
		}
		// Every part is read and checked before anything is stored.
		if prepared, err = s.Uploads.Prepare(uploads.Input{
			SiteID: st.ID, SessionID: sess.ID, Rules: rules, Name: name, Body: part,
		}); err != nil {
			return err
		}
	}
	if prepared == nil {
		return apierr.InvalidRequest("Send one file in the field \"file\".")
	}
	saved, err := prepared.Commit(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, saved)
	return nil
}

// rawFileName is a part's file name as the client sent it: multipart.Part.FileName keeps only
// the last path element, which would hide a path the client put there.
func rawFileName(p *multipart.Part) (string, bool) {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return "", p.FormName() == "file"
	}
	name, ok := params["filename"]
	return name, ok || p.FormName() == "file"
}

func uploadReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apierr.FileTooLarge()
	}
	return apierr.InvalidRequest("The multipart body could not be read.")
}

// uploadGet is GET /api/v1/uploads/{id}: the session's own file, as an attachment that no
// browser will render in place.
func (s *Server) uploadGet(w http.ResponseWriter, r *http.Request) error {
	s.setCORS(w, r)
	sess, _, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if s.Uploads == nil {
		return apierr.UploadNotFound()
	}
	f, body, err := s.Uploads.Open(r.Context(), sess.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", f.Type)
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(f.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, body)
	return nil
}
