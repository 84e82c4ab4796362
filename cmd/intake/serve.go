package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"intake/api"
	"intake/jobs"
	"intake/jobs/sheet"
	"intake/storage/postgres"
	"intake/storage/s3"
	"intake/worker"
)

// deps are the connections a process holds.
type deps struct {
	db       *postgres.DB
	blobs    *s3.BlobStore
	embedded *s3.Embedded
	redisOpt asynq.RedisConnOpt
	rdb      *redis.Client
	queue    *asynq.Client
	tasks    *asynq.Inspector
}

func connect(ctx context.Context, cfg config, allowEmbedded bool) (*deps, error) {
	d := &deps{}
	var err error
	if d.db, err = postgres.Open(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	if d.redisOpt, err = asynq.ParseRedisURI(cfg.RedisURL); err != nil {
		d.close()
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	ropt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		d.close()
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	d.rdb = redis.NewClient(ropt)
	d.queue = asynq.NewClient(d.redisOpt)
	d.tasks = asynq.NewInspector(d.redisOpt)
	s3cfg := s3.Config{Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey,
		Bucket: cfg.S3Bucket, Region: cfg.S3Region, Secure: cfg.S3Secure}
	if cfg.S3Endpoint == "" {
		if !allowEmbedded {
			d.close()
			return nil, errors.New("S3_ENDPOINT is not set (only `intake dev` runs an embedded S3 server)")
		}
		if d.embedded, err = s3.StartEmbedded(ctx, filepath.Join(cfg.DataDir, "s3")); err != nil {
			d.close()
			return nil, err
		}
		s3cfg = d.embedded.Config()
	}
	if d.blobs, err = s3.New(ctx, s3cfg); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *deps) close() {
	if d.queue != nil {
		d.queue.Close()
	}
	if d.tasks != nil {
		d.tasks.Close()
	}
	if d.rdb != nil {
		d.rdb.Close()
	}
	if d.embedded != nil {
		d.embedded.Close()
	}
	if d.db != nil {
		d.db.Close()
	}
}

func (d *deps) service(cfg config) *jobs.Service {
	return &jobs.Service{Store: d.db, Blobs: d.blobs, Queue: d.queue, TempDir: cfg.TempDir,
		Limits: sheet.Limits{MaxRows: cfg.MaxRows}, MaxReports: cfg.MaxReports}
}

func (d *deps) handlers(cfg config, log *slog.Logger) *jobs.Handlers {
	return &jobs.Handlers{Store: d.db, Blobs: d.blobs, Queue: d.queue, Tasks: d.tasks, Logger: log, TempDir: cfg.TempDir,
		RetainFor: cfg.Retention, StaleAfter: cfg.StaleAfter, Limits: sheet.Limits{MaxRows: cfg.MaxRows}}
}

func (d *deps) api(cfg config, log *slog.Logger) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		worker.NewQueueCollector(asynq.NewInspector(d.redisOpt)))
	return api.New(d.service(cfg), api.Config{
		MaxUploadBytes: cfg.MaxUpload,
		Logger:         log,
		Registry:       reg,
		RateLimit:      cfg.RateLimit,
		Ready: []api.Check{
			{Name: "postgres", Func: d.db.Ping},
			{Name: "redis", Func: func(ctx context.Context) error { return d.rdb.Ping(ctx).Err() }},
			{Name: "s3", Func: d.blobs.Ping},
		},
	})
}

func (d *deps) worker(cfg config, log *slog.Logger) *worker.Worker {
	return worker.New(d.handlers(cfg, log), worker.Config{Redis: d.redisOpt, Concurrency: cfg.Concurrency, Logger: log,
		ShutdownTimeout: cfg.ShutdownTimeout, RetentionEvery: cfg.RetentionEvery, MaxRetryDelay: cfg.MaxRetryDelay})
}

// serve runs h on ln until ctx is done, then drains requests for up to 20s.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func runAPI(ctx context.Context, cfg config, log *slog.Logger) error {
	d, err := connect(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer d.close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("api listening", "addr", ln.Addr().String())
	return serve(ctx, ln, d.api(cfg, log))
}

func runWorker(ctx context.Context, cfg config, log *slog.Logger) error {
	tuning, err := loadWorkerTuning()
	if err != nil {
		return err
	}
	tuning.apply(ctx, log)
	d, err := connect(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer d.close()
	log.Info("worker started", "concurrency", cfg.Concurrency)
	return d.worker(cfg, log).Run(ctx)
}

func runMigrate(ctx context.Context, cfg config, stdout io.Writer) error {
	if err := postgres.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

func runAPIKey(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: intake apikey create --tenant NAME: %w", flag.ErrHelp)
	}
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tenant := fs.String("tenant", "", "tenant name (created if new)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *tenant == "" {
		return fmt.Errorf("--tenant is required: %w", flag.ErrHelp)
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	t, key, err := db.CreateAPIKey(ctx, *tenant)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "API key for tenant %q (id %d); it is shown only once:\n%s\n", t.Name, t.ID, key)
	return nil
}

// runDev runs everything in one process: it creates the database if
// missing, applies migrations, starts the embedded S3 server unless
// S3_ENDPOINT is set, the API and a worker, and prints a ready-to-use key.
func runDev(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	if err := postgres.CreateDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	if err := postgres.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	d, err := connect(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer d.close()
	_, key, err := d.db.CreateAPIKey(ctx, "dev")
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Intake is running on http://%s\nexport INTAKE_URL=http://%s INTAKE_KEY=%s\n",
		ln.Addr(), ln.Addr(), key)
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Add(2)
	go func() { defer wg.Done(); errc <- d.worker(cfg, log).Run(wctx) }()
	go func() { defer wg.Done(); errc <- serve(wctx, ln, d.api(cfg, log)) }()
	err = <-errc
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
