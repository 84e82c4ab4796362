package jobs

import (
	"errors"
	"fmt"
)

// Error is the application error: a stable code, a user-safe English message
// and optional row numbers. The HTTP layer alone maps codes to statuses.
type Error struct {
	Code    string
	Message string
	Rows    []int
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Application error codes (file and row codes live in jobs/warning).
const (
	ErrCodeNotFound        = "not_found"
	ErrCodeInvalidState    = "invalid_state"
	ErrCodeUnskippedErrors = "unskipped_errors"
	ErrCodeNameMissing     = "name_missing"
	ErrCodeInvalidRows     = "invalid_rows"
	ErrCodeInvalidRequest  = "invalid_request"
	ErrCodeUnauthorized    = "unauthorized"
	ErrCodeFileTooLarge    = "file_too_large"
	// ErrCodeFileDeleted: the upload was deleted after the retention
	// period, so its report can no longer be produced (HTTP 410).
	ErrCodeFileDeleted = "file_deleted"
	ErrCodeInternal    = "internal"
)

// ErrNotFound is returned by stores for a missing row; it is a not_found Error.
var ErrNotFound = &Error{Code: ErrCodeNotFound, Message: "not found"}

// ErrorCode returns the code of an *Error in err's chain, or "internal".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrCodeInternal
}
