package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
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

// validate reads, checks and stages the file of imp as a pipeline of three
// goroutines joined by small bounded channels of row batches: the parser
// (excelize's XML decoding is most of an xlsx's cost, so it gets a core to
// itself), the Normalizer, and this goroutine, which runs the Validator and
// feeds the staging COPY. On a 2-core worker the parse thus overlaps
// everything else instead of adding to it, and memory stays bounded by the
// channels' capacity (a few thousand rows).
func (h *Handlers) validate(ctx context.Context, imp *Import) (Summary, error) {
	path, err := h.download(ctx, imp)
	if err != nil {
		return Summary{}, err
	}
	defer os.Remove(path)
	lim := h.Limits
	if lim.TempDir == "" {
		// excelize's spill files and the inlined copy of a workbook belong
		// with the download, in the temp dir the operator chose.
		lim.TempDir = h.TempDir
	}
	r, err := sheet.OpenFile(path, lim)
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
	// Overlap: the look-up of stored customers for one batch runs while the
	// next batch is read, so its round trip does not stall the pipeline.
	v := rules.NewValidator(h.Store.Existing(imp.TenantID), st, rules.Options{Header: r.Header(), Overlap: true})
	every := h.ProgressEvery
	if every <= 0 {
		every = 500 * time.Millisecond
	}

	// The goroutines stop (cancel) and are waited for before the reader and
	// the staging transaction are closed.
	var wg sync.WaitGroup
	defer wg.Wait()
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows := make(chan rowBatch, pipelineDepth)
	recs := make(chan recordBatch, pipelineDepth)
	wg.Add(2)
	go func() { defer wg.Done(); parseRows(pctx, r, rows) }()
	go func() { defer wg.Done(); normalizeRows(pctx, rules.NewNormalizer(r.Header()), rows, recs) }()

	last := time.Now()
	var n int64
	for b := range recs {
		if b.err != nil {
			return Summary{}, b.err
		}
		for i := range b.recs {
			if err := v.Add(ctx, b.recs[i], b.ws[i]); err != nil {
				return Summary{}, err
			}
		}
		n += int64(len(b.recs))
		if now := time.Now(); now.Sub(last) >= every {
			last = now
			if err := ctx.Err(); err != nil {
				return Summary{}, err
			}
			p := Progress{RowsRead: n, Percent: min(int(b.progress*100), 99)}
			if err := h.Store.SetProgress(ctx, imp.ID, p); err != nil {
				return Summary{}, fmt.Errorf("progress: %w", err)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return Summary{}, err
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

// Pipeline sizes: batches of pipelineBatch rows, at most pipelineDepth
// batches waiting between two stages.
const (
	pipelineBatch = 256
	pipelineDepth = 8
)

// rowBatch is a batch of read rows; err (with the rows read before it) ends
// the stream.
type rowBatch struct {
	rows     []sheet.Row
	progress float64 // the reader's progress after the batch
	err      error
}

// recordBatch is a batch of normalized rows and their warnings.
type recordBatch struct {
	recs     []rules.Record
	ws       [][]warning.Warning
	progress float64
	err      error
}

// parseRows reads r into out until the end of the file, an error, or ctx is
// done; it closes out. It alone calls r until it returns.
func parseRows(ctx context.Context, r *sheet.Reader, out chan<- rowBatch) {
	defer close(out)
	b := rowBatch{rows: make([]sheet.Row, 0, pipelineBatch)}
	for {
		row, err := r.Next()
		if err == nil {
			if b.rows = append(b.rows, row); len(b.rows) < pipelineBatch {
				continue
			}
		} else if err != io.EOF {
			b.err = err
		}
		b.progress = r.Progress()
		select {
		case out <- b:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
		b = rowBatch{rows: make([]sheet.Row, 0, pipelineBatch)}
	}
}

// normalizeRows runs the Normalizer over the batches of in; it closes out.
func normalizeRows(ctx context.Context, norm *rules.Normalizer, in <-chan rowBatch, out chan<- recordBatch) {
	defer close(out)
	for b := range in {
		rb := recordBatch{recs: make([]rules.Record, len(b.rows)), ws: make([][]warning.Warning, len(b.rows)),
			progress: b.progress, err: b.err}
		for i, row := range b.rows {
			rb.recs[i], rb.ws[i] = norm.Row(row)
		}
		select {
		case out <- rb:
		case <-ctx.Done():
			return
		}
	}
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
