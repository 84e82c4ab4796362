package api

import (
	"context"
	_ "embed"
	"net/http"
	"sync"
	"time"
)

// checkTimeout bounds each readiness check.
const checkTimeout = 2 * time.Second

// healthz handles GET /healthz: the process is up.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz handles GET /readyz: every check of Config.Ready runs at once,
// each within 2 seconds; 200 when all pass, else 503. The body names each
// check "ok" or "failed"; the errors go to the log only, since readiness is
// unauthenticated.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	results := make(map[string]string, len(s.cfg.Ready))
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		failed bool
	)
	for _, c := range s.cfg.Ready {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
			defer cancel()
			err := runCheck(ctx, c)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = true
				results[c.Name] = "failed"
				s.log.WarnContext(r.Context(), "readiness check failed", "check", c.Name, "err", err)
				return
			}
			results[c.Name] = "ok"
		})
	}
	wg.Wait()
	status, code := "ok", http.StatusOK
	if failed {
		status, code = "unavailable", http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, code, map[string]any{"status": status, "checks": results})
}

// runCheck runs c and gives up when ctx ends, even if c ignores ctx.
func runCheck(ctx context.Context, c Check) error {
	done := make(chan error, 1)
	go func() { done <- c.Func(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// metricsHandler handles GET /metrics: Config.Registry in the Prometheus
// exposition format.
func (s *server) metricsHandler(w http.ResponseWriter, r *http.Request) {
	s.prom.ServeHTTP(w, r)
}

// openapiJSON is the OpenAPI 3.1 description of the API.
//
//go:embed openapi.json
var openapiJSON []byte

// openapi handles GET /openapi.json.
func (s *server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapiJSON)
}
