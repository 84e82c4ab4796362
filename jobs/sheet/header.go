package sheet

import (
	"strings"

	"intake/jobs/warning"
)

// NewHeader matches the cells of row 1 against the template headers (SPEC §2)
// and returns the mapping with one unknown_column warning per header that
// matches nothing. A missing or unusable header is a *warning.FileError:
// no_header, missing_required_columns or duplicate_column.
func NewHeader(cells []string) (*Header, []warning.Warning, error) {
	h := &Header{}
	for i := range h.index {
		h.index[i] = -1
	}
	var ws []warning.Warning
	matched := 0
	for i, c := range cells {
		col := Column{Index: i, Letter: ColumnLetter(i), Header: c, Field: MatchHeader(c)}
		if strings.TrimSpace(c) == "" {
			col.Field = NoField
		}
		if col.Field != NoField {
			if h.index[col.Field] >= 0 {
				return nil, nil, &warning.FileError{Code: warning.DuplicateColumn,
					Detail: "columns " + h.Columns[h.index[col.Field]].Letter + " and " + col.Letter + " both name the field " + col.Field.Name()}
			}
			h.index[col.Field] = i
			matched++
		} else if strings.TrimSpace(c) != "" {
			ws = append(ws, warning.Warning{Row: 1, Column: col.Letter, Code: warning.UnknownColumn, Value: c,
				Params: map[string]string{"header": c}})
		}
		h.Columns = append(h.Columns, col)
	}
	if matched == 0 {
		return nil, nil, &warning.FileError{Code: warning.NoHeader,
			Detail: "row 1 matches none of the template headers; download the template to see them"}
	}
	if h.index[CustomerCode] < 0 || h.index[CustomerName] < 0 {
		return nil, nil, &warning.FileError{Code: warning.MissingRequiredColumns,
			Detail: "row 1 must hold the customer code and customer name columns"}
	}
	return h, ws, nil
}

// MatchHeader returns the template field a header names, or NoField.
// TODO(sheet): synonyms and full folding.
func MatchHeader(s string) Field {
	k := strings.ToLower(strings.TrimSpace(s))
	for f := Field(0); f < NumFields; f++ {
		for _, l := range []string{"fr", "en", "pt"} {
			if strings.ToLower(f.Header(l)) == k {
				return f
			}
		}
	}
	return NoField
}

// Has reports whether the file has a column for f.
func (h *Header) Has(f Field) bool { return h.index[f] >= 0 }

// Index is the file column index of f, or -1 when the file has no such column.
func (h *Header) Index(f Field) int { return h.index[f] }

// Letter is the file column letter of f, or "" when the file has no such column.
func (h *Header) Letter(f Field) string {
	if h.index[f] < 0 {
		return ""
	}
	return ColumnLetter(h.index[f])
}

// Value is row's raw cell for f, or "" when absent.
func (h *Header) Value(row Row, f Field) string {
	i := h.index[f]
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
