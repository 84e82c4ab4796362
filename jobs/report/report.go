// Package report writes the files users download (SPEC §7): the customer
// template, in French, English or Portuguese, as xlsx (styled, with
// dropdowns and instructions) or CSV; and the annotated report of an
// import, every data row of the uploaded file with its status and messages,
// as xlsx (filled rows, marked cells, comments, an auto-filter) or CSV.
//
// Reports stream: rows come from a Rows reader (jobs/sheet over the stored
// upload) and marks (skips and warnings) from an ordered iterator, merged
// by row number, and each row is written as soon as it is read. Nothing
// holds the file's rows; see WriteXLSX for what the xlsx writer keeps.
//
// Every value a user typed is written so that no spreadsheet evaluates it:
// an xlsx cell is always an inline string, never a formula; a CSV field
// starting with = + - @ tab or CR gets a leading ' (OWASP's advice for CSV
// injection). The package knows nothing of Postgres, S3 or HTTP.
package report

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/xuri/excelize/v2"

	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// Format is a download format.
type Format string

// The download formats.
const (
	XLSX Format = "xlsx"
	CSV  Format = "csv"
)

// ContentType is the MIME type of the format.
func (f Format) ContentType() string {
	if f == CSV {
		return "text/csv; charset=utf-8"
	}
	return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
}

// Mark is what a report knows of a row besides its cells: either that the
// row is on the skip list, or one of its warnings. Row 1's marks are the
// header's unknown_column warnings.
type Mark struct {
	Row     int
	Skipped bool
	// Warning is the warning, when Skipped is false.
	Warning warning.Warning
}

// Rows yields the data rows of the uploaded file in ascending row order,
// then io.EOF; *sheet.Reader is one.
type Rows interface {
	Next() (sheet.Row, error)
}

// Input is what a report is made of.
type Input struct {
	// Header is row 1 of the uploaded file.
	Header *sheet.Header
	// Rows are its data rows.
	Rows Rows
	// Marks are the skips and warnings of the import ordered by row (a
	// row's skip, if any, and its warnings in any order); marks of rows that
	// Rows does not yield are ignored.
	Marks iter.Seq2[Mark, error]
}

// Options tune a report. The zero value writes an English report.
type Options struct {
	// Lang is the language of the header names, statuses and messages: fr,
	// en or pt; anything else is English.
	Lang string
	// TempDir is where the xlsx writer spills the worksheet while it is
	// written (default os.TempDir()); plan for about the size of the
	// report's worksheet XML.
	TempDir string
	// MaxComments bounds the cell comments of an xlsx report (default
	// DefaultMaxComments; negative: none). Comments are held in memory until
	// the end; past the bound, the offending cells are still filled and the
	// messages column still says everything.
	MaxComments int
}

// DefaultMaxComments is the default Options.MaxComments: about 10 MB of
// comments held while an xlsx report is written.
const DefaultMaxComments = 10_000

// Write writes the report of in to w in format.
func Write(w io.Writer, format Format, in Input, opts Options) error {
	switch format {
	case XLSX:
		return WriteXLSX(w, in, opts)
	case CSV:
		return WriteCSV(w, in, opts)
	}
	return fmt.Errorf("report: unknown format %q", format)
}

// line is one row of a report, as the writers see it.
type line struct {
	num    int
	cells  []string // by output column
	status warning.RowStatus
	ws     []warning.Warning
	// at[i] is the output column of ws[i], or -1 for a row-wide warning.
	at []int
}

// merger walks the file's rows and the marks together.
type merger struct {
	in   Input
	lang string
	// cols[j] is the file column index of output column j: the file's
	// columns in order, without the columns of an earlier report.
	cols []int
	// out[i] is the output column of file column i, or -1.
	out     []int
	next    func() (Mark, error, bool)
	stop    func()
	pending *Mark
	// header holds row 1's warnings, read by newMerger.
	header line
	cur    line
}

// newMerger starts the merge and reads the header's marks. The caller calls
// close.
func newMerger(in Input, lang string) (*merger, error) {
	if in.Header == nil || in.Rows == nil {
		return nil, errors.New("report: no header or rows")
	}
	m := &merger{in: in, lang: lang}
	for i, c := range in.Header.Columns {
		if c.Report {
			m.out = append(m.out, -1)
			continue
		}
		m.out = append(m.out, len(m.cols))
		m.cols = append(m.cols, i)
	}
	m.header = line{num: 1, cells: make([]string, len(m.cols)), status: warning.RowOK}
	for j, i := range m.cols {
		m.header.cells[j] = in.Header.Columns[i].Header
	}
	marks := in.Marks
	if marks == nil {
		marks = func(func(Mark, error) bool) {}
	}
	m.next, m.stop = iter.Pull2(marks)
	if err := m.collect(&m.header); err != nil {
		m.close()
		return nil, err
	}
	return m, nil
}

// columns is the number of output columns before status and messages.
func (m *merger) columns() int { return len(m.cols) }

// collect attaches to l the marks of row l.num, dropping the marks of
// earlier rows that never came (none, for a consistent import).
func (m *merger) collect(l *line) error {
	for {
		if m.pending == nil {
			mk, err, ok := m.next()
			if err != nil {
				return fmt.Errorf("read marks: %w", err)
			}
			if !ok {
				return nil
			}
			m.pending = &mk
		}
		mk := m.pending
		switch {
		case mk.Row > l.num:
			return nil
		case mk.Row == l.num && mk.Skipped:
			l.status = warning.RowSkipped
		case mk.Row == l.num:
			l.ws = append(l.ws, mk.Warning)
			l.at = append(l.at, m.column(mk.Warning.Column))
		}
		m.pending = nil
	}
}

// column maps a warning's file column letter to its output column, or -1.
func (m *merger) column(letter string) int {
	if letter == "" {
		return -1
	}
	n, err := excelize.ColumnNameToNumber(letter)
	if err != nil || n > len(m.out) {
		return -1
	}
	return m.out[n-1]
}

// row returns the next data row with its marks, or io.EOF.
func (m *merger) row() (*line, error) {
	r, err := m.in.Rows.Next()
	if err != nil {
		return nil, err
	}
	l := &m.cur
	l.num, l.status, l.ws, l.at = r.Num, "", l.ws[:0], l.at[:0]
	if cap(l.cells) < len(m.cols) {
		l.cells = make([]string, len(m.cols))
	}
	l.cells = l.cells[:len(m.cols)]
	for j, i := range m.cols {
		l.cells[j] = ""
		if i < len(r.Cells) {
			l.cells[j] = r.Cells[i]
		}
	}
	if err := m.collect(l); err != nil {
		return nil, err
	}
	if l.status == "" {
		l.status = rowStatus(l.ws)
	}
	return l, nil
}

func (m *merger) close() { m.stop() }

// rowStatus is the status of a row that is not skipped: error when one of
// its codes is red, warning when it has yellow codes only, else ok.
func rowStatus(ws []warning.Warning) warning.RowStatus {
	s := warning.RowOK
	for _, w := range ws {
		switch w.Severity() {
		case warning.SeverityError:
			return warning.RowError
		case warning.SeverityWarning:
			s = warning.RowWarning
		}
	}
	return s
}

// messages renders a row's warnings in lang, one after the other, each
// prefixed with the report column letter of its cell ("N: …").
func messages(lang string, l *line) string {
	var b strings.Builder
	for i, w := range l.ws {
		if i > 0 {
			b.WriteString(" | ")
		}
		if l.at[i] >= 0 {
			b.WriteString(sheet.ColumnLetter(l.at[i]))
			b.WriteString(": ")
		}
		b.WriteString(warning.LabeledMessage(lang, w, sheet.FieldLabel))
	}
	return b.String()
}

// cellMessages renders the warnings of output column col, one per line.
func cellMessages(lang string, l *line, col int) string {
	var b strings.Builder
	for i, w := range l.ws {
		if l.at[i] != col {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(warning.LabeledMessage(lang, w, sheet.FieldLabel))
	}
	return b.String()
}
