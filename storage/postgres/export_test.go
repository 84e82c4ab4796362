package postgres

import (
	"context"

	"intake/jobs"
)

// Previews is the number of whole-import previews computed so far.
func Previews() int64 { return previews.Load() }

// PartialPreviews is the number of per-customer previews computed so far.
func PartialPreviews() int64 { return partialPreviews.Load() }

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
