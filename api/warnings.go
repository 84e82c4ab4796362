package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"intake/jobs"
	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// maxJSONBody bounds a JSON request body (a skip list of ~150,000 rows).
const maxJSONBody = 1 << 20

// warningJSON is one item of GET /v1/imports/{id}/warnings.
type warningJSON struct {
	Row      int    `json:"row"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Column   string `json:"column"`
	Field    string `json:"field"`
	Value    string `json:"value"`
	// Message is the warning in the caller's language.
	Message string `json:"message"`
	// Params holds the warning's params and, when it has any, "changes":
	// [{field, old, new}].
	Params map[string]any `json:"params"`
}

func warningView(lang string, w jobs.StoredWarning) warningJSON {
	params := make(map[string]any, len(w.Params)+1)
	for k, v := range w.Params {
		params[k] = v
	}
	if len(w.Changes) > 0 {
		params["changes"] = w.Changes
	}
	return warningJSON{
		Row:      w.Row,
		Severity: string(w.Severity()),
		Code:     string(w.Code),
		Column:   w.Column,
		Field:    w.Field,
		Value:    w.Value,
		Message:  warning.LabeledMessage(lang, w.Warning, sheet.FieldLabel),
		Params:   params,
	}
}

// listWarnings handles GET /v1/imports/{id}/warnings: the import's
// warnings by row, optionally of one severity.
func (s *server) listWarnings(w http.ResponseWriter, r *http.Request, t jobs.Tenant) error {
	severity := r.URL.Query().Get("severity")
	if severity != "" && severity != string(warning.SeverityError) && severity != string(warning.SeverityWarning) {
		return badRequest(`severity must be "error" or "warning"`)
	}
	limit, err := pageLimit(r, 100, 1000)
	if err != nil {
		return err
	}
	var c struct {
		Row int `json:"r"`
		Seq int `json:"s"`
	}
	if _, err := decodeCursor(r, &c); err != nil {
		return err
	}
	ws, err := s.svc.Warnings(r.Context(), t.ID, r.PathValue("id"), severity,
		jobs.WarningCursor{Row: c.Row, Seq: c.Seq}, limit+1)
	if err != nil {
		return err
	}
	l := lang(r)
	w.Header().Set("Content-Language", l)
	w.Header().Add("Vary", "Accept-Language")
	s.writeJSON(w, r, http.StatusOK, paginate(ws, limit,
		func(sw jobs.StoredWarning) warningJSON { return warningView(l, sw) },
		func(sw jobs.StoredWarning) any {
			c.Row, c.Seq = sw.Row, sw.Seq
			return c
		}))
	return nil
}

// skipsJSON is the body of GET /v1/imports/{id}/skips.
type skipsJSON struct {
	Rows []int `json:"rows"`
}

// getSkips handles GET /v1/imports/{id}/skips.
func (s *server) getSkips(w http.ResponseWriter, r *http.Request, t jobs.Tenant) error {
	rows, err := s.svc.Skips(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []int{}
	}
	s.writeJSON(w, r, http.StatusOK, skipsJSON{Rows: rows})
	return nil
}

// putSkips handles PUT /v1/imports/{id}/skips: the body replaces the skip
// list; the answer is the list with the recomputed preview summary.
func (s *server) putSkips(w http.ResponseWriter, r *http.Request, t jobs.Tenant) error {
	var body struct {
		Rows      []int `json:"rows"`
		AllErrors bool  `json:"all_errors"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if body.Rows == nil {
		body.Rows = []int{}
	}
	sk, err := s.svc.ReplaceSkips(r.Context(), t.ID, r.PathValue("id"), body.Rows, body.AllErrors)
	if err != nil {
		return err
	}
	if sk.Rows == nil {
		sk.Rows = []int{}
	}
	s.writeJSON(w, r, http.StatusOK, sk)
	return nil
}

// decodeJSON strictly decodes one JSON value of at most maxJSONBody bytes
// from the body into v: unknown fields, trailing data and wrong types are
// invalid_request.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			return badRequest("the body holds more than one JSON value")
		}
		return nil
	}
	var (
		mbe       *http.MaxBytesError
		syntax    *json.SyntaxError
		typeError *json.UnmarshalTypeError
	)
	msg := "the body is not a valid JSON object"
	switch {
	case errors.Is(err, io.EOF):
		msg = "the body is empty; a JSON object is expected"
	case errors.As(err, &mbe):
		msg = fmt.Sprintf("the body is larger than %d bytes", maxJSONBody)
	case errors.As(err, &syntax):
		msg = fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typeError) && typeError.Field != "":
		msg = fmt.Sprintf("the field %q has the wrong type (%s expected)", typeError.Field, typeError.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no error type for it.
		msg = "the body has an unknown field"
		if name := strings.TrimPrefix(err.Error(), "json: unknown field "); len(name) <= 66 {
			msg += " " + name
		}
	}
	return &jobs.Error{Code: jobs.ErrCodeInvalidRequest, Message: msg, Err: err}
}
