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
// was lost get it enqueued again (see requeueStale).
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
	return h.requeueStale(ctx, now)
}

// requeueStale enqueues again the task of every import that has sat queued,
// validating or confirming for longer than StaleAfter: its task was lost
// (the import was created or confirmed while Redis was down, or Redis lost
// its data). A task that still exists makes the enqueue a no-op (task ids),
// unless asynq has given it up — archived by its recoverer after a worker
// died on it once too often, which bypasses the ErrorHandler — or finished
// it while the import stayed put: the import then fails with internal, as
// the ErrorHandler would have failed it, rather than waiting forever (a
// confirm may be confirmed again).
func (h *Handlers) requeueStale(ctx context.Context, now time.Time) error {
	stale := h.StaleAfter
	if stale <= 0 {
		stale = 2 * time.Minute
	}
	for _, status := range []Status{StatusQueued, StatusValidating, StatusConfirming} {
		imps, err := h.Store.Stale(ctx, status, now.Add(-stale), 1000)
		if err != nil {
			return err
		}
		for _, imp := range imps {
			task, id := taskOf(imp)
			_, err := h.Queue.EnqueueContext(ctx, task)
			switch {
			case err == nil:
				h.logger().InfoContext(ctx, "re-enqueued a lost task", "import", imp.ID, "task", id)
			case errors.Is(err, asynq.ErrTaskIDConflict), errors.Is(err, asynq.ErrDuplicateTask):
				if err := h.failGivenUp(ctx, imp, id); err != nil {
					return err
				}
			default:
				return fmt.Errorf("enqueue %s: %w", task.Type(), err)
			}
		}
	}
	return nil
}

// failGivenUp fails imp when asynq holds its task id as given up or done.
func (h *Handlers) failGivenUp(ctx context.Context, imp *Import, taskID string) error {
	if h.Tasks == nil {
		return nil
	}
	info, err := h.Tasks.GetTaskInfo(taskQueue, taskID)
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		return nil // finished meanwhile: the next run enqueues it again if needed
	}
	if err != nil {
		return fmt.Errorf("task %s: %w", taskID, err)
	}
	if info.State != asynq.TaskStateArchived && info.State != asynq.TaskStateCompleted {
		return nil
	}
	h.logger().WarnContext(ctx, "task given up; failing the import", "import", imp.ID, "task", taskID,
		"state", info.State.String(), "last_err", info.LastErr)
	if _, err := h.Store.Fail(ctx, imp.ID, []Status{imp.Status}, ErrCodeInternal, GaveUpMessage(imp.Status)); err != nil {
		return err
	}
	return nil
}

// GaveUpMessage is the message of an import failed with internal because
// its task gave up while it was status.
func GaveUpMessage(status Status) string {
	if status == StatusConfirming {
		return "the confirm could not complete (a database, queue or storage error persisted through every retry); " +
			"nothing was applied: confirm the import again"
	}
	return "the file could not be validated (a database, queue or storage error persisted through every retry); upload it again"
}

// TaskInspector is the part of asynq.Inspector that the janitor uses.
type TaskInspector interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
}

// taskQueue is the asynq queue every import task goes to.
const taskQueue = "default"

// enqueue enqueues t; a task with the same id already known to asynq is not
// an error — the id is what makes enqueues idempotent.
func enqueue(ctx context.Context, q Enqueuer, t *asynq.Task) error {
	_, err := q.EnqueueContext(ctx, t)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
		return fmt.Errorf("enqueue %s: %w", t.Type(), err)
	}
	return nil
}
