// Package worker is the asynq server that runs import tasks: the mux of task
// handlers, slog logging middleware, retries with capped exponential
// backoff, marking an import failed when its task gives up, graceful
// shutdown, and the scheduler of the periodic retention task.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"intake/jobs"
)

// Config configures the worker. Zero values take the defaults.
type Config struct {
	// Redis is the asynq connection (asynq.ParseRedisURI of REDIS_URL).
	Redis asynq.RedisConnOpt
	// Concurrency is how many tasks run at once (default 2: validate and
	// confirm are CPU- and database-bound; run more worker processes to scale).
	Concurrency int
	// ShutdownTimeout is how long a stopping worker waits for running tasks
	// before asynq requeues them (default 25s). Requeued tasks re-run safely.
	ShutdownTimeout time.Duration
	// RetentionEvery is the period of the retention task (default 1m, at
	// least 2s).
	RetentionEvery time.Duration
	// MaxRetryDelay caps the backoff between retries (default 1m).
	MaxRetryDelay time.Duration
	Logger        *slog.Logger
}

// Worker is a running asynq server plus its scheduler.
type Worker struct {
	srv   *asynq.Server
	sched *asynq.Scheduler
	mux   *asynq.ServeMux
	log   *slog.Logger
}

// New builds the worker around h.
func New(h *jobs.Handlers, cfg Config) *Worker {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 25 * time.Second
	}
	if cfg.RetentionEvery <= 0 {
		cfg.RetentionEvery = time.Minute
	}
	// asynq.Unique needs at least a second.
	cfg.RetentionEvery = max(cfg.RetentionEvery, 2*time.Second)
	if cfg.MaxRetryDelay <= 0 {
		cfg.MaxRetryDelay = time.Minute
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	w := &Worker{log: log}
	w.srv = asynq.NewServer(cfg.Redis, asynq.Config{
		Concurrency:     cfg.Concurrency,
		ShutdownTimeout: cfg.ShutdownTimeout,
		RetryDelayFunc:  backoff(cfg.MaxRetryDelay),
		ErrorHandler:    asynq.ErrorHandlerFunc(giveUp(h, log)),
		Logger:          slogAdapter{log},
		// Processed tasks are checked for new work every second by default; a
		// shorter interval makes an idle worker pick up uploads sooner.
		TaskCheckInterval: 200 * time.Millisecond,
		// Retries are due after seconds; check for them often so that a
		// killed worker's task resumes promptly.
		DelayedTaskCheckInterval: time.Second,
	})
	w.mux = asynq.NewServeMux()
	w.mux.Use(logging(log))
	w.mux.HandleFunc(jobs.TypeImportValidate, h.Validate)
	w.mux.HandleFunc(jobs.TypeImportConfirm, h.Confirm)
	w.mux.HandleFunc(jobs.TypeRetention, h.Retention)
	w.sched = asynq.NewScheduler(cfg.Redis, &asynq.SchedulerOpts{Logger: slogAdapter{log}})
	// Every worker runs a scheduler; Unique drops the duplicates in Redis.
	if _, err := w.sched.Register(fmt.Sprintf("@every %s", cfg.RetentionEvery), jobs.NewRetentionTask(),
		asynq.Unique(cfg.RetentionEvery-time.Second)); err != nil {
		log.Error("register retention task", "err", err)
	}
	return w
}

// Run processes tasks until ctx is done, then shuts down gracefully.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.srv.Start(w.mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if err := w.sched.Start(); err != nil {
		w.srv.Shutdown()
		return fmt.Errorf("start scheduler: %w", err)
	}
	<-ctx.Done()
	w.sched.Shutdown()
	w.srv.Shutdown()
	return nil
}

// backoff is exponential from 1s, with jitter, capped at max. A task whose
// worker died (its lease expired: the process was killed, or lost Redis for
// 30s) is retried at once: the failure was the worker's, not the task's, and
// asynq already took a minute or two to notice it.
func backoff(max time.Duration) asynq.RetryDelayFunc {
	return func(n int, err error, _ *asynq.Task) time.Duration {
		if errors.Is(err, asynq.ErrLeaseExpired) {
			return 0
		}
		d := time.Second << min(n, 16)
		d = min(d, max)
		return d/2 + rand.N(d/2+1)
	}
}

// giveUp marks an import failed when its task has used its last retry, so
// that no import is stuck in queued, validating or confirming forever.
func giveUp(h *jobs.Handlers, log *slog.Logger) func(context.Context, *asynq.Task, error) {
	return func(ctx context.Context, t *asynq.Task, err error) {
		if errors.Is(err, asynq.SkipRetry) {
			return
		}
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		if retried < maxRetry {
			return
		}
		p, perr := jobs.ParsePayload(t)
		if perr != nil {
			return
		}
		from := []jobs.Status{jobs.StatusQueued, jobs.StatusValidating}
		if t.Type() == jobs.TypeImportConfirm {
			from = []jobs.Status{jobs.StatusConfirming}
		}
		ctx = context.WithoutCancel(ctx)
		if _, ferr := h.Store.Fail(ctx, p.ImportID, from, jobs.ErrCodeInternal, jobs.GaveUpMessage(from[0])); ferr != nil {
			log.Error("mark import failed", "import", p.ImportID, "err", ferr)
		}
	}
}

// logging logs every task run with its type, import, duration and outcome.
func logging(log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			start := time.Now()
			id, _ := asynq.GetTaskID(ctx)
			retried, _ := asynq.GetRetryCount(ctx)
			err := next.ProcessTask(ctx, t)
			attrs := []any{"type", t.Type(), "task", id, "retry", retried, "duration", time.Since(start)}
			if err != nil {
				log.Warn("task failed", append(attrs, "err", err)...)
			} else {
				log.Info("task done", attrs...)
			}
			return err
		})
	}
}

// slogAdapter lets asynq log through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a slogAdapter) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a slogAdapter) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a slogAdapter) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
