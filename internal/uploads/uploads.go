// Package uploads checks visitors' files and keeps them sealed in object storage.
//
// A file is spooled to a temporary file (never held in memory), typed by its magic bytes,
// cleaned of image metadata (EXIF, GPS, XMP, IPTC, text chunks), refused when it is a
// polyglot or a decompression bomb, then envelope-encrypted (a data key per object, sealed
// with the keyring) on its way to S3-compatible storage or the data directory. Only the
// session that uploaded a file can read it back.
package uploads

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chatproxy/chatproxy/internal/apierr"
	"github.com/chatproxy/chatproxy/internal/config"
	"github.com/chatproxy/chatproxy/internal/store"
)

// Options wire a Service.
type Options struct {
	Store   store.Store
	Objects Objects
	Cipher  store.Cipher // the keyring: seals each object's data key
	TempDir string       // "" = the system's
	Expiry  time.Duration
}

// Service stores and serves uploads.
type Service struct{ o Options }

// New builds a Service.
func New(o Options) *Service {
	if o.Expiry <= 0 {
		o.Expiry = time.Hour
	}
	return &Service{o: o}
}

// Input is one file of a visitor.
type Input struct {
	SiteID, SessionID string
	Rules             config.Uploads
	Name              string
	Body              io.Reader // at most Rules.MaxBytes+1 bytes are read
}

// File is a stored upload as the visitor sees it.
type File struct {
	ID   string `json:"upload_id"`
	Name string `json:"name"`
	Size int64  `json:"size"`
	Type string `json:"type"`
}

type sealedMeta struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

func aad(id string) string { return "upload:" + id }

// CleanName checks a file name: a plain name (no path, no control characters), at most 255
// bytes of UTF-8.
func CleanName(name string) (string, error) {
	if name == "" || len(name) > 255 || !utf8.ValidString(name) || name == "." || name == ".." ||
		strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") {
		return "", apierr.InvalidFileName()
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == '\u202e' || r == '\u202d' {
			return "", apierr.InvalidFileName()
		}
	}
	return name, nil
}

// Prepared is a file that passed every check, cleaned and waiting in a temporary file:
// Commit stores it, Discard drops it. A request's files are all checked before any is stored.
type Prepared struct {
	s         *Service
	in        Input
	name, typ string
	clean     *os.File
	size      int64
	discarded bool
}

// Prepare checks and cleans one file; nothing is stored yet.
func (s *Service) Prepare(in Input) (*Prepared, error) {
	name, err := CleanName(in.Name)
	if err != nil {
		return nil, err
	}
	raw, size, err := s.spool(in.Body, in.Rules.MaxBytes)
	if err != nil {
		return nil, err
	}
	defer cleanup(raw)
	head := make([]byte, 16)
	n, _ := raw.ReadAt(head, 0)
	typ := Sniff(head[:n])
	if !allowed(typ, in.Rules.AllowedTypes) {
		return nil, apierr.UnsupportedFileType()
	}
	clean, err := s.temp()
	if err != nil {
		return nil, err
	}
	if err := scrub(typ, raw, size, clean, config.MaxImagePixels); err != nil {
		cleanup(clean)
		return nil, refusal(err)
	}
	cleanSize, err := clean.Seek(0, io.SeekCurrent)
	if err != nil {
		cleanup(clean)
		return nil, err
	}
	return &Prepared{s: s, in: in, name: name, typ: typ, clean: clean, size: cleanSize}, nil
}

// Commit seals and stores the file.
func (p *Prepared) Commit(ctx context.Context) (File, error) {
	defer p.Discard()
	return p.s.store(ctx, p.in, p.name, p.typ, p.clean, p.size)
}

// Discard drops the file (safe to call more than once).
func (p *Prepared) Discard() {
	if !p.discarded {
		p.discarded = true
		cleanup(p.clean)
	}
}

// Save checks, cleans, seals and stores one file. Nothing is stored when it is refused.
func (s *Service) Save(ctx context.Context, in Input) (File, error) {
	p, err := s.Prepare(in)
	if err != nil {
		return File{}, err
	}
	return p.Commit(ctx)
}

func (s *Service) store(ctx context.Context, in Input, name, typ string, clean *os.File, size int64) (File, error) {
	id := uuid.Must(uuid.NewV7()).String()
	key := newDataKey()
	meta, _ := json.Marshal(sealedMeta{Name: name, Key: base64.StdEncoding.EncodeToString(key)})
	sealed, err := s.o.Cipher.Seal(meta, aad(id))
	if err != nil {
		return File{}, err
	}
	if _, err := clean.Seek(0, io.SeekStart); err != nil {
		return File{}, err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(encrypt(key, id, clean, size, pw)) }()
	err = s.o.Objects.Put(ctx, objectKey(in.SiteID, id), pr, sealedSize(size))
	pr.CloseWithError(err)
	if err != nil {
		return File{}, err
	}
	now := time.Now().UTC()
	u := store.Upload{ID: id, SiteID: in.SiteID, SessionID: in.SessionID, Type: typ, Size: size, Sealed: sealed,
		CreatedAt: now, ExpiresAt: now.Add(s.o.Expiry)}
	if err := s.o.Store.AddUpload(ctx, u); err != nil {
		_ = s.o.Objects.Delete(context.WithoutCancel(ctx), objectKey(in.SiteID, id))
		return File{}, err
	}
	return File{ID: id, Name: name, Size: size, Type: typ}, nil
}

func objectKey(siteID, id string) string { return "uploads/" + siteID + "/" + id }

// spool copies the body to a temporary file, refusing it past max bytes.
func (s *Service) spool(body io.Reader, max int64) (*os.File, int64, error) {
	f, err := s.temp()
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(f, io.LimitReader(body, max+1))
	switch {
	case err != nil:
		cleanup(f)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, 0, apierr.FileTooLarge()
		}
		return nil, 0, apierr.InvalidRequest("The file could not be read.")
	case n > max:
		cleanup(f)
		return nil, 0, apierr.FileTooLarge()
	case n == 0:
		cleanup(f)
		return nil, 0, apierr.UnsupportedFileType()
	}
	return f, n, nil
}

func (s *Service) temp() (*os.File, error) { return os.CreateTemp(s.o.TempDir, "chatproxy-upload-*") }

func cleanup(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

func allowed(typ string, types []string) bool {
	for _, t := range types {
		if typ != "" && t == typ {
			return true
		}
	}
	return false
}

func refusal(err error) error {
	switch {
	case errors.Is(err, errPolyglot):
		return apierr.PolyglotFile()
	case errors.Is(err, errBomb):
		return apierr.ImageTooLarge()
	case errors.Is(err, errBroken), errors.Is(err, errType):
		return apierr.InvalidFile()
	}
	return err
}

// Open returns a session's own upload and its plaintext; any other session's id, or an
// unknown one, is upload_not_found (one answer: ids of others are not confirmed).
func (s *Service) Open(ctx context.Context, sessionID, id string) (File, io.ReadCloser, error) {
	if _, err := uuid.Parse(id); err != nil {
		return File{}, nil, apierr.UploadNotFound()
	}
	u, err := s.o.Store.GetUpload(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.SessionID != sessionID) {
		return File{}, nil, apierr.UploadNotFound()
	}
	if err != nil {
		return File{}, nil, err
	}
	plain, err := s.o.Cipher.Open(u.Sealed, aad(id))
	if err != nil {
		return File{}, nil, err
	}
	var meta sealedMeta
	if err := json.Unmarshal(plain, &meta); err != nil {
		return File{}, nil, err
	}
	key, err := base64.StdEncoding.DecodeString(meta.Key)
	if err != nil {
		return File{}, nil, err
	}
	obj, err := s.o.Objects.Get(ctx, objectKey(u.SiteID, id))
	if errors.Is(err, ErrNoObject) {
		return File{}, nil, apierr.UploadNotFound()
	}
	if err != nil {
		return File{}, nil, err
	}
	r, err := decrypt(key, id, obj)
	if err != nil {
		obj.Close()
		return File{}, nil, err
	}
	return File{ID: id, Name: meta.Name, Size: u.Size, Type: u.Type}, readCloser{r, obj}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
