package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"intake/jobs"
	"intake/jobs/warning"
)

// Warnings returns up to limit warnings of import id ordered by row, after
// the cursor, optionally of one severity ("error" or "warning"; row 1's
// unknown_column is a warning).
func (db *DB) Warnings(ctx context.Context, id, severity string, after jobs.WarningCursor, limit int) ([]jobs.StoredWarning, error) {
	rows, err := db.Pool.Query(ctx, `
		SELECT row_num, seq, code, col, field, value, params FROM import_warnings
		WHERE import_id = $1 AND ($2 = '' OR severity = $2) AND (row_num, seq) > ($3, $4)
		ORDER BY row_num, seq LIMIT $5`, id, severity, after.Row, after.Seq, limit)
	if err != nil {
		return nil, fmt.Errorf("list warnings: %w", err)
	}
	defer rows.Close()
	var out []jobs.StoredWarning
	for rows.Next() {
		var (
			w      jobs.StoredWarning
			code   string
			params []byte
		)
		if err := rows.Scan(&w.Row, &w.Seq, &code, &w.Column, &w.Field, &w.Value, &params); err != nil {
			return nil, fmt.Errorf("list warnings: %w", err)
		}
		w.Code = warning.Code(code)
		if params != nil {
			if err := decodeParams(params, &w.Warning); err != nil {
				return nil, err
			}
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// decodeParams is the inverse of paramsJSON.
func decodeParams(b []byte, w *warning.Warning) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("decode params: %w", err)
	}
	for k, v := range m {
		if k == "changes" {
			if err := json.Unmarshal(v, &w.Changes); err != nil {
				return fmt.Errorf("decode changes: %w", err)
			}
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("decode param %s: %w", k, err)
		}
		if w.Params == nil {
			w.Params = map[string]string{}
		}
		w.Params[k] = s
	}
	return nil
}
