package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// reqInfo is what the inner handlers tell the outer middleware about a
// request: the authenticated tenant, for the request log.
type reqInfo struct {
	tenant int64
}

type infoKey struct{}

// infoFrom returns the request's info; never nil.
func infoFrom(ctx context.Context) *reqInfo {
	if i, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

// ServeHTTP routes r and wraps every request, matched or not, in panic
// recovery, the request log and the metrics. Unknown paths and wrong methods
// are answered as problems rather than ServeMux's plain text.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &reqInfo{}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	sw := &statusWriter{ResponseWriter: w}
	sw.Header().Set("X-Content-Type-Options", "nosniff")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic", "route", r.Pattern, "method", r.Method,
				"panic", v, "stack", string(debug.Stack()))
			if !sw.wrote {
				s.writeProblem(sw, r, s.newProblem(r, http.StatusInternalServerError, "internal"))
			}
		}
		s.observe(r, sw.status, time.Since(start), info)
	}()
	if h, pattern := s.mux.Handler(r); pattern == "" {
		// ServeMux answers 404 or 405 (with Allow) here; turn that into a problem.
		h.ServeHTTP(&unmatchedWriter{statusWriter: sw, s: s, r: r}, r)
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// observe logs the request and counts it. The route label is the matched
// pattern (r.Pattern), so the label set stays bounded whatever the paths.
func (s *server) observe(r *http.Request, status int, d time.Duration, info *reqInfo) {
	if status == 0 {
		status = http.StatusOK
	}
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	method := methodLabel(r.Method)
	s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(route, method).Observe(d.Seconds())

	level := slog.LevelInfo
	if status >= 500 && status != statusClientClosed {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", d),
	}
	if info.tenant != 0 {
		attrs = append(attrs, slog.Int64("tenant", info.tenant))
	}
	// Never the headers: Authorization carries the API key.
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
}

// methodLabel keeps the method label bounded: unknown methods count as "other".
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusWriter records the status a handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// unmatchedWriter turns ServeMux's plain-text 404 and 405 into problems; the
// Allow header that ServeMux sets for a 405 is kept.
type unmatchedWriter struct {
	*statusWriter
	s        *server
	r        *http.Request
	replaced bool
}

func (w *unmatchedWriter) WriteHeader(code int) {
	switch code {
	case http.StatusNotFound:
		w.replaced = true
		w.s.writeProblem(w.statusWriter, w.r, w.s.newProblem(w.r, code, "not_found"))
	case http.StatusMethodNotAllowed:
		w.replaced = true
		w.s.writeProblem(w.statusWriter, w.r, w.s.newProblem(w.r, code, codeMethodNotAllowed))
	default:
		w.statusWriter.WriteHeader(code)
	}
}

func (w *unmatchedWriter) Write(p []byte) (int, error) {
	if w.replaced {
		return len(p), nil
	}
	return w.statusWriter.Write(p)
}

// metrics are the API's Prometheus collectors.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newMetrics registers the HTTP metrics in reg, or reuses the ones already
// there (New called twice with one registry).
func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intake_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "intake_http_request_duration_seconds",
			Help: "Time to serve HTTP requests, by route pattern and method.",
			// Uploads of large files take minutes: the buckets reach 5 min.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"route", "method"}),
	}
	m.requests = register(reg, m.requests)
	m.duration = register(reg, m.duration)
	return m
}

// register registers c in reg and returns it, or the collector already
// registered under the same name.
func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic("api: register metrics: " + err.Error())
	}
	return c
}
