package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"intake/jobs"
)

// tenantLock serializes the writers of one tenant's customers (confirm and
// the skip-list preview) with a transaction-scoped advisory lock; the first
// key namespaces Intake's locks.
const tenantLock = `SELECT pg_advisory_xact_lock(7411, $1::int)`

// blockers returns why import id cannot be confirmed with its current skip
// list: the first 100 unskipped red rows, then the first row of each new
// customer that the skips leave nameless.
func blockers(ctx context.Context, q pgx.Tx, id string, tenantID int64) error {
	red, err := collectInts(ctx, q, `SELECT r.row_num FROM import_rows r WHERE r.import_id = $1 AND r.red
		AND NOT EXISTS (SELECT 1 FROM import_skips s WHERE s.import_id = r.import_id AND s.row_num = r.row_num)
		ORDER BY r.row_num LIMIT 100`, id)
	if err != nil {
		return err
	}
	if len(red) > 0 {
		return &jobs.Error{Code: jobs.ErrCodeUnskippedErrors, Rows: red,
			Message: "some rows with errors are not skipped; skip them or fix the file"}
	}
	// A red row never names its customer, and a new customer that only
	// red rows name has all its nameless rows red (name_missing): while
	// only red rows are skipped, no new customer can be left nameless, and
	// the grouping of every row below is not needed.
	var skipsApplicable bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM import_skips s JOIN import_rows r
		ON r.import_id = s.import_id AND r.row_num = s.row_num WHERE s.import_id = $1 AND NOT r.red)`, id).Scan(&skipsApplicable); err != nil {
		return err
	}
	if !skipsApplicable {
		return nil
	}
	nameless, err := collectInts(ctx, q, `SELECT min(r.row_num) `+applyRows+`
		GROUP BY r.cust_key HAVING bool_and(r.name = '')
			AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.tenant_id = @tenant_id AND lower(c.code) = r.cust_key)
		ORDER BY 1 LIMIT 100`, pgx.NamedArgs{"import_id": id, "tenant_id": tenantID})
	if err != nil {
		return err
	}
	if len(nameless) > 0 {
		return &jobs.Error{Code: jobs.ErrCodeNameMissing, Rows: nameless,
			Message: "the skipped rows leave a new customer without a name"}
	}
	return nil
}

// RequestConfirm moves the tenant's import id from validated to confirming
// after checking SPEC §5's preconditions, and counts the attempt. An import
// already confirming or completed is returned as it is (a repeated confirm
// is not an error). A failed import whose confirm gave up on a transient
// error (jobs.Import.CanConfirmAgain) is confirmed again, as a new attempt;
// any other failed, cancelled or expired import is invalid_state.
func (db *DB) RequestConfirm(ctx context.Context, tenantID int64, id string) (*jobs.Import, error) {
	if !validUUID(id) {
		return nil, jobs.ErrNotFound
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	imp, err := scanImport(tx.QueryRow(ctx, `SELECT `+importColumns+` FROM imports
		WHERE id = $1 AND tenant_id = $2 FOR UPDATE`, id, tenantID))
	if err != nil {
		return nil, err
	}
	switch {
	case imp.Status == jobs.StatusConfirming, imp.Status == jobs.StatusCompleted:
		return imp, nil
	case imp.Status == jobs.StatusValidated, imp.CanConfirmAgain():
	default:
		return nil, &jobs.Error{Code: jobs.ErrCodeInvalidState,
			Message: fmt.Sprintf("an import that is %s cannot be confirmed", imp.Status)}
	}
	if err := blockers(ctx, tx, id, tenantID); err != nil {
		return nil, err
	}
	imp, err = scanImport(tx.QueryRow(ctx, `UPDATE imports SET status = 'confirming', updated_at = now(),
		confirm_attempts = confirm_attempts + 1, error_code = NULL, error_message = NULL, failed_from = NULL,
		finished_at = NULL WHERE id = $1 RETURNING `+importColumns, id))
	if err != nil {
		return nil, err
	}
	return imp, tx.Commit(ctx)
}

// ApplyImport applies a confirming import in one transaction — all or
// nothing — serialized per tenant, and marks it completed with what was
// applied. It reports false without writing when the import is not
// confirming (already completed by an earlier run of the task, or
// cancelled): two runs of the confirm task leave the data of one.
func (db *DB) ApplyImport(ctx context.Context, id string) (*jobs.Import, bool, error) {
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback(ctx)
	var tenantID int64
	if err := tx.QueryRow(ctx, `SELECT tenant_id FROM imports WHERE id = $1`, id).Scan(&tenantID); err != nil {
		return nil, false, notFound(err)
	}
	// Tenant lock first, then the import's row: every writer takes them in this order.
	if _, err := tx.Exec(ctx, tenantLock, tenantID); err != nil {
		return nil, false, fmt.Errorf("tenant lock: %w", err)
	}
	imp, err := scanImport(tx.QueryRow(ctx, `SELECT `+importColumns+` FROM imports WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		return nil, false, err
	}
	if imp.Status != jobs.StatusConfirming {
		return imp, false, nil
	}
	// clock_timestamp, not now(): the transaction began before the lock wait.
	if _, err := tx.Exec(ctx, `UPDATE imports SET confirm_started_at = clock_timestamp() WHERE id = $1`, id); err != nil {
		return nil, false, fmt.Errorf("mark confirm start: %w", err)
	}
	if err := blockers(ctx, tx, id, tenantID); err != nil {
		return imp, false, err
	}
	base := jobs.Summary{}
	if imp.Summary != nil {
		base = *imp.Summary
	}
	sum, err := apply(ctx, tx, id, tenantID, base)
	if err != nil {
		return imp, false, err
	}
	b, err := json.Marshal(sum)
	if err != nil {
		return imp, false, err
	}
	imp, err = scanImport(tx.QueryRow(ctx, `UPDATE imports SET status = 'completed', summary = $2, updated_at = now(),
		finished_at = now(), confirm_finished_at = clock_timestamp() WHERE id = $1 RETURNING `+importColumns, id, b))
	if err != nil {
		return nil, false, fmt.Errorf("mark completed: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, false, fmt.Errorf("commit confirm: %w", err)
	}
	return imp, true, nil
}

func collectInts(ctx context.Context, q pgx.Tx, sql string, args ...any) ([]int, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}
