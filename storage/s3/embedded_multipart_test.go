package s3_test

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The embedded server stages multipart parts on disk; this drives its
// multipart API directly, beyond what BlobStore.Put exercises.
func TestEmbeddedMultipartUploads(t *testing.T) {
	cfg := startEmbedded(t, t.TempDir()).Config()
	client, err := minio.NewCore(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Region: cfg.Region,
	})
	if err != nil {
		t.Fatalf("minio.NewCore: %v", err)
	}
	ctx, bucket, key := t.Context(), cfg.Bucket, "imports/1/multipart"
	unsigned := minio.PutObjectPartOptions{DisableContentSha256: true}
	put := func(id string, n int, body string) minio.CompletePart {
		t.Helper()
		p, err := client.PutObjectPart(ctx, bucket, key, id, n, strings.NewReader(body), int64(len(body)), unsigned)
		if err != nil {
			t.Fatalf("PutObjectPart %d: %v", n, err)
		}
		return minio.CompletePart{PartNumber: n, ETag: p.ETag}
	}

	id, err := client.NewMultipartUpload(ctx, bucket, key, minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("NewMultipartUpload: %v", err)
	}
	second := put(id, 2, "world")
	stale := put(id, 1, "hello, ")
	first := put(id, 1, "Hello, ") // replaces the first part

	parts, err := client.ListObjectParts(ctx, bucket, key, id, 0, 1000)
	if err != nil {
		t.Fatalf("ListObjectParts: %v", err)
	}
	if len(parts.ObjectParts) != 2 || parts.ObjectParts[0].Size != 7 || parts.ObjectParts[1].Size != 5 {
		t.Errorf("ListObjectParts = %+v, want parts 1 (7 bytes) and 2 (5 bytes)", parts.ObjectParts)
	}
	uploads, err := client.ListMultipartUploads(ctx, bucket, "imports/", "", "", "", 1000)
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if !slices.ContainsFunc(uploads.Uploads, func(u minio.ObjectMultipartInfo) bool { return u.UploadID == id }) {
		t.Errorf("ListMultipartUploads does not list upload %s: %+v", id, uploads.Uploads)
	}

	for name, bad := range map[string][]minio.CompletePart{
		"parts out of order":  {second, first},
		"replaced part etag":  {stale, second},
		"part never uploaded": {first, {PartNumber: 3, ETag: second.ETag}},
	} {
		if _, err := client.CompleteMultipartUpload(ctx, bucket, key, id, bad, minio.PutObjectOptions{}); err == nil {
			t.Errorf("%s: CompleteMultipartUpload succeeded", name)
		}
	}
	info, err := client.CompleteMultipartUpload(ctx, bucket, key, id, []minio.CompletePart{first, second}, minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if !strings.HasSuffix(info.ETag, "-2") {
		t.Errorf("multipart ETag = %q, want an S3 multipart etag ending in -2", info.ETag)
	}
	rc, _, _, err := client.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || string(got) != "Hello, world" {
		t.Fatalf("object = %q (%v), want %q", got, err, "Hello, world")
	}

	aborted, err := client.NewMultipartUpload(ctx, bucket, key, minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("NewMultipartUpload: %v", err)
	}
	put(aborted, 1, "dropped")
	if err := client.AbortMultipartUpload(ctx, bucket, key, aborted); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	_, err = client.PutObjectPart(ctx, bucket, key, aborted, 2, strings.NewReader("late"), 4, unsigned)
	if code := minio.ToErrorResponse(err).Code; code != "NoSuchUpload" {
		t.Errorf("part after abort: %v (code %q), want NoSuchUpload", err, code)
	}
}
