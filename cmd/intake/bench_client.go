package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"intake/jobs"
)

// benchClient calls the API the way a user's tools would.
type benchClient struct {
	url  string
	http *http.Client
}

func newBenchClient(url string) *benchClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256 // pollers reuse their connections
	return &benchClient{url: url, http: &http.Client{Transport: tr}}
}

// do sends a request and decodes a 2xx JSON answer into out.
func (c *benchClient) do(ctx context.Context, method, path, key string, body io.Reader, size int64, ctype string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, body)
	if err != nil {
		return err
	}
	if size >= 0 && body != nil {
		req.ContentLength = size
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// upload posts the file at path as the multipart part "file" with a
// Content-Length, the way curl -F does.
func (c *benchClient) upload(ctx context.Context, key, path string) (*jobs.Import, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	if _, err := mw.CreateFormFile("file", filepath.Base(path)); err != nil {
		return nil, err
	}
	n := head.Len()
	if err := mw.Close(); err != nil {
		return nil, err
	}
	tail := bytes.Clone(head.Bytes()[n:])
	head.Truncate(n)
	size := int64(head.Len()) + st.Size() + int64(len(tail))
	body := io.MultiReader(&head, f, bytes.NewReader(tail))
	var imp jobs.Import
	if err := c.do(ctx, "POST", "/v1/imports", key, body, size, mw.FormDataContentType(), &imp); err != nil {
		return nil, err
	}
	return &imp, nil
}

func (c *benchClient) get(ctx context.Context, key, id string) (*jobs.Import, error) {
	var imp jobs.Import
	if err := c.do(ctx, "GET", "/v1/imports/"+id, key, nil, -1, "", &imp); err != nil {
		return nil, err
	}
	return &imp, nil
}

// wait polls the import every interval until its status is want, and fails
// on any other final status.
func (c *benchClient) wait(ctx context.Context, key, id string, want jobs.Status, interval time.Duration) (*jobs.Import, error) {
	var imp *jobs.Import
	err := waitFor(ctx, 2*time.Hour, interval, "wait for "+string(want), func() (bool, error) {
		var err error
		if imp, err = c.get(ctx, key, id); err != nil {
			return false, err
		}
		switch imp.Status {
		case want:
			return true, nil
		case jobs.StatusFailed, jobs.StatusCancelled, jobs.StatusExpired, jobs.StatusCompleted:
			return false, fmt.Errorf("import %s is %s (%+v)", id, imp.Status, imp.Error)
		}
		return false, nil
	})
	return imp, err
}

// pollers are concurrent users polling an import while something runs, to
// measure how the API answers under load.
type pollers struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	lat    []time.Duration
	errs   int
}

// startPollers starts n goroutines that each GET the import every interval.
func (c *benchClient) startPollers(ctx context.Context, n int, interval time.Duration, key, id string) *pollers {
	ctx, cancel := context.WithCancel(ctx)
	p := &pollers{cancel: cancel}
	for i := range n {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			// Spread the pollers over the interval.
			next := time.Now().Add(interval * time.Duration(i) / time.Duration(n))
			var lat []time.Duration
			errs := 0
			defer func() {
				p.mu.Lock()
				p.lat, p.errs = append(p.lat, lat...), p.errs+errs
				p.mu.Unlock()
			}()
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Until(next)):
				}
				t := time.Now()
				if _, err := c.get(ctx, key, id); err != nil {
					if ctx.Err() != nil {
						return
					}
					errs++
				} else {
					lat = append(lat, time.Since(t))
				}
				next = t.Add(interval)
			}
		}()
	}
	return p
}

// stop ends the polling and returns the 50th and 99th percentile latencies,
// the number of requests and of errors.
func (p *pollers) stop() (p50, p99 time.Duration, n, errs int) {
	p.cancel()
	p.wg.Wait()
	slices.Sort(p.lat)
	if len(p.lat) == 0 {
		return 0, 0, 0, p.errs
	}
	at := func(q float64) time.Duration { return p.lat[min(len(p.lat)-1, int(q*float64(len(p.lat))))] }
	return at(0.50), at(0.99), len(p.lat), p.errs
}
