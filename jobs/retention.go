package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Retention handles the periodic import:retention task (SPEC §6): validated
// imports not confirmed within the retention period expire, files of
// imports finished longer ago than that are deleted, and imports whose task
// was lost between Postgres and Redis (created or confirmed while Redis was
// down) get it enqueued again — task ids deduplicate, so this is safe.
func (h *Handlers) Retention(ctx context.Context, _ *asynq.Task) error {
	ret := h.RetainFor
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
