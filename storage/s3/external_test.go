package s3_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"intake/storage/s3"
)

// startVersitygw is the command that starts the S3 server CI tests against.
const startVersitygw = `mkdir -p /tmp/intake-s3 && ROOT_ACCESS_KEY=intake ROOT_SECRET_KEY=intake-secret versitygw --port 127.0.0.1:7070 posix /tmp/intake-s3 &
TEST_S3_ENDPOINT=127.0.0.1:7070 TEST_S3_ACCESS_KEY=intake TEST_S3_SECRET_KEY=intake-secret go test ./storage/s3`

// TestBlobStoreExternal runs the contract against a real S3 server named by
// TEST_S3_ENDPOINT (host:port or URL), TEST_S3_ACCESS_KEY and
// TEST_S3_SECRET_KEY, in bucket TEST_S3_BUCKET (default "intake-test").
// Unset, it fails under CI and is skipped elsewhere.
func TestBlobStoreExternal(t *testing.T) {
	endpoint := os.Getenv("TEST_S3_ENDPOINT")
	if endpoint == "" {
		msg := "TEST_S3_ENDPOINT is unset: no external S3 server to test against. Start one with:\n" + startVersitygw
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cfg := s3.Config{
		Endpoint:  endpoint,
		AccessKey: os.Getenv("TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("TEST_S3_SECRET_KEY"),
		Bucket:    cmp.Or(os.Getenv("TEST_S3_BUCKET"), "intake-test"),
	}
	store := newStore(t, cfg)
	runContract(t, store)

	t.Run("200 MiB of unknown size keeps the heap bounded", func(t *testing.T) {
		checkHeapBounded(t, store)
	})

	t.Run("concurrent New creates the bucket", func(t *testing.T) {
		fresh := cfg
		fresh.Bucket = "intake-test-" + strings.ToLower(rand.Text())[:12]
		t.Cleanup(func() { removeBucket(t, fresh) })
		newConcurrently(t, fresh)
	})
	t.Run("wrong secret is refused", func(t *testing.T) {
		wrong := cfg
		wrong.SecretKey += "-wrong"
		if _, err := s3.New(t.Context(), wrong); err == nil {
			t.Fatal("New succeeded with a wrong secret key")
		}
	})
}

// removeBucket drops a bucket the test created, so runs leave nothing behind.
// It runs in t.Cleanup, after t.Context is cancelled.
func removeBucket(t *testing.T, cfg s3.Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host := strings.TrimPrefix(strings.TrimPrefix(cfg.Endpoint, "http://"), "https://")
	client, err := minio.New(host, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure || strings.HasPrefix(cfg.Endpoint, "https://"),
	})
	if err == nil {
		err = client.RemoveBucket(ctx, cfg.Bucket)
	}
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchBucket" {
		t.Errorf("remove bucket %s: %v", cfg.Bucket, err)
	}
}
