package sheet

import (
	"fmt"
	"strings"

	"intake/jobs/warning"
)

// NewHeader matches the cells of row 1 against the template headers (SPEC §2)
// and returns the mapping with one unknown_column warning per header that
// matches nothing. A missing or unusable header is a *warning.FileError:
// no_header, missing_required_columns or duplicate_column.
func NewHeader(cells []string) (*Header, []warning.Warning, error) {
	m := newHeaderMatcher()
	h := &Header{}
	for i := range h.index {
		h.index[i] = -1
	}
	var ws []warning.Warning
	matched := 0
	for i, c := range cells {
		col := Column{Index: i, Letter: ColumnLetter(i), Header: c, Field: NoField}
		if strings.TrimSpace(c) != "" {
			col.Field, col.Report = m.lookup(c)
		}
		switch {
		case col.Report:
			h.report = append(h.report, i)
		case col.Field != NoField:
			if j := h.index[col.Field]; j >= 0 {
				return nil, nil, fileError(warning.DuplicateColumn, nil,
					"columns %s (%q) and %s (%q) both name the field %s; keep one of them",
					h.Columns[j].Letter, h.Columns[j].Header, col.Letter, c, col.Field.Name())
			}
			h.index[col.Field] = i
			matched++
		case strings.TrimSpace(c) != "":
			ws = append(ws, warning.Warning{Row: 1, Column: col.Letter, Code: warning.UnknownColumn, Value: c,
				Params: map[string]string{"header": c}})
		}
		h.Columns = append(h.Columns, col)
	}
	if matched == 0 {
		return nil, nil, fileError(warning.NoHeader, nil,
			"row 1 matches none of the template headers (such as %q and %q); download the template to see them",
			CustomerCode.Header("fr"), CustomerName.Header("fr"))
	}
	var missing []string
	for _, f := range []Field{CustomerCode, CustomerName} {
		if h.index[f] < 0 {
			missing = append(missing, fmt.Sprintf("%s (%q, %q or %q)", f.Name(), f.Header("fr"), f.Header("en"), f.Header("pt")))
		}
	}
	if len(missing) > 0 {
		return nil, nil, fileError(warning.MissingRequiredColumns, nil,
			"row 1 lacks the required column %s", strings.Join(missing, " and the column "))
	}
	return h, ws, nil
}

// MatchHeader returns the template field a header names, or NoField. Headers
// are compared after FoldHeader, against the French, English and Portuguese
// headers of SPEC §2, the field names and common synonyms. It builds its
// lookup table on each call: to match a whole row, use NewHeader.
func MatchHeader(s string) Field {
	if strings.TrimSpace(s) == "" {
		return NoField
	}
	return newHeaderMatcher().match(s)
}

// Field is the template field of file column i, or NoField.
func (h *Header) Field(i int) Field {
	if i < 0 || i >= len(h.Columns) {
		return NoField
	}
	return h.Columns[i].Field
}

// IsReport reports whether the file has report columns (see Column.Report):
// it is a downloaded report uploaded again.
func (h *Header) IsReport() bool { return len(h.report) > 0 }

// Has reports whether the file has a column for f.
func (h *Header) Has(f Field) bool { return h.Index(f) >= 0 }

// Index is the file column index of f, or -1 when the file has no such column.
func (h *Header) Index(f Field) int {
	if f < 0 || f >= NumFields {
		return -1
	}
	return h.index[f]
}

// Letter is the file column letter of f, or "" when the file has no such column.
func (h *Header) Letter(f Field) string {
	if i := h.Index(f); i >= 0 {
		return ColumnLetter(i)
	}
	return ""
}

// Value is row's raw cell for f, or "" when absent.
func (h *Header) Value(row Row, f Field) string {
	i := h.Index(f)
	if i < 0 || i >= len(row.Cells) {
		return ""
	}
	return row.Cells[i]
}

// ColumnLetter returns the spreadsheet letter of a 0-based column index.
func ColumnLetter(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}
