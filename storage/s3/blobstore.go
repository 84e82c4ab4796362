package s3

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const (
	defaultBucket   = "intake"
	defaultRegion   = "us-east-1"
	defaultPartSize = 16 << 20
	// minPartSize is S3's smallest part but the last; minio-go refuses less.
	minPartSize = 5 << 20
)

// ErrNotFound reports that no object is stored under a key.
var ErrNotFound = errors.New("object not found")

// Config says how to reach the object store. The zero value of every field
// but Endpoint and the keys is replaced by its documented default.
type Config struct {
	// Endpoint is the server as host:port ("127.0.0.1:7070"). A URL
	// ("https://s3.example.com") is accepted too; its scheme then decides
	// Secure. Required.
	Endpoint string
	// AccessKey is the access key id used to sign requests (signature v4).
	AccessKey string
	// SecretKey is the secret paired with AccessKey.
	SecretKey string
	// Bucket holds every object; New creates it when missing. Default
	// "intake".
	Bucket string
	// Region is the bucket's region, used to sign requests and to create the
	// bucket. Default "us-east-1".
	Region string
	// Secure selects HTTPS. Default false: plain HTTP, for a server on the
	// loopback interface or inside the deployment's network.
	Secure bool
	// PartSize is the size of each part of a multipart upload, hence the
	// memory one Put holds; at least 5 MiB. Default 16 MiB, which caps an
	// object at 10,000 parts = 156 GiB.
	PartSize uint64
}

// BlobStore stores and reads objects in one bucket of an S3-compatible
// server. It is safe for concurrent use.
type BlobStore struct {
	client   *minio.Client
	bucket   string
	partSize uint64
}

// New connects to the server described by cfg and creates the bucket if it
// does not exist yet, tolerating another process creating it at the same
// time.
func New(ctx context.Context, cfg Config) (*BlobStore, error) {
	host, secure, err := parseEndpoint(cfg.Endpoint, cfg.Secure)
	if err != nil {
		return nil, err
	}
	bucket := cmp.Or(cfg.Bucket, defaultBucket)
	region := cmp.Or(cfg.Region, defaultRegion)
	partSize := cmp.Or(cfg.PartSize, defaultPartSize)
	if partSize < minPartSize {
		return nil, fmt.Errorf("s3 part size %d: below the 5 MiB minimum", partSize)
	}
	client, err := minio.New(host, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: secure,
		Region: region,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client for %s: %w", host, err)
	}
	b := &BlobStore{client: client, bucket: bucket, partSize: partSize}
	if err := b.ensureBucket(ctx, region); err != nil {
		return nil, err
	}
	return b, nil
}

// parseEndpoint accepts host:port or a URL, since operators paste either
// into S3_ENDPOINT.
func parseEndpoint(endpoint string, secure bool) (host string, isSecure bool, err error) {
	if endpoint == "" {
		return "", false, errors.New("s3 endpoint: empty")
	}
	if !strings.Contains(endpoint, "://") {
		return endpoint, secure, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", false, fmt.Errorf("s3 endpoint: %w", err)
	}
	if u.Host == "" || strings.Trim(u.Path, "/") != "" {
		return "", false, fmt.Errorf("s3 endpoint %q: want host:port or scheme://host:port", endpoint)
	}
	switch u.Scheme {
	case "http":
		return u.Host, false, nil
	case "https":
		return u.Host, true, nil
	default:
		return "", false, fmt.Errorf("s3 endpoint %q: scheme must be http or https", endpoint)
	}
}

func (b *BlobStore) ensureBucket(ctx context.Context, region string) error {
	exists, err := b.client.BucketExists(ctx, b.bucket)
	if err != nil {
		return fmt.Errorf("check bucket %s: %w", b.bucket, err)
	}
	if exists {
		return nil
	}
	err = b.client.MakeBucket(ctx, b.bucket, minio.MakeBucketOptions{Region: region})
	if err == nil {
		return nil
	}
	switch minio.ToErrorResponse(err).Code {
	case "BucketAlreadyOwnedByYou":
		// Another process (an api and a worker starting together) won.
		return nil
	case "BucketAlreadyExists":
		// Some servers answer this to a concurrent create by the same
		// owner too; the bucket is ours only if we can see it.
		if exists, existsErr := b.client.BucketExists(ctx, b.bucket); existsErr == nil && exists {
			return nil
		}
	}
	return fmt.Errorf("create bucket %s: %w", b.bucket, err)
}

// Put stores the content of r under key and returns the number of bytes
// stored. size is the content's length, or -1 when unknown; either way the
// content is streamed, holding at most one part (Config.PartSize) in memory.
// A key outside the package's key alphabet is refused with ErrInvalidKey.
func (b *BlobStore) Put(ctx context.Context, key string, r io.Reader, size int64) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	if size < 0 {
		// An unknown size always goes as a multipart upload, and an empty
		// part is refused by some servers: find out whether r is empty.
		br := bufio.NewReader(r)
		if _, err := br.Peek(1); errors.Is(err, io.EOF) {
			size = 0
		} else if err != nil {
			return 0, fmt.Errorf("put %s: read: %w", key, err)
		}
		r = br
	}
	info, err := b.client.PutObject(ctx, b.bucket, key, r, size, minio.PutObjectOptions{
		ContentType:          "application/octet-stream",
		PartSize:             b.partSize,
		DisableContentSha256: true,
	})
	if err != nil {
		return 0, fmt.Errorf("put %s: %w", key, err)
	}
	return info.Size, nil
}

// Open returns a reader of the object stored under key and its size. The
// reader reads as long as ctx lives; the caller closes it. A missing object
// is an error wrapping ErrNotFound.
func (b *BlobStore) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	if err := checkKey(key); err != nil {
		return nil, 0, err
	}
	obj, err := b.client.GetObject(ctx, b.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, translate("open", key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		_ = obj.Close()
		return nil, 0, translate("open", key, err)
	}
	return obj, st.Size, nil
}

// Delete removes the object stored under key. Deleting a missing object is
// not an error, so retention cleanup can be retried.
func (b *BlobStore) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	err := b.client.RemoveObject(ctx, b.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchKey" {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// Ping reports whether the server answers and the bucket exists, for the
// readiness probe.
func (b *BlobStore) Ping(ctx context.Context) error {
	exists, err := b.client.BucketExists(ctx, b.bucket)
	if err != nil {
		return fmt.Errorf("ping s3: %w", err)
	}
	if !exists {
		return fmt.Errorf("ping s3: bucket %s does not exist", b.bucket)
	}
	return nil
}

// translate turns minio's missing-object answer into ErrNotFound so that no
// minio type crosses the package boundary.
func translate(op, key string, err error) error {
	if minio.ToErrorResponse(err).Code == "NoSuchKey" {
		return fmt.Errorf("%s %s: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}
