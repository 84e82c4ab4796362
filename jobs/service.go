package jobs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"intake/jobs/sheet"
)

// Service is the set of operations the API offers on imports and
// customers. Every method takes the caller's tenant and never reaches
// another tenant's data.
type Service struct {
	Store Store
	Blobs Blobs
	Queue Enqueuer
	// TempDir holds the copies of uploads and the reports being written
	// (see Report); "" is os.TempDir().
	TempDir string
	// Limits bound what reading an upload again for its report may cost;
	// zero values take jobs/sheet's defaults.
	Limits sheet.Limits
	// MaxReports bounds the reports this process builds at once (0: no
	// bound). Building the report of a million-row workbook holds some
	// 190 MB and a database connection for about a minute; requests past
	// the bound wait for a slot (while their client does), so that a burst
	// of downloads queues instead of exhausting memory.
	MaxReports int

	reportsOnce  sync.Once
	reportsSlots chan struct{}
}

// ObjectKey is where the file of an import is stored: built from ids only,
// never from the user's file name.
func ObjectKey(tenantID int64, importID string) string {
	return fmt.Sprintf("imports/%d/%s", tenantID, importID)
}

// NewID returns a random (version 4) UUID.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// CleanFilename keeps the base name of a user-supplied file name, without
// control characters, at most 255 bytes; it is only ever displayed.
func CleanFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == "/" {
		name = "upload"
	}
	return name
}

// Upload stores body (size bytes, or -1 when unknown) for the tenant and
// queues its validation. The caller bounds body's size.
func (s *Service) Upload(ctx context.Context, tenantID int64, filename string, body io.Reader, size int64) (*Import, error) {
	imp := &Import{ID: NewID(), TenantID: tenantID, Filename: CleanFilename(filename)}
	imp.ObjectKey = ObjectKey(tenantID, imp.ID)
	n, err := s.Blobs.Put(ctx, imp.ObjectKey, body, size)
	if err != nil {
		return nil, fmt.Errorf("store upload: %w", err)
	}
	imp.Size = n
	if err := s.Store.CreateImport(ctx, imp); err != nil {
		_ = s.Blobs.Delete(context.WithoutCancel(ctx), imp.ObjectKey)
		return nil, err
	}
	// A failed enqueue leaves the import queued; the retention task's janitor
	// enqueues it again, so the upload is not lost.
	_ = enqueue(ctx, s.Queue, NewValidateTask(imp.ID))
	return imp, nil
}

// Import returns one of the tenant's imports.
func (s *Service) Import(ctx context.Context, tenantID int64, id string) (*Import, error) {
	return s.Store.Import(ctx, tenantID, id)
}

// Imports lists the tenant's imports, newest first.
func (s *Service) Imports(ctx context.Context, tenantID int64, after *ImportCursor, limit int) ([]*Import, error) {
	return s.Store.ListImports(ctx, tenantID, after, limit)
}

// Warnings lists an import's warnings by row. severity is "", "error" or "warning".
func (s *Service) Warnings(ctx context.Context, tenantID int64, id, severity string, after WarningCursor, limit int) ([]StoredWarning, error) {
	if _, err := s.Store.Import(ctx, tenantID, id); err != nil {
		return nil, err
	}
	return s.Store.Warnings(ctx, id, severity, after, limit)
}

// Skips returns an import's skip list.
func (s *Service) Skips(ctx context.Context, tenantID int64, id string) ([]int, error) {
	if _, err := s.Store.Import(ctx, tenantID, id); err != nil {
		return nil, err
	}
	return s.Store.Skips(ctx, id)
}

// ReplaceSkips replaces the skip list of a validated import and returns it
// with the recomputed preview summary.
func (s *Service) ReplaceSkips(ctx context.Context, tenantID int64, id string, rows []int, allErrors bool) (*Skips, error) {
	return s.Store.ReplaceSkips(ctx, tenantID, id, rows, allErrors)
}

// Confirm requests the confirm of an import: preconditions are checked now
// (409 material), the apply runs in the confirm task. A repeated confirm
// answers the same and enqueues nothing new (the task id of the attempt
// deduplicates). A failed import that may be confirmed again
// (Import.CanConfirmAgain) starts a new attempt.
func (s *Service) Confirm(ctx context.Context, tenantID int64, id string) (*Import, error) {
	imp, err := s.Store.RequestConfirm(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if imp.Status == StatusConfirming {
		// Enqueue failure is repaired by the janitor; the import stays confirming.
		task, _ := taskOf(imp)
		_ = enqueue(ctx, s.Queue, task)
	}
	return imp, nil
}

// Cancel cancels a queued, validating or validated import. Cancelling a
// cancelled import answers the same; once confirming it is invalid_state.
func (s *Service) Cancel(ctx context.Context, tenantID int64, id string) (*Import, error) {
	if _, err := s.Store.Import(ctx, tenantID, id); err != nil {
		return nil, err
	}
	imp, moved, err := s.Store.Transition(ctx, id, []Status{StatusQueued, StatusValidating, StatusValidated}, StatusCancelled)
	if err != nil {
		return nil, err
	}
	if !moved && imp.Status != StatusCancelled {
		return nil, &Error{Code: ErrCodeInvalidState, Message: fmt.Sprintf("an import that is %s cannot be cancelled", imp.Status)}
	}
	return imp, nil
}

// Customers lists the tenant's customers by code.
func (s *Service) Customers(ctx context.Context, tenantID int64, after string, limit int) ([]*Customer, error) {
	return s.Store.Customers(ctx, tenantID, after, limit)
}

// Customer returns one of the tenant's customers by code (ignoring case).
func (s *Service) Customer(ctx context.Context, tenantID int64, code string) (*Customer, error) {
	return s.Store.Customer(ctx, tenantID, code)
}

// Authenticate returns the tenant of an API key; an unknown key is unauthorized.
func (s *Service) Authenticate(ctx context.Context, key string) (Tenant, error) {
	t, err := s.Store.TenantByAPIKey(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return t, &Error{Code: ErrCodeUnauthorized, Message: "missing or unknown API key"}
	}
	return t, err
}
