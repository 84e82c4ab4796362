package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"
)

// Confirm handles import:confirm: it applies the import in one transaction
// (storage does the set-based work, serialized per tenant) and marks it
// completed in the same transaction. A second run finds it completed and
// does nothing; a run killed half-way has applied nothing. When the data
// changed since the request so that a precondition no longer holds, the
// import fails with that code and is not retried.
func (h *Handlers) Confirm(ctx context.Context, t *asynq.Task) error {
	p, err := ParsePayload(t)
	if err != nil {
		return err
	}
	imp, applied, err := h.Store.ApplyImport(ctx, p.ImportID)
	var appErr *Error
	switch {
	case errors.Is(err, ErrNotFound):
		return fmt.Errorf("import %s: %w", p.ImportID, asynq.SkipRetry)
	case errors.As(err, &appErr):
		if _, ferr := h.Store.Fail(ctx, p.ImportID, []Status{StatusConfirming}, appErr.Code, appErr.Message); ferr != nil {
			return fmt.Errorf("record failure: %w", ferr)
		}
		return fmt.Errorf("import %s: %w: %w", p.ImportID, err, asynq.SkipRetry)
	case err != nil:
		return fmt.Errorf("apply import %s: %w", p.ImportID, err)
	}
	if applied {
		h.logger().InfoContext(ctx, "confirmed", "import", imp.ID, "rows_applied", imp.Summary.RowsApplied,
			"customers_new", imp.Summary.CustomersNew, "customers_updated", imp.Summary.CustomersUpdated)
	} else {
		h.logger().InfoContext(ctx, "confirm: nothing to do", "import", imp.ID, "status", imp.Status)
	}
	return nil
}
