package uploads

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/chatproxy/chatproxy/internal/config"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Objects keeps sealed upload objects by key.
type Objects interface {
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
}

// ErrNoObject: the object is not there.
var ErrNoObject = errors.New("uploads: no such object")

// Dir keeps objects as files under a directory (no S3 configured: `make run` needs nothing).
type Dir string

// Put writes the object through a temporary file, so a reader never sees half of it.
func (d Dir) Put(_ context.Context, key string, r io.Reader, _ int64) error {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(string(d), ".put-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(string(d), filepath.Base(key)))
}

// Get opens an object.
func (d Dir) Get(_ context.Context, key string) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(string(d), filepath.Base(key)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoObject
	}
	return f, err
}

// Delete removes an object; a missing one is no error.
func (d Dir) Delete(_ context.Context, key string) error {
	err := os.Remove(filepath.Join(string(d), filepath.Base(key)))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// S3 keeps objects in an S3-compatible bucket through minio-go (Apache-2.0, maintained by
// MinIO, speaks AWS Signature V4 to any S3-compatible server, and streams a PUT of known size
// with chunked signing instead of buffering it; aws-sdk-go-v2 would pull in far more for the
// three calls used here).
type S3 struct {
	c      *minio.Client
	bucket string
}

// NewS3 connects to the configured endpoint. Nothing is sent until the first call.
func NewS3(c config.S3) (*S3, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil {
		return nil, err
	}
	lookup := minio.BucketLookupDNS
	if c.PathStyle {
		lookup = minio.BucketLookupPath
	}
	cl, err := minio.New(u.Host, &minio.Options{
		Creds: credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""), Secure: u.Scheme == "https",
		Region: c.Region, BucketLookup: lookup,
	})
	if err != nil {
		return nil, err
	}
	return &S3{c: cl, bucket: c.Bucket}, nil
}

// Put uploads an object of known size (one streamed PUT).
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	_, err := s.c.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{ContentType: "application/octet-stream"})
	return err
}

// Get opens an object for reading.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	o, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	if _, err := o.Stat(); err != nil {
		o.Close()
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return nil, ErrNoObject
		}
		return nil, err
	}
	return o, nil
}

// Delete removes an object.
func (s *S3) Delete(ctx context.Context, key string) error {
	return s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
}

// EnsureBucket creates the bucket when it does not exist (tests and first start).
func (s *S3) EnsureBucket(ctx context.Context, region string) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil || ok {
		return err
	}
	return s.c.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
}
