package postgres

import (
	"context"
	"fmt"
	"iter"

	"intake/jobs/report"
	"intake/jobs/warning"
)

// ReportMarks streams the skips and warnings of import id for its report,
// ordered by row: a skipped row's mark (seq -1) comes before its warnings,
// which come by seq. It is one query read through a pgx cursor, row by row,
// whatever the size of the import; the connection is held until the
// iteration ends. Breaking out of the loop early reads the rest of the
// result away.
func (db *DB) ReportMarks(ctx context.Context, id string) iter.Seq2[report.Mark, error] {
	return func(yield func(report.Mark, error) bool) {
		rows, err := db.Pool.Query(ctx, `
			SELECT row_num, -1 AS seq, '' AS code, '' AS col, '' AS field, '' AS value, NULL::jsonb AS params
			FROM import_skips WHERE import_id = $1
			UNION ALL
			SELECT row_num, seq, code, col, field, value, params
			FROM import_warnings WHERE import_id = $1
			ORDER BY row_num, seq`, id)
		if err != nil {
			yield(report.Mark{}, fmt.Errorf("report marks: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var (
				m      report.Mark
				seq    int
				code   string
				params []byte
			)
			w := &m.Warning
			if err := rows.Scan(&m.Row, &seq, &code, &w.Column, &w.Field, &w.Value, &params); err != nil {
				yield(report.Mark{}, fmt.Errorf("report marks: %w", err))
				return
			}
			if seq < 0 {
				m = report.Mark{Row: m.Row, Skipped: true}
			} else {
				w.Row, w.Code = m.Row, warning.Code(code)
				if params != nil {
					if err := decodeParams(params, w); err != nil {
						yield(report.Mark{}, err)
						return
					}
				}
			}
			if !yield(m, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(report.Mark{}, fmt.Errorf("report marks: %w", err))
		}
	}
}

// FileDeleted reports whether the retention task deleted the file of
// import id.
func (db *DB) FileDeleted(ctx context.Context, id string) (bool, error) {
	if !validUUID(id) {
		return false, nil
	}
	var deleted bool
	err := db.Pool.QueryRow(ctx, `SELECT file_deleted_at IS NOT NULL FROM imports WHERE id = $1`, id).Scan(&deleted)
	if err != nil {
		return false, notFound(err)
	}
	return deleted, nil
}
