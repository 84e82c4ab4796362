package jobs

import (
	"context"
	"io"
	"iter"
	"time"

	"intake/jobs/report"
	"intake/jobs/rules"
)

// Store is what imports need from the database (storage/postgres implements
// it). Methods taking a tenant id never return another tenant's rows.
type Store interface {
	TenantByAPIKey(ctx context.Context, key string) (Tenant, error)

	CreateImport(ctx context.Context, imp *Import) error
	Import(ctx context.Context, tenantID int64, id string) (*Import, error)
	ImportByID(ctx context.Context, id string) (*Import, error)
	ListImports(ctx context.Context, tenantID int64, after *ImportCursor, limit int) ([]*Import, error)
	// Transition is a compare-and-set of the status.
	Transition(ctx context.Context, id string, from []Status, to Status) (*Import, bool, error)
	Fail(ctx context.Context, id string, from []Status, code, message string) (bool, error)
	SetProgress(ctx context.Context, id string, p Progress) error

	BeginStaging(ctx context.Context, id string) (Staging, error)
	Existing(tenantID int64) rules.Existing
	Warnings(ctx context.Context, id, severity string, after WarningCursor, limit int) ([]StoredWarning, error)
	// ReportMarks streams import id's skipped rows and warnings ordered by
	// row (a row's skip first, then its warnings by seq) for its report,
	// from one query: nothing is collected in memory.
	ReportMarks(ctx context.Context, id string) iter.Seq2[report.Mark, error]
	// FileDeleted reports whether the retention task deleted import id's file.
	FileDeleted(ctx context.Context, id string) (bool, error)

	Skips(ctx context.Context, id string) ([]int, error)
	ReplaceSkips(ctx context.Context, tenantID int64, id string, rows []int, allErrors bool) (*Skips, error)
	RequestConfirm(ctx context.Context, tenantID int64, id string) (*Import, error)
	ApplyImport(ctx context.Context, id string) (*Import, bool, error)

	Customers(ctx context.Context, tenantID int64, after string, limit int) ([]*Customer, error)
	Customer(ctx context.Context, tenantID int64, code string) (*Customer, error)

	ExpireImports(ctx context.Context, cutoff time.Time) (int64, error)
	FilesToDelete(ctx context.Context, cutoff time.Time, limit int) ([]*Import, error)
	MarkFileDeleted(ctx context.Context, id string) error
	Stale(ctx context.Context, status Status, before time.Time, limit int) ([]*Import, error)
}

// Staging is one validation run's writes: rows and warnings go in as the file
// is read; Commit makes them visible with the validated status, atomically,
// and reports false when the import is no longer validating.
type Staging interface {
	rules.Sink
	Commit(ctx context.Context, summary Summary) (bool, error)
	Rollback(ctx context.Context)
}

// Blobs stores uploaded files (storage/s3 implements it).
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader, size int64) (int64, error)
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	Delete(ctx context.Context, key string) error
}
