// Command intake runs the Intake bulk customer import service: `dev` (all
// in one process, for a laptop), `api` and `worker` (the production
// processes), `migrate`, `apikey create --tenant NAME`, and `bench`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: intake <command>

commands:
  dev                          API + worker + migrations in one process; embedded S3 when S3_ENDPOINT is unset
  api                          the HTTP API
  worker                       the asynq worker (validate, confirm, retention)
  migrate                      apply the database migrations and exit
  apikey create --tenant NAME  create an API key for NAME (creating the tenant if new); prints the key last
  bench [-rows N] [flags]      generate customer files, run them through an API and workers, print a table (docs/perf.md)

configuration: environment variables, see the README (DATABASE_URL, REDIS_URL, S3_*, INTAKE_*)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "intake:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	switch args[0] {
	case "dev":
		return runDev(ctx, cfg, log, stdout)
	case "api":
		return runAPI(ctx, cfg, log)
	case "worker":
		return runWorker(ctx, cfg, log)
	case "migrate":
		return runMigrate(ctx, cfg, stdout)
	case "apikey":
		return runAPIKey(ctx, cfg, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, cfg, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q: %w", args[0], flag.ErrHelp)
}
