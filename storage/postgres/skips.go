package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"intake/jobs"
)

// Skips returns the skip list of import id.
func (db *DB) Skips(ctx context.Context, id string) ([]int, error) {
	rows, err := db.Pool.Query(ctx, `SELECT row_num FROM import_skips WHERE import_id = $1 ORDER BY row_num`, id)
	if err != nil {
		return nil, fmt.Errorf("list skips: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if out == nil {
		out = []int{}
	}
	return out, err
}

// ReplaceSkips replaces the skip list of the tenant's validated import id
// with rows (plus every red row when allErrors), and recomputes the preview
// summary by running confirm's statements in a savepoint that is rolled back:
// the preview and the real confirm are one code path. Rows that are not data
// rows are invalid_rows; an import that is not validated is invalid_state.
//
// Confirm never applies a red row, so skipping red rows changes nothing it
// would do: when neither the old nor the new list holds a row that is not
// red (the usual "skip every error" before a confirm), the preview already
// stored stands and only rows_skipped is counted again. That makes the
// common PUT a matter of milliseconds instead of a confirm's duration (about
// 30 s at a million rows); a list with other rows still pays for an exact
// preview.
func (db *DB) ReplaceSkips(ctx context.Context, tenantID int64, id string, rows []int, allErrors bool) (*jobs.Skips, error) {
	if !validUUID(id) {
		return nil, jobs.ErrNotFound
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, tenantLock, tenantID); err != nil {
		return nil, fmt.Errorf("tenant lock: %w", err)
	}
	imp, err := scanImport(tx.QueryRow(ctx, `SELECT `+importColumns+` FROM imports
		WHERE id = $1 AND tenant_id = $2 FOR UPDATE`, id, tenantID))
	if err != nil {
		return nil, err
	}
	if imp.Status != jobs.StatusValidated {
		return nil, &jobs.Error{Code: jobs.ErrCodeInvalidState,
			Message: fmt.Sprintf("the skip list of an import that is %s cannot change", imp.Status)}
	}
	// Row numbers are int4 in the database: one out of its range cannot be a
	// data row, and would fail to encode as a parameter (a 500, not a 422).
	var bad, inRange []int
	for _, r := range rows {
		if r < 1 || r > math.MaxInt32 {
			bad = append(bad, r)
		} else {
			inRange = append(inRange, r)
		}
	}
	missing, err := collectInts(ctx, tx, `SELECT DISTINCT x FROM unnest($2::int[]) AS x
		WHERE NOT EXISTS (SELECT 1 FROM import_rows r WHERE r.import_id = $1 AND r.row_num = x) ORDER BY x LIMIT 100`, id, inRange)
	if err != nil {
		return nil, fmt.Errorf("check skip rows: %w", err)
	}
	if bad = append(bad, missing...); len(bad) > 0 {
		slices.Sort(bad)
		bad = slices.Compact(bad)
		bad = bad[:min(len(bad), 100)]
		return nil, &jobs.Error{Code: jobs.ErrCodeInvalidRows, Rows: bad,
			Message: "some rows are not data rows of the file (the header, blank rows or past the end)"}
	}
	hadOthers, err := skipsOtherThanRed(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM import_skips WHERE import_id = $1`, id); err != nil {
		return nil, fmt.Errorf("replace skips: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO import_skips (import_id, row_num)
		SELECT $1, x FROM unnest($2::int[]) AS x ON CONFLICT DO NOTHING`, id, inRange); err != nil {
		return nil, fmt.Errorf("replace skips: %w", err)
	}
	if allErrors {
		if _, err := tx.Exec(ctx, `INSERT INTO import_skips (import_id, row_num)
			SELECT import_id, row_num FROM import_rows WHERE import_id = $1 AND red ON CONFLICT DO NOTHING`, id); err != nil {
			return nil, fmt.Errorf("skip red rows: %w", err)
		}
	}
	base := jobs.Summary{}
	if imp.Summary != nil {
		base = *imp.Summary
	}
	hasOthers, err := skipsOtherThanRed(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	sum := base
	if hadOthers || hasOthers || imp.Summary == nil {
		if sum, err = preview(ctx, tx, id, tenantID, base); err != nil {
			return nil, err
		}
	} else if err := tx.QueryRow(ctx, `SELECT count(*) FROM import_skips WHERE import_id = $1`, id).Scan(&sum.RowsSkipped); err != nil {
		return nil, fmt.Errorf("count skips: %w", err)
	}
	sum.RowsApplied = 0
	b, err := json.Marshal(sum)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE imports SET summary = $2, updated_at = now() WHERE id = $1`, id, b); err != nil {
		return nil, fmt.Errorf("store preview: %w", err)
	}
	skipped, err := collectInts(ctx, tx, `SELECT row_num FROM import_skips WHERE import_id = $1 ORDER BY row_num`, id)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit skips: %w", err)
	}
	if skipped == nil {
		skipped = []int{}
	}
	return &jobs.Skips{Rows: skipped, Summary: &sum}, nil
}

// skipsOtherThanRed tells whether the skip list of import id holds a row
// that is not red.
func skipsOtherThanRed(ctx context.Context, tx pgx.Tx, id string) (bool, error) {
	var found bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM import_skips s
		JOIN import_rows r ON r.import_id = s.import_id AND r.row_num = s.row_num
		WHERE s.import_id = $1 AND NOT r.red)`, id).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("read skips: %w", err)
	}
	return found, nil
}

// previews counts the previews computed by running confirm's statements
// (tests tell the two ways of ReplaceSkips apart with it).
var previews atomic.Int64

// preview runs confirm's statements for import id, with its current skip
// list, in a savepoint that it rolls back, and returns what they counted.
func preview(ctx context.Context, tx pgx.Tx, id string, tenantID int64, base jobs.Summary) (jobs.Summary, error) {
	previews.Add(1)
	if _, err := tx.Exec(ctx, `SAVEPOINT preview`); err != nil {
		return base, err
	}
	sum, err := apply(ctx, tx, id, tenantID, base)
	if err != nil {
		return base, fmt.Errorf("preview: %w", err)
	}
	if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT preview`); err != nil {
		return base, err
	}
	return sum, nil
}
