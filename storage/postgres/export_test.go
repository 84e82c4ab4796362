package postgres

import (
	"context"

	"intake/jobs"
)

// Previews are the numbers of skip-list previews db computed so far over
// whole imports and over some of their customers.
func (db *DB) Previews() (whole, part int64) {
	return db.previews.whole.Load(), db.previews.part.Load()
}

// ExactPreview computes the preview of import id with its current skip list
// the exact way, whatever the list, and changes nothing.
func (db *DB) ExactPreview(ctx context.Context, tenantID int64, id string, base jobs.Summary) (jobs.Summary, error) {
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return base, err
	}
	defer tx.Rollback(ctx)
	return preview(ctx, tx, id, tenantID, base)
}
