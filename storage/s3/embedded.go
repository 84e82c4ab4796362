package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/spf13/afero"
)

// The embedded server checks no signature, so these only need to be
// non-empty for minio-go to sign with something.
const (
	embeddedAccessKey = "intake-dev"
	embeddedSecretKey = "intake-dev-secret"
)

// Embedded is an S3-compatible server running inside this process on a
// loopback port and storing objects under a local folder, for `intake dev`.
// It authenticates nobody; see the package documentation.
type Embedded struct {
	srv    *http.Server
	addr   string
	served chan error

	closeOnce sync.Once
	closeErr  error
}

// StartEmbedded starts an embedded server storing its objects under dir
// (created if missing; objects survive a restart on the same dir) and
// creates the "intake" bucket in it. ctx bounds the start only; the server
// runs until Close.
func StartEmbedded(ctx context.Context, dir string) (*Embedded, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded s3 folder %s: %w", dir, err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("embedded s3 folder: %w", err)
	}
	objects, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), root))
	if err != nil {
		return nil, fmt.Errorf("embedded s3 storage: %w", err)
	}
	backend, err := newDiskBackend(objects, filepath.Join(root, "multipart"))
	if err != nil {
		return nil, err
	}
	exists, err := backend.BucketExists(defaultBucket)
	if err != nil {
		return nil, fmt.Errorf("embedded s3 bucket: %w", err)
	}
	if !exists {
		if err := backend.CreateBucket(defaultBucket); err != nil {
			return nil, fmt.Errorf("embedded s3 bucket: %w", err)
		}
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("embedded s3 listen: %w", err)
	}
	faker := gofakes3.New(backend, gofakes3.WithoutVersioning())
	e := &Embedded{
		srv: &http.Server{
			Handler:           refuseChunkedPayloads(faker.Server()),
			ReadHeaderTimeout: 10 * time.Second,
			// Clients hanging up mid-upload are routine; do not log them.
			ErrorLog: log.New(io.Discard, "", 0),
		},
		addr:   ln.Addr().String(),
		served: make(chan error, 1),
	}
	go func() { e.served <- e.srv.Serve(ln) }()
	return e, nil
}

// Config returns the Config that reaches this server's "intake" bucket.
func (e *Embedded) Config() Config {
	return Config{
		Endpoint:  e.addr,
		AccessKey: embeddedAccessKey,
		SecretKey: embeddedSecretKey,
		Bucket:    defaultBucket,
		Region:    defaultRegion,
	}
}

// Close stops the server, giving requests in flight five seconds to finish.
// Calling it again returns the first call's result.
func (e *Embedded) Close() error {
	e.closeOnce.Do(func() { e.closeErr = e.shutdown() })
	return e.closeErr
}

func (e *Embedded) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := e.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = e.srv.Close()
	}
	if serveErr := <-e.served; !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("embedded s3: %w", serveErr)
	}
	if err != nil {
		return fmt.Errorf("stop embedded s3: %w", err)
	}
	return nil
}

// refuseChunkedPayloads answers 501 to the aws-chunked bodies that gofakes3
// v1.2.0 would store with their framing as content: any STREAMING-* payload
// of a multipart part, and the trailer variants anywhere (it decodes only a
// signed, trailer-less single PUT). BlobStore never sends such bodies.
func refuseChunkedPayloads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode := r.Header.Get("X-Amz-Content-Sha256")
		if strings.HasPrefix(mode, "STREAMING-") &&
			(mode != "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" || r.URL.Query().Has("partNumber")) {
			writeS3Error(w, http.StatusNotImplemented, "NotImplemented",
				"the embedded S3 server does not decode "+mode+" bodies here; send an unsigned payload")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeS3Error(w http.ResponseWriter, status int, code, message string) {
	body, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
		Message string
	}{Code: code, Message: message})
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write(append([]byte(xml.Header), body...))
}
