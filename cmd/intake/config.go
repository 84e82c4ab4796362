package main

import (
	"cmp"
	"fmt"
	"os"
	"strconv"
	"time"
)

// config is the environment of SPEC §8, each variable with a default that
// works on a developer machine with local Postgres and Redis.
type config struct {
	DatabaseURL string // DATABASE_URL
	RedisURL    string // REDIS_URL
	S3Endpoint  string // S3_ENDPOINT; unset: embedded server (dev only)
	S3AccessKey string // S3_ACCESS_KEY
	S3SecretKey string // S3_SECRET_KEY
	S3Bucket    string // S3_BUCKET, default "intake"
	S3Region    string // S3_REGION, default "us-east-1"
	S3Secure    bool   // S3_SECURE, default false
	Addr        string // INTAKE_ADDR, default 127.0.0.1:8080
	MaxUpload   int64  // INTAKE_MAX_UPLOAD_BYTES, default 200 MiB
	MaxRows     int    // INTAKE_MAX_ROWS, default 1048575
	Retention   time.Duration
	Concurrency int    // INTAKE_WORKER_CONCURRENCY, default 2
	DataDir     string // INTAKE_DATA_DIR: the embedded S3 server's folder (dev), default ./.intake-data
	TempDir     string // INTAKE_TEMP_DIR: local copies of files being validated, default the OS temp dir
	RateLimit   float64
	MaxReports  int // INTAKE_MAX_REPORTS, default 2: reports one API process builds at once
	// ShutdownTimeout (INTAKE_WORKER_SHUTDOWN_TIMEOUT, default 25s) is how
	// long a stopping worker lets its tasks finish before asynq requeues them.
	ShutdownTimeout time.Duration
	// RetentionEvery (INTAKE_RETENTION_EVERY, default 1m) is the period of
	// the retention and janitor task.
	RetentionEvery time.Duration
	// StaleAfter (INTAKE_STALE_AFTER, default 2m) is how long an import may
	// sit queued, validating without progress, or confirming before the
	// janitor enqueues its task again.
	StaleAfter time.Duration
	// MaxRetryDelay (INTAKE_MAX_RETRY_DELAY, default 1m) caps the backoff
	// between a failed task's retries.
	MaxRetryDelay time.Duration
}

func loadConfig() (config, error) {
	c := config{
		DatabaseURL: cmp.Or(os.Getenv("DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/intake?sslmode=disable"),
		RedisURL:    cmp.Or(os.Getenv("REDIS_URL"), "redis://127.0.0.1:6379/0"),
		S3Endpoint:  os.Getenv("S3_ENDPOINT"),
		S3AccessKey: os.Getenv("S3_ACCESS_KEY"),
		S3SecretKey: os.Getenv("S3_SECRET_KEY"),
		S3Bucket:    cmp.Or(os.Getenv("S3_BUCKET"), "intake"),
		S3Region:    cmp.Or(os.Getenv("S3_REGION"), "us-east-1"),
		Addr:        cmp.Or(os.Getenv("INTAKE_ADDR"), "127.0.0.1:8080"),
		DataDir:     cmp.Or(os.Getenv("INTAKE_DATA_DIR"), ".intake-data"),
		TempDir:     os.Getenv("INTAKE_TEMP_DIR"),
	}
	var err error
	if c.S3Secure, err = envBool("S3_SECURE", false); err != nil {
		return c, err
	}
	if c.MaxUpload, err = envInt[int64]("INTAKE_MAX_UPLOAD_BYTES", 200<<20); err != nil {
		return c, err
	}
	if c.MaxRows, err = envInt[int]("INTAKE_MAX_ROWS", 1048575); err != nil {
		return c, err
	}
	if c.Concurrency, err = envInt[int]("INTAKE_WORKER_CONCURRENCY", 2); err != nil {
		return c, err
	}
	if c.MaxReports, err = envInt[int]("INTAKE_MAX_REPORTS", 2); err != nil {
		return c, err
	}
	if c.Retention, err = envDuration("INTAKE_RETENTION", 168*time.Hour); err != nil {
		return c, err
	}
	for _, d := range []struct {
		dst  *time.Duration
		name string
		def  time.Duration
	}{
		{&c.ShutdownTimeout, "INTAKE_WORKER_SHUTDOWN_TIMEOUT", 25 * time.Second},
		{&c.RetentionEvery, "INTAKE_RETENTION_EVERY", time.Minute},
		{&c.StaleAfter, "INTAKE_STALE_AFTER", 2 * time.Minute},
		{&c.MaxRetryDelay, "INTAKE_MAX_RETRY_DELAY", time.Minute},
	} {
		if *d.dst, err = envDuration(d.name, d.def); err != nil {
			return c, err
		}
	}
	rl := cmp.Or(os.Getenv("INTAKE_RATE_LIMIT"), "50")
	if c.RateLimit, err = strconv.ParseFloat(rl, 64); err != nil {
		return c, fmt.Errorf("INTAKE_RATE_LIMIT: %w", err)
	}
	return c, nil
}

func envBool(name string, def bool) (bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

func envInt[T int | int64](name string, def T) (T, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return def, fmt.Errorf("%s: want a positive integer, got %q", name, v)
	}
	return T(n), nil
}

func envDuration(name string, def time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return def, fmt.Errorf("%s: want a positive duration like 168h or 30s, got %q", name, v)
	}
	return d, nil
}
