package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Confirm handles import:confirm: it applies the import in one transaction
// (storage does the set-based work, serialized per tenant) and marks it
// completed in the same transaction. A second run finds it completed and
// does nothing; a run killed half-way has applied nothing. When the data
// changed since the request so that a precondition no longer holds, the
// import fails with that code and is not retried.
func (h *Handlers) Confirm(ctx context.Context, t *asynq.Task) error {
	p, err := ParsePayload(t)
	if err != nil {
		return err
	}
	imp, applied, err := h.Store.ApplyImport(ctx, p.ImportID)
	var appErr *Error
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("import %s: %w", p.ImportID, asynq.SkipRetry)
	case errors.As(err, &appErr):
		if _, ferr := h.Store.Fail(ctx, p.ImportID, []Status{StatusConfirming}, appErr.Code, appErr.Message); ferr != nil {
			return fmt.Errorf("record failure: %w", ferr)
		}
		return fmt.Errorf("import %s: %w: %w", p.ImportID, err, asynq.SkipRetry)
	case err != nil:
		return fmt.Errorf("apply import %s: %w", p.ImportID, err)
	}
	if applied {
		h.logger().InfoContext(ctx, "confirmed", "import", imp.ID, "rows_applied", imp.Summary.RowsApplied,
			"customers_new", imp.Summary.CustomersNew, "customers_updated", imp.Summary.CustomersUpdated)
	} else {
		h.logger().InfoContext(ctx, "confirm: nothing to do", "import", imp.ID, "status", imp.Status)
	}
	return nil
}

// Retention handles the periodic import:retention task (SPEC §6): validated
// imports not confirmed within the retention period expire, files of
// imports finished longer ago than that are deleted, and imports whose task
// was lost between Postgres and Redis (created or confirmed while Redis was
// down) get it enqueued again — task ids deduplicate, so this is safe.
func (h *Handlers) Retention(ctx context.Context, _ *asynq.Task) error {
	ret := h.Retention
	if ret <= 0 {
		ret = 168 * time.Hour
	}
	now := time.Now()
	n, err := h.Store.ExpireImports(ctx, now.Add(-ret))
	if err != nil {
		return err
	}
	if n > 0 {
		h.logger().InfoContext(ctx, "expired imports", "count", n)
	}
	for {
		imps, err := h.Store.FilesToDelete(ctx, now.Add(-ret), 100)
		if err != nil {
			return err
		}
		for _, imp := range imps {
			if err := h.Blobs.Delete(ctx, imp.ObjectKey); err != nil {
				return fmt.Errorf("delete file of %s: %w", imp.ID, err)
			}
			if err := h.Store.MarkFileDeleted(ctx, imp.ID); err != nil {
				return err
			}
		}
		if len(imps) < 100 {
			break
		}
	}
	if h.Queue == nil {
		return nil
	}
	for status, task := range map[Status]func(string) *asynq.Task{StatusQueued: NewValidateTask, StatusConfirming: NewConfirmTask} {
		imps, err := h.Store.Stale(ctx, status, now.Add(-2*time.Minute), 1000)
		if err != nil {
			return err
		}
		for _, imp := range imps {
			if err := enqueue(ctx, h.Queue, task(imp.ID)); err != nil {
				return err
			}
		}
	}
	return nil
}

// enqueue enqueues t; a task with the same id already known to asynq is not
// an error — the id is what makes enqueues idempotent.
func enqueue(ctx context.Context, q Enqueuer, t *asynq.Task) error {
	_, err := q.EnqueueContext(ctx, t)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
		return fmt.Errorf("enqueue %s: %w", t.Type(), err)
	}
	return nil
}
