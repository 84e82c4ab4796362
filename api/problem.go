package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"unicode"
	"unicode/utf8"

	"intake/jobs"
	"intake/jobs/warning"
)

// Codes of the HTTP layer that jobs does not raise.
const (
	codeTooManyRequests  = "too_many_requests"
	codeMethodNotAllowed = "method_not_allowed"
)

// problemTypeBase prefixes a problem's code to make its type URI; the URI
// identifies the problem and is not meant to be fetched.
const problemTypeBase = "https://intake.dev/problems/"

// statusOf is the one table from application error codes to HTTP statuses;
// any other code is a 500.
func statusOf(code string) int {
	switch code {
	case jobs.ErrCodeNotFound:
		return http.StatusNotFound
	case jobs.ErrCodeInvalidState, jobs.ErrCodeUnskippedErrors, jobs.ErrCodeNameMissing:
		return http.StatusConflict
	case jobs.ErrCodeInvalidRows:
		return http.StatusUnprocessableEntity
	case jobs.ErrCodeInvalidRequest:
		return http.StatusBadRequest
	case jobs.ErrCodeUnauthorized:
		return http.StatusUnauthorized
	case jobs.ErrCodeFileTooLarge:
		return http.StatusRequestEntityTooLarge
	case jobs.ErrCodeFileDeleted:
		return http.StatusGone
	case codeTooManyRequests:
		return http.StatusTooManyRequests
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

// problem is an RFC 9457 problem detail with Intake's extension members.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	// Code is stable; title and detail follow the caller's language.
	Code string `json:"code"`
	// Rows lists row numbers for unskipped_errors, name_missing and invalid_rows.
	Rows []int `json:"rows,omitempty"`
}

// badRequest is an invalid_request error with a user-safe English message.
func badRequest(message string) error {
	return &jobs.Error{Code: jobs.ErrCodeInvalidRequest, Message: message}
}

// fail answers err as a problem. Application errors keep their code; any
// other error is logged and answered as an opaque 500.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := jobs.ErrorCode(err)
	var app *jobs.Error
	errors.As(err, &app)
	status := statusOf(code)
	if status == http.StatusInternalServerError {
		if r.Context().Err() != nil {
			// The client went away; nobody reads the answer.
			s.log.InfoContext(r.Context(), "request cancelled by the client", "route", r.Pattern)
			w.WriteHeader(statusClientClosed)
			return
		}
		s.log.ErrorContext(r.Context(), "internal error", "route", r.Pattern, "method", r.Method,
			"tenant", infoFrom(r.Context()).tenant, "err", err)
		code = jobs.ErrCodeInternal
		app = nil
	}
	p := s.newProblem(r, status, code)
	if app != nil {
		switch code {
		case jobs.ErrCodeInvalidRequest, jobs.ErrCodeInvalidState:
			// Their English messages say what was wrong (the field, the status).
			if lang(r) == warning.LangEnglish && app.Message != "" {
				p.Detail = sentence(app.Message)
			}
		case jobs.ErrCodeUnskippedErrors, jobs.ErrCodeNameMissing, jobs.ErrCodeInvalidRows:
			p.Rows = app.Rows
		}
	}
	s.writeProblem(w, r, p)
}

// statusClientClosed is logged and counted when the client gave up before
// the answer (nginx's convention); it is never seen by a client.
const statusClientClosed = 499

// newProblem is the problem of code with its title and detail in the
// caller's language.
func (s *server) newProblem(r *http.Request, status int, code string) problem {
	l := lang(r)
	return problem{
		Type:   problemTypeBase + code,
		Title:  warning.ProblemTitle(l, code),
		Status: status,
		Detail: warning.ProblemDetail(l, code),
		Code:   code,
	}
}

// writeProblem writes p as application/problem+json.
func (s *server) writeProblem(w http.ResponseWriter, r *http.Request, p problem) {
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Language", lang(r))
	h.Add("Vary", "Accept-Language")
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="intake"`)
	}
	w.WriteHeader(p.Status)
	if err := json.NewEncoder(w).Encode(p); err != nil {
		s.log.DebugContext(r.Context(), "write problem", "err", err)
	}
}

// lang is the caller's language: ?lang= when given, else Accept-Language.
func lang(r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q != "" {
		return warning.Lang(q)
	}
	return warning.Lang(r.Header.Get("Accept-Language"))
}

// sentence capitalizes an error message and ends it with a period.
func sentence(m string) string {
	first, size := utf8.DecodeRuneInString(m)
	m = string(unicode.ToUpper(first)) + m[size:]
	if last, _ := utf8.DecodeLastRuneInString(m); last != '.' && last != '?' && last != '!' {
		m += "."
	}
	return m
}

// writeJSON writes v as JSON with status.
func (s *server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.log.DebugContext(r.Context(), "write response", "err", err)
	}
}
