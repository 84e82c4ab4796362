package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"intake/jobs"
)

const importColumns = `id::text, tenant_id, filename, object_key, size_bytes, status, rows_read, percent,
	summary, coalesce(error_code, ''), coalesce(error_message, ''), coalesce(failed_from, ''), confirm_attempts,
	created_at, updated_at`

func scanImport(row pgx.Row) (*jobs.Import, error) {
	var (
		imp      jobs.Import
		summary  []byte
		code, ms string
		from     string
	)
	err := row.Scan(&imp.ID, &imp.TenantID, &imp.Filename, &imp.ObjectKey, &imp.Size, &imp.Status,
		&imp.Progress.RowsRead, &imp.Progress.Percent, &summary, &code, &ms, &from, &imp.ConfirmAttempt,
		&imp.CreatedAt, &imp.UpdatedAt)
	if err != nil {
		return nil, notFound(err)
	}
	if summary != nil {
		imp.Summary = new(jobs.Summary)
		if err := json.Unmarshal(summary, imp.Summary); err != nil {
			return nil, fmt.Errorf("decode summary: %w", err)
		}
	}
	if code != "" {
		imp.Error = &jobs.Failure{Code: code, Message: ms}
		imp.FailedFrom = jobs.Status(from)
	}
	return &imp, nil
}

// CreateImport inserts a queued import.
func (db *DB) CreateImport(ctx context.Context, imp *jobs.Import) error {
	row := db.Pool.QueryRow(ctx, `
		INSERT INTO imports (id, tenant_id, filename, object_key, size_bytes, status)
		VALUES ($1, $2, $3, $4, $5, 'queued') RETURNING `+importColumns,
		imp.ID, imp.TenantID, imp.Filename, imp.ObjectKey, imp.Size)
	got, err := scanImport(row)
	if err != nil {
		return fmt.Errorf("create import: %w", err)
	}
	*imp = *got
	return nil
}

// Import returns the tenant's import id, or jobs.ErrNotFound (also for
// another tenant's id).
func (db *DB) Import(ctx context.Context, tenantID int64, id string) (*jobs.Import, error) {
	if !validUUID(id) {
		return nil, jobs.ErrNotFound
	}
	return scanImport(db.Pool.QueryRow(ctx, `SELECT `+importColumns+` FROM imports WHERE id = $1 AND tenant_id = $2`, id, tenantID))
}

// ImportByID returns an import whatever its tenant (for tasks, whose payload
// is the id alone).
func (db *DB) ImportByID(ctx context.Context, id string) (*jobs.Import, error) {
	if !validUUID(id) {
		return nil, jobs.ErrNotFound
	}
	return scanImport(db.Pool.QueryRow(ctx, `SELECT `+importColumns+` FROM imports WHERE id = $1`, id))
}

// ListImports returns up to limit of the tenant's imports, newest first,
// starting after the cursor (created_at, id of the last item seen).
func (db *DB) ListImports(ctx context.Context, tenantID int64, after *jobs.ImportCursor, limit int) ([]*jobs.Import, error) {
	var (
		rows pgx.Rows
		err  error
	)
	if after == nil {
		rows, err = db.Pool.Query(ctx, `SELECT `+importColumns+` FROM imports WHERE tenant_id = $1
			ORDER BY created_at DESC, id DESC LIMIT $2`, tenantID, limit)
	} else {
		rows, err = db.Pool.Query(ctx, `SELECT `+importColumns+` FROM imports WHERE tenant_id = $1
			AND (created_at, id) < ($2, $3::uuid) ORDER BY created_at DESC, id DESC LIMIT $4`,
			tenantID, after.CreatedAt, after.ID, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	return collectImports(rows)
}

// Transition moves import id from one of the statuses in from to status to
// and reports whether it did. It is the compare-and-set every lifecycle step
// goes through, so that a retried task or a racing cancel never moves an
// import backwards.
func (db *DB) Transition(ctx context.Context, id string, from []jobs.Status, to jobs.Status) (*jobs.Import, bool, error) {
	imp, err := scanImport(db.Pool.QueryRow(ctx, `
		UPDATE imports SET status = $3, updated_at = now(),
			finished_at = CASE WHEN $3 IN ('completed', 'failed', 'cancelled', 'expired') THEN now() END
		WHERE id = $1 AND status = ANY($2) RETURNING `+importColumns, id, statusStrings(from), to))
	if err == jobs.ErrNotFound {
		cur, err := db.ImportByID(ctx, id)
		return cur, false, err
	}
	return imp, err == nil, err
}

// Fail marks import id failed with code and message, when its status is one
// of from, recording that status (a confirm that failed on a transient error
// may be confirmed again).
func (db *DB) Fail(ctx context.Context, id string, from []jobs.Status, code, message string) (bool, error) {
	tag, err := db.Pool.Exec(ctx, `
		UPDATE imports SET status = 'failed', error_code = $3, error_message = $4, failed_from = status,
			updated_at = now(), finished_at = now()
		WHERE id = $1 AND status = ANY($2)`, id, statusStrings(from), code, message)
	if err != nil {
		return false, fmt.Errorf("fail import: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// SetProgress records how far validation has read.
func (db *DB) SetProgress(ctx context.Context, id string, p jobs.Progress) error {
	_, err := db.Pool.Exec(ctx, `UPDATE imports SET rows_read = $2, percent = $3, updated_at = now()
		WHERE id = $1 AND status = 'validating'`, id, p.RowsRead, p.Percent)
	return err
}

// ExpireImports moves validated imports last updated before cutoff to expired
// and returns how many.
func (db *DB) ExpireImports(ctx context.Context, cutoff time.Time) (int64, error) {
	tag, err := db.Pool.Exec(ctx, `UPDATE imports SET status = 'expired', updated_at = now(), finished_at = now()
		WHERE status = 'validated' AND updated_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("expire imports: %w", err)
	}
	return tag.RowsAffected(), nil
}

// FilesToDelete lists finished imports (completed, failed, cancelled,
// expired) that finished before cutoff and whose file is still stored.
func (db *DB) FilesToDelete(ctx context.Context, cutoff time.Time, limit int) ([]*jobs.Import, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+importColumns+` FROM imports
		WHERE finished_at < $1 AND file_deleted_at IS NULL ORDER BY finished_at LIMIT $2`, cutoff, limit)
	if err != nil {
		return nil, fmt.Errorf("list files to delete: %w", err)
	}
	return collectImports(rows)
}

// MarkFileDeleted records that the file of import id is gone.
func (db *DB) MarkFileDeleted(ctx context.Context, id string) error {
	_, err := db.Pool.Exec(ctx, `UPDATE imports SET file_deleted_at = now() WHERE id = $1`, id)
	return err
}

func statusStrings(ss []jobs.Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// Stale lists imports that have been in status since before (for the
// janitor that re-enqueues tasks lost between the database and Redis).
func (db *DB) Stale(ctx context.Context, status jobs.Status, before time.Time, limit int) ([]*jobs.Import, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+importColumns+` FROM imports
		WHERE status = $1 AND updated_at < $2 ORDER BY updated_at LIMIT $3`, status, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list stale imports: %w", err)
	}
	return collectImports(rows)
}

func collectImports(rows pgx.Rows) ([]*jobs.Import, error) {
	defer rows.Close()
	var out []*jobs.Import
	for rows.Next() {
		imp, err := scanImport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, imp)
	}
	return out, rows.Err()
}
