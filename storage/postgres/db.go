// Package postgres is Intake's Postgres adapter: a pgx pool, the embedded
// migrations (applied with goose), and the queries behind the interfaces that
// package jobs declares — tenants and API keys, imports, staged rows and
// warnings, skips, the set-based confirm, and customers. pgx errors are
// translated here (pgx.ErrNoRows → jobs.ErrNotFound) and never leak upward.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"intake/jobs"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the pool and the queries run on it.
type DB struct {
	Pool *pgxpool.Pool

	// previews counts the skip-list previews computed over the whole
	// import and over some customers (tests tell ReplaceSkips's ways apart).
	previews struct{ whole, part atomic.Int64 }
}

// Open connects to url. MaxConns defaults to pgx's (max(4, CPUs)) unless the
// URL sets pool_max_conns.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") && cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	// JIT compilation costs hundreds of milliseconds per query and pays off
	// only for long analytical ones; statistics go stale after a large
	// confirm, and the inflated estimates then made the per-batch look-ups
	// of stored customers compile (0.8 s each). A URL's jit setting wins.
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return &DB{Pool: pool}, nil
}

// Close closes the pool.
func (db *DB) Close() { db.Pool.Close() }

// Ping checks the database answers (for /readyz).
func (db *DB) Ping(ctx context.Context) error { return db.Pool.Ping(ctx) }

// Migrate applies the embedded migrations that are not yet applied. goose
// takes a Postgres advisory lock, so concurrent starts are safe.
func Migrate(ctx context.Context, dsn string) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	sqldb := stdlib.OpenDB(*cfg)
	defer sqldb.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqldb, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// CreateDatabase creates the database named in dsn when it does not exist
// (used by `intake dev`), connecting to the server's postgres database.
func CreateDatabase(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return nil
	}
	admin := *u
	admin.Path = "/postgres"
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		return fmt.Errorf("connect to postgres database: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database: %w", err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// notFound translates pgx.ErrNoRows into jobs.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return jobs.ErrNotFound
	}
	return err
}

var _ jobs.Store = (*DB)(nil)
