// Package api is Intake's HTTP interface (SPEC §7): net/http handlers over
// jobs.Service, API-key authentication, per-tenant rate limits,
// application/problem+json errors in the caller's language, request logs,
// Prometheus metrics and the OpenAPI document. It maps application error
// codes to HTTP statuses, in one table (problem.go), and nothing else does.
package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"intake/jobs"
	"intake/jobs/report"
)

// Defaults of Config. DefaultRateLimit is what `intake api` passes unless
// INTAKE_RATE_LIMIT says otherwise; a zero Config.RateLimit disables limits.
const (
	DefaultMaxUploadBytes = 200 << 20
	DefaultRateLimit      = 50
	DefaultRateBurst      = 100
)

// Check is one dependency that /readyz probes (Postgres, Redis, S3). Func is
// given a context that expires after 2 seconds.
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// Config configures the handler returned by New. The zero value is usable
// and has no rate limit.
type Config struct {
	// MaxUploadBytes is the largest file accepted by POST /v1/imports
	// (default 200 MiB); a larger one is refused with 413 and creates nothing.
	MaxUploadBytes int64
	// Logger receives the request log and internal errors (default slog.Default()).
	Logger *slog.Logger
	// Ready lists the dependencies /readyz checks; none means always ready.
	Ready []Check
	// Registry is where the API registers its HTTP metrics and what /metrics
	// serves (default: a new registry holding the HTTP metrics only). The
	// process metrics, if wanted, are registered by the caller.
	Registry *prometheus.Registry
	// RateLimit is each tenant's sustained rate in requests per second; 0
	// (or less) disables rate limiting. `intake api` passes DefaultRateLimit
	// (50) unless INTAKE_RATE_LIMIT says otherwise.
	RateLimit float64
	// RateBurst is how many requests a tenant may make at once, above the
	// sustained rate (default 100 when zero).
	RateBurst int
}

// server holds what the handlers share. It is built once by New.
type server struct {
	svc     *jobs.Service
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	limits  *limiter
	prom    http.Handler
}

// New returns the HTTP handler of the API over svc: every route of SPEC §7,
// wrapped in panic recovery, request logging and metrics. Routes under /v1 need an API key. New panics when
// cfg.Registry already holds different collectors under the API's metric
// names, as prometheus.MustRegister would.
func New(svc *jobs.Service, cfg Config) http.Handler {
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = DefaultRateBurst
	}
	s := &server{
		svc:     svc,
		cfg:     cfg,
		log:     cfg.Logger,
		mux:     http.NewServeMux(),
		metrics: newMetrics(cfg.Registry),
		limits:  newLimiter(cfg.RateLimit, cfg.RateBurst),
		prom:    promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}),
	}
	for _, rt := range s.routes() {
		h := rt.public
		if rt.tenant != nil {
			h = s.withTenant(rt.tenant)
		}
		s.mux.Handle(rt.method+" "+rt.path, h)
	}
	return s
}

// tenantHandler serves an authenticated request for tenant t; an error it
// returns is answered as a problem.
type tenantHandler func(w http.ResponseWriter, r *http.Request, t jobs.Tenant) error

// route is one entry of the route table: public routes have public set,
// /v1 routes have tenant set.
type route struct {
	method, path string
	public       http.HandlerFunc
	tenant       tenantHandler
}

// routes is the route table. The OpenAPI document describes each entry (a
// test checks both ways).
func (s *server) routes() []route {
	return []route{
		{method: "POST", path: "/v1/imports", tenant: s.upload},
		{method: "GET", path: "/v1/imports", tenant: s.listImports},
		{method: "GET", path: "/v1/imports/{id}", tenant: s.getImport},
		{method: "DELETE", path: "/v1/imports/{id}", tenant: s.cancelImport},
		{method: "GET", path: "/v1/imports/{id}/warnings", tenant: s.listWarnings},
		{method: "GET", path: "/v1/imports/{id}/skips", tenant: s.getSkips},
		{method: "PUT", path: "/v1/imports/{id}/skips", tenant: s.putSkips},
		{method: "POST", path: "/v1/imports/{id}/confirm", tenant: s.confirmImport},
		{method: "GET", path: "/v1/imports/{id}/report.xlsx", tenant: s.getReport(report.XLSX)},
		{method: "GET", path: "/v1/imports/{id}/report.csv", tenant: s.getReport(report.CSV)},
		{method: "GET", path: "/v1/templates/customers.xlsx", tenant: s.getTemplate(report.XLSX)},
		{method: "GET", path: "/v1/templates/customers.csv", tenant: s.getTemplate(report.CSV)},
		{method: "GET", path: "/v1/customers", tenant: s.listCustomers},
		{method: "GET", path: "/v1/customers/{code}", tenant: s.getCustomer},
		{method: "GET", path: "/healthz", public: s.healthz},
		{method: "GET", path: "/readyz", public: s.readyz},
		{method: "GET", path: "/metrics", public: s.metricsHandler},
		{method: "GET", path: "/openapi.json", public: s.openapi},
	}
}
