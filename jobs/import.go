// Package jobs is what an import is: its lifecycle (SPEC §6), the asynq task
// types and their handlers (validate, confirm, retention), and the operations
// the API calls. It declares the interfaces it needs from storage (Store,
// Blobs) and reads files through jobs/sheet and jobs/rules.
package jobs

import (
	"time"

	"intake/jobs/rules"
	"intake/jobs/warning"
)

// Status is an import's place in its lifecycle.
type Status string

// The lifecycle: queued → validating → validated → confirming → completed;
// any of the first four may end failed; queued, validating and validated may
// be cancelled; an unconfirmed validated import expires.
const (
	StatusQueued     Status = "queued"
	StatusValidating Status = "validating"
	StatusValidated  Status = "validated"
	StatusConfirming Status = "confirming"
	StatusCompleted  Status = "completed"
	StatusFailed     Status = "failed"
	StatusCancelled  Status = "cancelled"
	StatusExpired    Status = "expired"
)

// Progress is how far validation has read.
type Progress struct {
	RowsRead int64 `json:"rows_read"`
	Percent  int   `json:"percent"`
}

// Summary is SPEC §7's summary: row counts once validated; then a preview of
// what confirm would do (recomputed when the skip list changes); after
// completion, what was applied.
type Summary struct {
	rules.Summary
	RowsSkipped int `json:"rows_skipped"`
	// RowsApplied is set once the import is completed.
	RowsApplied int `json:"rows_applied"`
}

// Failure is why an import failed: a stable code and an English message.
type Failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Import is one uploaded file on its way to the customers tables.
type Import struct {
	ID        string    `json:"id"`
	TenantID  int64     `json:"-"`
	Filename  string    `json:"filename"`
	ObjectKey string    `json:"-"`
	Size      int64     `json:"size_bytes"`
	Status    Status    `json:"status"`
	Progress  Progress  `json:"progress"`
	Summary   *Summary  `json:"summary"`
	Error     *Failure  `json:"error"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// FailedFrom is the status a failed import failed from.
	FailedFrom Status `json:"-"`
	// ConfirmAttempt counts the confirm requests accepted (see CanConfirmAgain).
	ConfirmAttempt int `json:"-"`
}

// CanConfirmAgain reports whether a failed import may be confirmed again: its
// confirm gave up on a transient error (Postgres, Redis or S3 unavailable
// through every retry) and, applying in one transaction, applied nothing.
// A file-level failure or a refused precondition is final.
func (imp *Import) CanConfirmAgain() bool {
	return imp.Status == StatusFailed && imp.FailedFrom == StatusConfirming &&
		imp.Error != nil && imp.Error.Code == ErrCodeInternal
}

// Tenant owns API keys, imports and customers; tenants never see each other's.
type Tenant struct {
	ID   int64
	Name string
}

// ImportCursor is the position after which a page of imports starts.
type ImportCursor struct {
	CreatedAt time.Time
	ID        string
}

// StoredWarning is a warning as stored for an import; Seq orders warnings of
// the same row and makes the cursor of the warnings list.
type StoredWarning struct {
	Seq int
	warning.Warning
}

// WarningCursor is the position after which a page of warnings starts.
type WarningCursor struct {
	Row int
	Seq int
}

// Skips is an import's skip list.
type Skips struct {
	Rows    []int    `json:"rows"`
	Summary *Summary `json:"summary"`
}
