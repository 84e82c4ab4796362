package jobs

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task types.
const (
	TypeImportValidate = "import:validate"
	TypeImportConfirm  = "import:confirm"
	TypeRetention      = "import:retention"
)

// Payload is the body of the import tasks: an id, never file contents.
// Postgres is the source of truth for everything else.
type Payload struct {
	ImportID string `json:"import_id"`
}

// taskRetention keeps a finished task's id in Redis so that a late duplicate
// enqueue is refused (asynq.ErrTaskIDConflict) rather than run again; runs
// that slip through are harmless anyway (status compare-and-set).
const taskRetention = 24 * time.Hour

// maxRetry is how many times a failing validate or confirm task is retried
// (with the worker's capped backoff) before the import is failed.
const maxRetry = 8

// NewValidateTask is the validate task of import id, deduplicated by task id.
func NewValidateTask(id string) *asynq.Task {
	b, _ := json.Marshal(Payload{ImportID: id})
	return asynq.NewTask(TypeImportValidate, b, asynq.TaskID(ValidateTaskID(id)), asynq.MaxRetry(maxRetry),
		asynq.Timeout(2*time.Hour), asynq.Retention(taskRetention))
}

// NewConfirmTask is the confirm task of import id's first confirm attempt,
// deduplicated by task id.
func NewConfirmTask(id string) *asynq.Task {
	return newConfirmTask(id, 1)
}

// newConfirmTask is the confirm task of one confirm attempt. Each attempt
// has its own task id: asynq keeps the id of a task that gave up (archived)
// and would refuse the same id again.
func newConfirmTask(id string, attempt int) *asynq.Task {
	b, _ := json.Marshal(Payload{ImportID: id})
	return asynq.NewTask(TypeImportConfirm, b, asynq.TaskID(ConfirmTaskID(id, attempt)), asynq.MaxRetry(maxRetry),
		asynq.Timeout(2*time.Hour), asynq.Retention(taskRetention))
}

// ValidateTaskID is the asynq task id of import id's validate task.
func ValidateTaskID(id string) string { return "validate:" + id }

// ConfirmTaskID is the asynq task id of import id's confirm attempt:
// "confirm:<id>" for the first, "confirm:<id>:<n>" for the next ones.
func ConfirmTaskID(id string, attempt int) string {
	if attempt <= 1 {
		return "confirm:" + id
	}
	return fmt.Sprintf("confirm:%s:%d", id, attempt)
}

// taskOf is the task that moves imp on from its status (queued or
// validating: validate; confirming: confirm), with its id.
func taskOf(imp *Import) (*asynq.Task, string) {
	if imp.Status == StatusConfirming {
		return newConfirmTask(imp.ID, imp.ConfirmAttempt), ConfirmTaskID(imp.ID, imp.ConfirmAttempt)
	}
	return NewValidateTask(imp.ID), ValidateTaskID(imp.ID)
}

// NewRetentionTask is the periodic retention and janitor task.
func NewRetentionTask() *asynq.Task {
	return asynq.NewTask(TypeRetention, nil, asynq.MaxRetry(1), asynq.Timeout(10*time.Minute))
}

// ParsePayload decodes a task payload; a malformed one can never succeed and
// is wrapped with asynq.SkipRetry.
func ParsePayload(t *asynq.Task) (Payload, error) {
	var p Payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ImportID == "" {
		return p, fmt.Errorf("bad payload %q: %w", t.Payload(), asynq.SkipRetry)
	}
	return p, nil
}
