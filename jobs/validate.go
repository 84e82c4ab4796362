package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/hibiken/asynq"

	"intake/jobs/rules"
	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// Handlers runs the import tasks. Its zero value is not usable: Store and
// Blobs are required.
type Handlers struct {
	Store Store
	Blobs Blobs
	// Limits bound what one file may cost (rows, unzip sizes).
	Limits sheet.Limits
	// TempDir holds the local copy of a file being validated (excelize needs
	// random access) and excelize's own spill files; "" is os.TempDir().
	TempDir string
	// RetainFor is how long a validated import waits for its confirm, and a
	// finished import's file is kept (default 168h).
	RetainFor time.Duration
	// Queue re-enqueues tasks lost between Postgres and Redis (janitor).
	Queue Enqueuer
	// Tasks tells the janitor whether asynq has given a task up; nil skips
	// that check.
	Tasks TaskInspector
	// StaleAfter is how long an import may sit queued, validating (without
	// progress) or confirming before the janitor enqueues its task again
	// (default 2m).
	StaleAfter time.Duration
	Logger     *slog.Logger
	// ProgressEvery is the least time between two progress writes (default 500ms).
	ProgressEvery time.Duration
}

// Enqueuer is the part of asynq.Client that jobs uses.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

func (h *Handlers) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// Validate handles import:validate: it streams the object from S3 to a temp
// file, reads and validates it, and stages rows and warnings in one
// transaction that ends with the import validated. A file-level problem
// fails the import with its code and is not retried; anything else (S3,
// Postgres) is returned for asynq to retry with backoff. A second run for
// the same import does nothing once the first has committed, and a run
// killed half-way leaves nothing behind.
func (h *Handlers) Validate(ctx context.Context, t *asynq.Task) error {
	p, err := ParsePayload(t)
	if err != nil {
		return err
	}
	imp, moved, err := h.Store.Transition(ctx, p.ImportID, []Status{StatusQueued, StatusValidating}, StatusValidating)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("import %s: %w", p.ImportID, asynq.SkipRetry)
	}
	if err != nil {
		return fmt.Errorf("start validate: %w", err)
	}
	if !moved {
		h.logger().InfoContext(ctx, "validate: nothing to do", "import", p.ImportID, "status", imp.Status)
		return nil
	}
	summary, err := h.validate(ctx, imp)
	if fe, ok := warning.AsFileError(err); ok {
		if _, ferr := h.Store.Fail(ctx, imp.ID, []Status{StatusValidating}, string(fe.Code), fe.Detail); ferr != nil {
			return fmt.Errorf("record failure: %w", ferr)
		}
		return fmt.Errorf("import %s: %w: %w", imp.ID, err, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	h.logger().InfoContext(ctx, "validated", "import", imp.ID, "rows", summary.RowsTotal,
		"errors", summary.RowsError, "warnings", summary.RowsWarning)
	return nil
}

func (h *Handlers) validate(ctx context.Context, imp *Import) (Summary, error) {
	path, err := h.download(ctx, imp)
	if err != nil {
		return Summary{}, err
	}
	defer os.Remove(path)
	r, err := sheet.OpenFile(path, h.Limits)
	if err != nil {
		return Summary{}, err
	}
	defer r.Close()

	st, err := h.Store.BeginStaging(ctx, imp.ID)
	if err != nil {
		return Summary{}, err
	}
	defer st.Rollback(context.WithoutCancel(ctx))
	if err := st.Late(ctx, r.HeaderWarnings()); err != nil {
		return Summary{}, err
	}
	norm := rules.NewNormalizer(r.Header())
	v := rules.NewValidator(h.Store.Existing(imp.TenantID), st, rules.Options{Header: r.Header()})
	every := h.ProgressEvery
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	last := time.Now()
	var n int64
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Summary{}, err
		}
		rec, ws := norm.Row(row)
		if err := v.Add(ctx, rec, ws); err != nil {
			return Summary{}, err
		}
		n++
		if now := time.Now(); now.Sub(last) >= every {
			last = now
			if err := ctx.Err(); err != nil {
				return Summary{}, err
			}
			if err := h.Store.SetProgress(ctx, imp.ID, Progress{RowsRead: n, Percent: percent(r)}); err != nil {
				return Summary{}, fmt.Errorf("progress: %w", err)
			}
		}
	}
	rs, err := v.Finish(ctx)
	if err != nil {
		return Summary{}, err
	}
	summary := Summary{Summary: rs}
	ok, err := st.Commit(ctx, summary)
	if err != nil {
		return Summary{}, err
	}
	if !ok {
		h.logger().InfoContext(ctx, "validate: import changed status meanwhile; discarded", "import", imp.ID)
	}
	return summary, nil
}

// download copies the object to a temp file: excelize needs random access,
// and a local copy keeps a slow S3 from holding a database transaction open.
func (h *Handlers) download(ctx context.Context, imp *Import) (string, error) {
	body, _, err := h.Blobs.Open(ctx, imp.ObjectKey)
	if err != nil {
		return "", fmt.Errorf("open upload: %w", err)
	}
	defer body.Close()
	f, err := os.CreateTemp(h.TempDir, "intake-upload-*")
	if err != nil {
		return "", fmt.Errorf("temp file: %w", err)
	}
	if _, err := io.Copy(f, body); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("download upload: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// percent estimates validation progress from the share of the input the
// reader has consumed, when it can tell; never 100 before the end.
func percent(r *sheet.Reader) int {
	return min(int(r.Progress()*100), 99)
}
