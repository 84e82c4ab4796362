package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"intake/storage/postgres"
	"intake/storage/s3"
)

// benchOptions are the flags of `intake bench`.
type benchOptions struct {
	rows      int
	flatRows  int // a second, smaller validation of csv and inline xlsx, for the RSS flatness target
	out       string
	keep      bool
	red       float64
	yellow    float64
	seed      uint64
	formats   []string
	pollers   int
	pollEvery time.Duration
	uploadMiB int
	redisURL  string
	jsonPath  string
	floorRead string // internal: run as the floor_read child on this file
}

// benchFormats are the files `intake bench` can validate: xlsx is written the
// way Excel writes it (a shared-strings table), xlsx-inline the way
// excelize's StreamWriter does (inline strings), csv the way French Excel
// saves CSV (semicolons), in UTF-8.
var benchFormats = []string{"xlsx", "xlsx-inline", "csv"}

func parseBenchFlags(args []string, stderr io.Writer) (benchOptions, error) {
	var o benchOptions
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.rows, "rows", 1_000_000, "data rows of the generated files")
	fs.IntVar(&o.flatRows, "flat-rows", 100_000, "rows of the smaller csv and xlsx-inline validations that RSS flatness is measured against (0: none)")
	fs.StringVar(&o.out, "out", filepath.Join(os.TempDir(), "intake-bench"), "directory of the generated files (kept and reused), logs and temp files")
	fs.BoolVar(&o.keep, "keep", false, "keep the scratch database and the uploaded objects")
	fs.Float64Var(&o.red, "red", 0.02, "share of rows with a red code")
	fs.Float64Var(&o.yellow, "yellow", 0.10, "share of rows with a yellow code")
	fs.Uint64Var(&o.seed, "seed", 1, "generator seed")
	formats := fs.String("formats", strings.Join(benchFormats, ","), "files to validate, among "+strings.Join(benchFormats, ","))
	fs.IntVar(&o.pollers, "pollers", 50, "concurrent pollers of GET /v1/imports/{id} during each validation")
	fs.DurationVar(&o.pollEvery, "poll-every", 250*time.Millisecond, "interval between two polls of one poller")
	fs.IntVar(&o.uploadMiB, "upload-mib", 200, "size of the upload that measures the API's memory (0: skip)")
	fs.StringVar(&o.redisURL, "redis", "redis://127.0.0.1:6379/11", "Redis database of the benchmark's queues (flushed)")
	fs.StringVar(&o.jsonPath, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&o.floorRead, "floor-read", "", "internal: read this file as floor_read and report")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, f := range strings.Split(*formats, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		found := false
		for _, k := range benchFormats {
			found = found || k == f
		}
		if !found {
			return o, fmt.Errorf("-formats: unknown %q: %w", f, flag.ErrHelp)
		}
		o.formats = append(o.formats, f)
	}
	if o.rows < 10 || len(o.formats) == 0 {
		return o, fmt.Errorf("-rows must be at least 10 and -formats name one format: %w", flag.ErrHelp)
	}
	return o, nil
}

// bench is one run of `intake bench`: a scratch database, a Redis database,
// an S3 bucket, an API process and, per phase, a fresh worker process.
type bench struct {
	opts    benchOptions
	exe     string
	stdout  io.Writer
	cfg     config
	dsn     string // the scratch database
	db      *postgres.DB
	blobs   *s3.BlobStore
	env     []string // of the API and worker processes
	api     *benchProc
	client  *benchClient
	logDir  string
	tmpDir  string
	workers int
	objects []string // uploaded objects, deleted at the end
	results []benchResult
}

// runBench runs `intake bench`: see docs/perf.md.
func runBench(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) error {
	o, err := parseBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.floorRead != "" {
		return runFloorRead(o.floorRead, o.out, stdout)
	}
	b := &bench{opts: o, stdout: stdout, cfg: cfg}
	if b.exe, err = os.Executable(); err != nil {
		return err
	}
	b.logDir, b.tmpDir = filepath.Join(o.out, "logs"), filepath.Join(o.out, "tmp")
	for _, d := range []string{o.out, b.logDir, b.tmpDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	defer b.cleanup(context.WithoutCancel(ctx))
	if err := b.setup(ctx); err != nil {
		return err
	}
	runErr := b.run(ctx)
	b.report(stdout)
	if o.jsonPath != "" {
		if err := b.writeJSON(o.jsonPath); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}

// setup creates the scratch database, flushes the Redis database, connects
// to S3 (S3_ENDPOINT, else an embedded server in this process) and starts
// the API.
func (b *bench) setup(ctx context.Context) error {
	u, err := url.Parse(b.cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	r := make([]byte, 4)
	_, _ = rand.Read(r)
	u.Path = "/intake_bench_" + hex.EncodeToString(r)
	b.dsn = u.String()
	fmt.Fprintf(b.stdout, "intake bench: %d rows, formats %s, database %s, logs in %s\n",
		b.opts.rows, strings.Join(b.opts.formats, ","), strings.TrimPrefix(u.Path, "/"), b.logDir)
	if err := postgres.CreateDatabase(ctx, b.dsn); err != nil {
		return err
	}
	if err := postgres.Migrate(ctx, b.dsn); err != nil {
		return err
	}
	if b.db, err = postgres.Open(ctx, b.dsn); err != nil {
		return err
	}

	ropt, err := redis.ParseURL(b.opts.redisURL)
	if err != nil {
		return fmt.Errorf("-redis: %w", err)
	}
	rdb := redis.NewClient(ropt)
	err = rdb.FlushDB(ctx).Err()
	rdb.Close()
	if err != nil {
		return fmt.Errorf("flush redis %s: %w", b.opts.redisURL, err)
	}

	s3cfg := s3.Config{Endpoint: b.cfg.S3Endpoint, AccessKey: b.cfg.S3AccessKey, SecretKey: b.cfg.S3SecretKey,
		Bucket: "intake-bench", Region: b.cfg.S3Region, Secure: b.cfg.S3Secure}
	if s3cfg.Endpoint == "" {
		emb, err := s3.StartEmbedded(ctx, filepath.Join(b.opts.out, "s3"))
		if err != nil {
			return err
		}
		s3cfg = emb.Config()
		go func() { <-ctx.Done(); emb.Close() }()
	}
	if b.blobs, err = s3.New(ctx, s3cfg); err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	b.env = withEnv(os.Environ(), "DATABASE_URL", b.dsn, "REDIS_URL", b.opts.redisURL,
		"S3_ENDPOINT", s3cfg.Endpoint, "S3_ACCESS_KEY", s3cfg.AccessKey, "S3_SECRET_KEY", s3cfg.SecretKey,
		"S3_BUCKET", s3cfg.Bucket, "S3_REGION", s3cfg.Region, "S3_SECURE", fmt.Sprint(s3cfg.Secure),
		"INTAKE_ADDR", addr, "INTAKE_TEMP_DIR", b.tmpDir,
		// 50 pollers of one tenant exceed the default 50 requests/s per tenant.
		"INTAKE_RATE_LIMIT", "0")
	// API and workers share this machine and cgroup: validation is batch
	// work (see workerTuning.Nice).
	if os.Getenv("INTAKE_WORKER_NICE") == "" {
		b.env = withEnv(b.env, "INTAKE_WORKER_NICE", "10")
	}
	if b.api, err = startProc(b.exe, "api", []string{"api"}, b.env, filepath.Join(b.logDir, "api.log")); err != nil {
		return err
	}
	b.client = newBenchClient("http://" + addr)
	return waitFor(ctx, 30*time.Second, 50*time.Millisecond, "api ready", func() (bool, error) {
		if err := b.api.alive(); err != nil {
			return false, err
		}
		resp, err := b.client.http.Get(b.client.url + "/readyz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == 200, nil
	})
}

// startWorker starts a fresh worker process: each phase reads its own peak
// RSS.
func (b *bench) startWorker() (*benchProc, error) {
	b.workers++
	return startProc(b.exe, "worker", []string{"worker"}, b.env,
		filepath.Join(b.logDir, fmt.Sprintf("worker-%02d.log", b.workers)))
}

// cleanup stops the API, drops the scratch database and deletes the
// uploaded objects, unless -keep.
func (b *bench) cleanup(ctx context.Context) {
	if b.api != nil {
		_ = b.api.stop(30 * time.Second)
	}
	if b.db != nil {
		b.db.Close()
	}
	if b.opts.keep || b.dsn == "" {
		if b.dsn != "" {
			fmt.Fprintf(b.stdout, "kept database %s\n", b.dsn)
		}
		return
	}
	if b.blobs != nil {
		for _, k := range b.objects {
			_ = b.blobs.Delete(ctx, k)
		}
	}
	u, err := url.Parse(b.dsn)
	if err != nil {
		return
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		fmt.Fprintf(b.stdout, "drop database %s: %v\n", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		fmt.Fprintf(b.stdout, "drop database %s: %v\n", name, err)
	}
}

// file returns the path of a generated file, generating it the first time
// (files are deterministic, so a cached one is the same file).
func (b *bench) file(format string, rows int, update bool) (string, error) {
	kind := "customers"
	if update {
		kind = "update"
	}
	ext := map[string]string{"xlsx": ".xlsx", "xlsx-inline": "-inline.xlsx", "csv": ".csv"}[format]
	path := filepath.Join(b.opts.out, fmt.Sprintf("%s-%d-r%g-y%g-s%d-v1%s", kind, rows, b.opts.red, b.opts.yellow, b.opts.seed, ext))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	t := time.Now()
	g := newBenchGen(rows, b.opts.red, b.opts.yellow, b.opts.seed)
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return "", err
	}
	if format == "csv" {
		err = writeBenchCSV(f, g, update)
	} else {
		err = writeBenchXLSX(f, g, update, format == "xlsx", b.tmpDir)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(path+".tmp", path)
	}
	if err != nil {
		os.Remove(path + ".tmp")
		return "", fmt.Errorf("generate %s: %w", path, err)
	}
	st, _ := os.Stat(path)
	fmt.Fprintf(b.stdout, "generated %s (%s) in %.1fs\n", filepath.Base(path), mib(st.Size()), time.Since(t).Seconds())
	return path, nil
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }
