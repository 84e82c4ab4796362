package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"intake/jobs"
	"intake/jobs/rules"
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
// summary with confirm's own statements, run in savepoints that are rolled
// back: the preview and the real confirm are one code path. Rows that are
// not data rows are invalid_rows; an import that is not validated is
// invalid_state.
//
// The preview is recomputed for the customers the change touches only:
// confirm treats each customer apart from the others, and never applies a
// red row, so a customer whose non-red rows are skipped as before counts as
// it did. For the customers of the non-red rows that enter or leave the
// list, confirm's statements run over their rows alone, once with the old
// list and once with the new, and the difference adjusts the stored
// preview (the validation's summary at first, which is the preview of an
// empty list). Skipping every error (red rows only) thus changes no count
// and runs nothing, and skipping a few rows of a million-row import costs a
// scan of its rows, not a confirm's 30 s. When the change touches most
// customers the whole import is previewed at once.
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
	base := jobs.Summary{}
	if imp.Summary != nil {
		base = *imp.Summary
	}
	// The rows entering or leaving the list, as sets (a correlated EXISTS
	// per row would compare every row with the whole list).
	touched, err := collectStrings(ctx, tx, `WITH new AS (SELECT x AS row_num FROM unnest($2::int[]) AS x),
		old AS (SELECT row_num FROM import_skips WHERE import_id = $1),
		changed AS ((SELECT row_num FROM new EXCEPT SELECT row_num FROM old)
			UNION (SELECT row_num FROM old EXCEPT SELECT row_num FROM new))
		SELECT DISTINCT r.cust_key FROM changed c
		JOIN import_rows r ON r.import_id = $1 AND r.row_num = c.row_num
		WHERE NOT r.red`,
		id, inRange)
	if err != nil {
		return nil, fmt.Errorf("skips: changed customers: %w", err)
	}
	customers := base.CustomersNew + base.CustomersUpdated + base.CustomersUnchanged
	whole := imp.Summary == nil || 2*len(touched) > customers
	var before, after jobs.Summary
	if len(touched) > 0 && !whole {
		db.previews.part.Add(1)
		if before, after, err = previewChange(ctx, tx, tenantID, id, touched, inRange, allErrors); err != nil {
			return nil, err
		}
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
	sum := base
	switch {
	case whole:
		db.previews.whole.Add(1)
		if sum, err = preview(ctx, tx, id, tenantID, base); err != nil {
			return nil, err
		}
	case len(touched) > 0:
		sum.Summary = adjust(base.Summary, before.Summary, after.Summary)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM import_skips WHERE import_id = $1`, id).Scan(&sum.RowsSkipped); err != nil {
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

// previewChange runs confirm's statements over the rows of the customers
// keys of import id alone, first with its current skip list, then with the
// new one (rows, plus every red row when allErrors), and changes nothing:
// the rows are copied once under a scratch import, inside a savepoint that
// is rolled back. Confirm treats each customer apart, so the counts are
// those customers' share of a whole preview.
func previewChange(ctx context.Context, tx pgx.Tx, tenantID int64, id string, keys []string, rows []int, allErrors bool) (before, after jobs.Summary, err error) {
	part := jobs.NewID()
	cols := strings.Join(importRowColumns[1:], ", ")
	args := pgx.NamedArgs{"part": part, "import_id": id, "tenant_id": tenantID, "keys": keys, "rows": rows, "all_errors": allErrors}
	exec := func(qs ...string) error {
		for _, q := range qs {
			if _, err := tx.Exec(ctx, q, args); err != nil {
				return fmt.Errorf("preview: %w", err)
			}
		}
		return nil
	}
	if err := exec(`SAVEPOINT preview_part`,
		`INSERT INTO imports (id, tenant_id, filename, object_key, size_bytes, status)
		VALUES (@part, @tenant_id, 'preview', 'preview', 0, 'validated')`,
		`INSERT INTO import_rows (import_id, `+cols+`)
		SELECT @part, `+cols+` FROM import_rows
		WHERE import_id = @import_id AND cust_key IN (SELECT unnest(@keys::text[]))`,
		`INSERT INTO import_skips (import_id, row_num)
		SELECT @part, s.row_num FROM import_skips s
		JOIN import_rows r ON r.import_id = @part AND r.row_num = s.row_num
		WHERE s.import_id = @import_id`,
		`SAVEPOINT preview_apply`); err != nil {
		return before, after, err
	}
	if before, err = apply(ctx, tx, part, tenantID, jobs.Summary{}); err != nil {
		return before, after, fmt.Errorf("preview: %w", err)
	}
	if err := exec(`ROLLBACK TO SAVEPOINT preview_apply`,
		`DELETE FROM import_skips WHERE import_id = @part`,
		`INSERT INTO import_skips (import_id, row_num)
		SELECT @part, r.row_num FROM import_rows r
		WHERE r.import_id = @part AND (r.row_num IN (SELECT unnest(@rows::int[])) OR (@all_errors AND r.red))`); err != nil {
		return before, after, err
	}
	if after, err = apply(ctx, tx, part, tenantID, jobs.Summary{}); err != nil {
		return before, after, fmt.Errorf("preview: %w", err)
	}
	return before, after, exec(`ROLLBACK TO SAVEPOINT preview_part`)
}

// adjust returns the preview base with the counts of some customers going
// from before to after; the row counts are base's.
func adjust(base, before, after rules.Summary) rules.Summary {
	s := base
	for _, c := range []struct{ dst, b, a *int }{
		{&s.CustomersNew, &before.CustomersNew, &after.CustomersNew},
		{&s.CustomersUpdated, &before.CustomersUpdated, &after.CustomersUpdated},
		{&s.CustomersUnchanged, &before.CustomersUnchanged, &after.CustomersUnchanged},
		{&s.AddressesNew, &before.AddressesNew, &after.AddressesNew},
		{&s.AddressesUpdated, &before.AddressesUpdated, &after.AddressesUpdated},
		{&s.ContactsNew, &before.ContactsNew, &after.ContactsNew},
		{&s.ContactsUpdated, &before.ContactsUpdated, &after.ContactsUpdated},
	} {
		*c.dst += *c.a - *c.b
	}
	return s
}

// preview runs confirm's statements for import id, with its current skip
// list, in a savepoint that it rolls back, and returns what they counted.
func preview(ctx context.Context, tx pgx.Tx, id string, tenantID int64, base jobs.Summary) (jobs.Summary, error) {
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

func collectStrings(ctx context.Context, q pgx.Tx, sql string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
