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

// NewValidateTask is the validate task of import id, deduplicated by task id.
func NewValidateTask(id string) *asynq.Task {
	b, _ := json.Marshal(Payload{ImportID: id})
	return asynq.NewTask(TypeImportValidate, b, asynq.TaskID("validate:"+id), asynq.MaxRetry(8),
		asynq.Timeout(2*time.Hour), asynq.Retention(taskRetention))
}

// NewConfirmTask is the confirm task of import id, deduplicated by task id.
func NewConfirmTask(id string) *asynq.Task {
	b, _ := json.Marshal(Payload{ImportID: id})
	return asynq.NewTask(TypeImportConfirm, b, asynq.TaskID("confirm:"+id), asynq.MaxRetry(8),
		asynq.Timeout(2*time.Hour), asynq.Retention(taskRetention))
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
