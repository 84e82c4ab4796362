package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"intake/storage/s3"
)

// startEmbedded starts an embedded server on a temporary folder, stopped when
// the test ends.
func startEmbedded(t *testing.T, dir string) *s3.Embedded {
	t.Helper()
	e, err := s3.StartEmbedded(t.Context(), dir)
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

func newStore(t *testing.T, cfg s3.Config) *s3.BlobStore {
	t.Helper()
	store, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return store
}

func TestBlobStoreEmbedded(t *testing.T) {
	e := startEmbedded(t, t.TempDir())
	runContract(t, newStore(t, e.Config()))
}

func TestEmbeddedKeepsObjectsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	first, err := s3.StartEmbedded(t.Context(), dir)
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	key := uniqueKey()
	if _, err := newStore(t, first.Config()).Put(t.Context(), key, strings.NewReader("kept"), -1); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	second := startEmbedded(t, dir)
	if got, _ := readAll(t, newStore(t, second.Config()), key); string(got) != "kept" {
		t.Fatalf("after restart read %q, want %q", got, "kept")
	}
}

func TestNewCreatesBucketOnceUnderConcurrency(t *testing.T) {
	cfg := startEmbedded(t, t.TempDir()).Config()
	cfg.Bucket = "created-by-new"
	newConcurrently(t, cfg)
}

// newConcurrently calls New from several goroutines on a bucket that does
// not exist yet, as an api and workers starting together do.
func newConcurrently(t *testing.T, cfg s3.Config) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			store, err := s3.New(t.Context(), cfg)
			if err == nil {
				err = store.Ping(t.Context())
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("New #%d: %v", i, err)
		}
	}
}

func TestNewConfig(t *testing.T) {
	cfg := startEmbedded(t, t.TempDir()).Config()

	asURL := cfg
	asURL.Endpoint = "http://" + cfg.Endpoint
	if err := newStore(t, asURL).Ping(t.Context()); err != nil {
		t.Errorf("endpoint as URL: Ping: %v", err)
	}

	for name, bad := range map[string]func(*s3.Config){
		"empty endpoint":    func(c *s3.Config) { c.Endpoint = "" },
		"ftp scheme":        func(c *s3.Config) { c.Endpoint = "ftp://" + cfg.Endpoint },
		"path in endpoint":  func(c *s3.Config) { c.Endpoint = "http://" + cfg.Endpoint + "/bucket" },
		"part size < 5 MiB": func(c *s3.Config) { c.PartSize = 1 << 20 },
	} {
		c := cfg
		bad(&c)
		if _, err := s3.New(t.Context(), c); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestPingFailsWhenServerIsGone(t *testing.T) {
	e, err := s3.StartEmbedded(t.Context(), t.TempDir())
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	store := newStore(t, e.Config())
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if err := store.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded with the server stopped")
	}
}

// gofakes3 v1.2.0 stores the aws-chunked framing of a multipart part as
// content. minio-go sends that framing over plain HTTP unless told not to
// (BlobStore does); the embedded server must refuse it, not corrupt the file.
func TestEmbeddedRefusesChunkedParts(t *testing.T) {
	cfg := startEmbedded(t, t.TempDir()).Config()
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Region: cfg.Region,
	})
	if err != nil {
		t.Fatalf("minio.New: %v", err)
	}

	// A single signed-chunked PUT is decoded by gofakes3 and stays allowed.
	body := "id;name\r\n1;a"
	if _, err := client.PutObject(t.Context(), cfg.Bucket, "single", strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("chunked single PUT: %v", err)
	}
	obj, err := client.GetObject(t.Context(), cfg.Bucket, "single", minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || string(got) != body {
		t.Fatalf("chunked single PUT read back %q (%v), want %q", got, err, body)
	}

	// Parts with the same framing are refused.
	_, err = client.PutObject(t.Context(), cfg.Bucket, "parts", generator(6<<20, 2), -1, minio.PutObjectOptions{PartSize: 5 << 20})
	if code := minio.ToErrorResponse(err).Code; code != "NotImplemented" {
		t.Fatalf("chunked multipart upload: err %v (code %q), want NotImplemented", err, code)
	}
}

// A 200 MiB upload of unknown size must not cost memory in proportion to
// its size: minio-go's own default part size for unknown sizes would
// allocate ~528 MiB. The embedded server runs in this process too, so this
// also bounds what an `intake dev` upload costs it.
func TestPutUnknownSizeKeepsHeapBounded(t *testing.T) {
	checkHeapBounded(t, newStore(t, startEmbedded(t, t.TempDir()).Config()))
}

// checkHeapBounded streams 200 MiB of unknown size through store.Put and
// fails if the heap grows by 64 MiB or more meanwhile.
func checkHeapBounded(t *testing.T, store *s3.BlobStore) {
	t.Helper()
	const size = 200 << 20
	const maxGrowth = 64 << 20
	key := uniqueKey()

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var m runtime.MemStats
		var high uint64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			high = max(high, m.HeapAlloc)
			select {
			case <-stop:
				peak <- high
				return
			case <-tick.C:
			}
		}
	}()
	n, err := store.Put(t.Context(), key, generator(size, 3), -1)
	close(stop)
	high := <-peak
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if n != size {
		t.Fatalf("Put stored %d bytes, want %d", n, size)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	growth := int64(high) - int64(before.HeapAlloc)
	t.Logf("heap before %d MiB, peak %d MiB (growth %d MiB); allocated during Put %d MiB",
		before.HeapAlloc>>20, high>>20, growth>>20, (after.TotalAlloc-before.TotalAlloc)>>20)
	if growth >= maxGrowth {
		t.Fatalf("heap grew by %d MiB during a %d MiB Put, want < %d MiB", growth>>20, size>>20, maxGrowth>>20)
	}

	// The bytes must also be right.
	rc, _, err := store.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	if equal, err := sameStream(rc, generator(size, 3)); err != nil || !equal {
		t.Fatalf("stored object differs from what was sent (err %v)", err)
	}
	deleteKey(t, store, key)
}

// sameStream compares two streams chunk by chunk.
func sameStream(a, b io.Reader) (bool, error) {
	bufA, bufB := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		na, errA := io.ReadFull(a, bufA)
		nb, errB := io.ReadFull(b, bufB)
		if !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		endA := errors.Is(errA, io.EOF) || errors.Is(errA, io.ErrUnexpectedEOF)
		endB := errors.Is(errB, io.EOF) || errors.Is(errB, io.ErrUnexpectedEOF)
		if errA != nil && !endA {
			return false, errA
		}
		if errB != nil && !endB {
			return false, errB
		}
		if endA || endB {
			return endA == endB, nil
		}
	}
}
