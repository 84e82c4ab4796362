package s3_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	mathrand "math/rand/v2"
	"strings"
	"testing"

	"intake/storage/s3"
)

// runContract checks what intake relies on from a BlobStore, against
// whichever server store talks to. Keys are unique per call, so a shared
// external bucket is fine.
func runContract(t *testing.T, store *s3.BlobStore) {
	t.Run("40 MiB object, size known", func(t *testing.T) {
		roundTrip(t, store, 40<<20, true)
	})
	t.Run("40 MiB object, size unknown", func(t *testing.T) {
		roundTrip(t, store, 40<<20, false)
	})
	t.Run("small objects", func(t *testing.T) {
		tests := []struct {
			name  string
			body  string
			known bool
		}{
			{"csv, size known", "id;name\r\n1;a", true},
			{"csv, size unknown", "id;name\r\n1;a", false},
			{"empty, size known", "", true},
			{"empty, size unknown", "", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				key := uniqueKey()
				size := int64(-1)
				if tt.known {
					size = int64(len(tt.body))
				}
				n, err := store.Put(t.Context(), key, strings.NewReader(tt.body), size)
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				if n != int64(len(tt.body)) {
					t.Errorf("Put stored %d bytes, want %d", n, len(tt.body))
				}
				got, gotSize := readAll(t, store, key)
				if string(got) != tt.body || gotSize != int64(len(tt.body)) {
					t.Errorf("read back %q (size %d), want %q", got, gotSize, tt.body)
				}
				deleteKey(t, store, key)
			})
		}
	})
	t.Run("missing object is ErrNotFound", func(t *testing.T) {
		_, _, err := store.Open(t.Context(), uniqueKey())
		if !errors.Is(err, s3.ErrNotFound) {
			t.Fatalf("Open of a missing key: %v, want ErrNotFound", err)
		}
	})
	t.Run("delete is idempotent", func(t *testing.T) {
		key := uniqueKey()
		if _, err := store.Put(t.Context(), key, strings.NewReader("x"), 1); err != nil {
			t.Fatalf("Put: %v", err)
		}
		for i := range 2 {
			if err := store.Delete(t.Context(), key); err != nil {
				t.Fatalf("Delete #%d: %v", i+1, err)
			}
		}
		if _, _, err := store.Open(t.Context(), key); !errors.Is(err, s3.ErrNotFound) {
			t.Fatalf("Open after Delete: %v, want ErrNotFound", err)
		}
	})
	t.Run("bad keys are refused", func(t *testing.T) {
		bad := []string{
			"",
			"imports/1/Clients 2024.xlsx",
			"imports/1/clients.csv",
			"imports/1/ABC",
			"../etc/passwd",
			"/imports/1/x",
			"imports/1/",
			"imports//x",
			"imports/1/caf\u00e9",
			"imports/1/x\x00",
			strings.Repeat("a", 1025),
		}
		for _, key := range bad {
			body := &countingReader{r: strings.NewReader("data")}
			if _, err := store.Put(t.Context(), key, body, 4); !errors.Is(err, s3.ErrInvalidKey) {
				t.Errorf("Put(%q): %v, want ErrInvalidKey", key, err)
			}
			if body.n != 0 {
				t.Errorf("Put(%q) read %d bytes before refusing the key", key, body.n)
			}
			if _, _, err := store.Open(t.Context(), key); !errors.Is(err, s3.ErrInvalidKey) {
				t.Errorf("Open(%q): %v, want ErrInvalidKey", key, err)
			}
			if err := store.Delete(t.Context(), key); !errors.Is(err, s3.ErrInvalidKey) {
				t.Errorf("Delete(%q): %v, want ErrInvalidKey", key, err)
			}
		}
	})
	t.Run("ping", func(t *testing.T) {
		if err := store.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

// roundTrip stores size pseudo-random bytes streamed from a generator and
// checks that the same bytes come back.
func roundTrip(t *testing.T, store *s3.BlobStore, size int64, known bool) {
	t.Helper()
	key := uniqueKey()
	sent := sha256.New()
	src := io.TeeReader(generator(size, 1), sent)
	putSize := int64(-1)
	if known {
		putSize = size
	}
	n, err := store.Put(t.Context(), key, src, putSize)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if n != size {
		t.Fatalf("Put stored %d bytes, want %d", n, size)
	}

	rc, gotSize, err := store.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	if gotSize != size {
		t.Errorf("Open size = %d, want %d", gotSize, size)
	}
	got := sha256.New()
	read, err := io.Copy(got, rc)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if read != size || !bytes.Equal(got.Sum(nil), sent.Sum(nil)) {
		t.Fatalf("read back %d bytes, sha256 %x; sent %d bytes, sha256 %x", read, got.Sum(nil), size, sent.Sum(nil))
	}
	deleteKey(t, store, key)
}

// generator yields size deterministic pseudo-random bytes without holding
// them in memory.
func generator(size int64, seed byte) io.Reader {
	return io.LimitReader(mathrand.NewChaCha8([32]byte{seed}), size)
}

func uniqueKey() string {
	return s3.ImportKey(7, strings.ToLower(rand.Text()))
}

func readAll(t *testing.T, store *s3.BlobStore, key string) ([]byte, int64) {
	t.Helper()
	rc, size, err := store.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	return b, size
}

func deleteKey(t *testing.T, store *s3.BlobStore, key string) {
	t.Helper()
	if err := store.Delete(t.Context(), key); err != nil {
		t.Errorf("Delete: %v", err)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
