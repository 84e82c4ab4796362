package report

import (
	"archive/zip"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"intake/jobs/warning"
)

// Colours of the report (ARGB without alpha). Rows are filled lightly,
// offending cells strongly, so that the cell stands out in its row.
const (
	fillHeader      = "D9E1F2"
	fillReportHead  = "305496"
	fillErrorRow    = "FFC7CE"
	fillErrorCell   = "FF7C80"
	fillWarningRow  = "FFF2CC"
	fillWarningCell = "FFC000"
	fillSkippedRow  = "E7E6E6"
)

// textFormat is Excel's built-in number format "@" (Text): a cell formatted
// as text stays text when the user edits it, so a value such as "+33 1 23"
// or "=1+1" typed again is still not evaluated.
const textFormat = 49

// xlsxStyles are the style ids of a report, created before streaming (the
// StreamWriter takes ids, not styles).
type xlsxStyles struct {
	header, headerWarn, reportHead int
	row                            map[warning.RowStatus]int // plain cells of a row
	status                         map[warning.RowStatus]int // its status cell
	cell                           map[warning.Severity]int  // an offending cell
}

func newXLSXStyles(f *excelize.File) (*xlsxStyles, error) {
	fill := func(c string) excelize.Fill {
		if c == "" {
			return excelize.Fill{}
		}
		return excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c}}
	}
	var errs []error
	style := func(s excelize.Style) int {
		id, err := f.NewStyle(&s)
		errs = append(errs, err)
		return id
	}
	bottom := []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 2}}
	st := &xlsxStyles{
		header:     style(excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill(fillHeader), Border: bottom, NumFmt: textFormat}),
		headerWarn: style(excelize.Style{Font: &excelize.Font{Bold: true}, Fill: fill(fillWarningCell), Border: bottom, NumFmt: textFormat}),
		reportHead: style(excelize.Style{Font: &excelize.Font{Bold: true, Color: "FFFFFF"}, Fill: fill(fillReportHead), Border: bottom, NumFmt: textFormat}),
		row:        map[warning.RowStatus]int{},
		status:     map[warning.RowStatus]int{},
		cell:       map[warning.Severity]int{},
	}
	rowFill := map[warning.RowStatus]string{warning.RowOK: "", warning.RowWarning: fillWarningRow,
		warning.RowError: fillErrorRow, warning.RowSkipped: fillSkippedRow}
	for s, c := range rowFill {
		font := &excelize.Font{}
		if s == warning.RowSkipped {
			font = &excelize.Font{Italic: true, Color: "595959"}
		}
		st.row[s] = style(excelize.Style{Fill: fill(c), Font: font, NumFmt: textFormat})
		st.status[s] = style(excelize.Style{Fill: fill(c), Font: &excelize.Font{Bold: true, Italic: font.Italic, Color: font.Color}, NumFmt: textFormat})
	}
	st.cell[warning.SeverityError] = style(excelize.Style{Fill: fill(fillErrorCell), Font: &excelize.Font{Bold: true}, NumFmt: textFormat})
	st.cell[warning.SeverityWarning] = style(excelize.Style{Fill: fill(fillWarningCell), Font: &excelize.Font{Bold: true}, NumFmt: textFormat})
	return st, errors.Join(errs...)
}

// WriteXLSX writes the report of in as an xlsx workbook of one sheet: the
// file's columns in their order (without the columns of an earlier report)
// then the status and messages columns, a frozen header row with an
// auto-filter over the whole table, every row at its own row number (blank
// rows stay blank), rows filled by status, each offending cell filled by
// its severity with a comment holding its messages (the first
// Options.MaxComments cells), and every value an inline string cell
// formatted as text.
//
// It uses excelize's StreamWriter: rows go to a temp file as they come, and
// the zip is written straight to w, never built in memory. What stays in
// memory is excelize's per-file state and the comments, which it requires
// before Flush — hence their bound. Conditional formats, which StreamWriter
// does not support, are not used: fills are cell styles.
func WriteXLSX(w io.Writer, in Input, opts Options) (err error) {
	m, err := newMerger(in, opts.Lang)
	if err != nil {
		return err
	}
	defer m.close()
	f := excelize.NewFile(excelize.Options{TmpDir: opts.TempDir})
	defer func() { err = errors.Join(err, f.Close()) }()
	x, err := newXLSXWriter(f, m, opts)
	if err != nil {
		return err
	}
	if err := x.writeHeader(); err != nil {
		return err
	}
	last := 1
	for {
		l, err := m.row()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := x.writeRow(l); err != nil {
			return err
		}
		last = l.num
	}
	lastCell, _ := excelize.CoordinatesToCellName(x.width, last)
	if err := f.AutoFilter(x.sheet, "A1:"+lastCell, nil); err != nil {
		return fmt.Errorf("report auto-filter: %w", err)
	}
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("report flush: %w", err)
	}
	return writeZip(f, w)
}

// writeZip writes f as a zip straight to w: excelize's Write would build the
// whole archive in a bytes.Buffer first. Deflate's fastest level keeps a
// million-row report quick; it still compresses sheet XML about tenfold.
func writeZip(f *excelize.File, w io.Writer) error {
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		return zw
	})
	if _, err := f.WriteToBuffer(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// xlsxWriter writes the lines of a merger to a StreamWriter.
type xlsxWriter struct {
	f        *excelize.File
	sw       *excelize.StreamWriter
	m        *merger
	st       *xlsxStyles
	sheet    string
	lang     string
	width    int // output columns, status and messages included
	comments int // comments left to add
	vals     []any
}

func newXLSXWriter(f *excelize.File, m *merger, opts Options) (*xlsxWriter, error) {
	x := &xlsxWriter{f: f, m: m, lang: opts.Lang, width: m.columns() + 2,
		sheet: sheetName(opts.Lang), comments: opts.MaxComments}
	if x.comments == 0 {
		x.comments = DefaultMaxComments
	}
	if err := f.SetSheetName("Sheet1", x.sheet); err != nil {
		return nil, err
	}
	var err error
	if x.st, err = newXLSXStyles(f); err != nil {
		return nil, fmt.Errorf("report styles: %w", err)
	}
	if x.sw, err = f.NewStreamWriter(x.sheet); err != nil {
		return nil, fmt.Errorf("report stream: %w", err)
	}
	// Widths and panes must be set before the first row. StreamWriter
	// writes <col> elements in the reverse order of the calls, and Excel
	// wants them ascending: set them from the last column to the first.
	widths := make([]float64, x.width)
	for j := range m.columns() {
		n := utf8.RuneCountInString(m.header.cells[j])
		widths[j] = float64(min(max(n+4, 12), 40))
	}
	widths[x.width-2], widths[x.width-1] = 18, 100
	for j := x.width - 1; j >= 0; j-- {
		if err := x.sw.SetColWidth(j+1, j+1, widths[j]); err != nil {
			return nil, err
		}
	}
	if err := x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	x.vals = make([]any, x.width)
	return x, nil
}

// sheetName is the report sheet's name in lang.
func sheetName(lang string) string {
	switch lang {
	case warning.LangFrench:
		return "Rapport"
	case warning.LangPortuguese:
		return "Relatório"
	}
	return "Report"
}

// writeHeader writes row 1: the file's headers, an unknown column's marked
// like an offending cell, then the report's own two headers.
func (x *xlsxWriter) writeHeader() error {
	h := &x.m.header
	for j, v := range h.cells {
		x.vals[j] = excelize.Cell{StyleID: x.st.header}
		if v != "" {
			x.vals[j] = excelize.Cell{StyleID: x.st.header, Value: v}
		}
	}
	for j := range x.m.columns() {
		if msg := cellMessages(x.lang, h, j); msg != "" {
			x.vals[j] = excelize.Cell{StyleID: x.st.headerWarn, Value: h.cells[j]}
			if err := x.comment(j, 1, msg); err != nil {
				return err
			}
		}
	}
	n := x.m.columns()
	x.vals[n] = excelize.Cell{StyleID: x.st.reportHead, Value: warning.ReportColumnHeader(x.lang, warning.ReportStatusColumn)}
	x.vals[n+1] = excelize.Cell{StyleID: x.st.reportHead, Value: warning.ReportColumnHeader(x.lang, warning.ReportMessagesColumn)}
	return x.sw.SetRow("A1", x.vals)
}

// writeRow writes one data row at its own row number. Values are Go strings
// in excelize.Cell: the StreamWriter writes them as inline strings, never
// as formulas (it writes a formula only from Cell.Formula, never set here).
func (x *xlsxWriter) writeRow(l *line) error {
	base := x.st.row[l.status]
	for j, v := range l.cells {
		c := excelize.Cell{StyleID: base}
		if v != "" {
			c.Value = v
		}
		x.vals[j] = c
	}
	// An offending cell takes the fill of its strongest severity; its first
	// warning adds the comment, which holds all of the cell's messages.
	for i, w := range l.ws {
		j, id := l.at[i], x.st.cell[w.Severity()]
		if j < 0 || id == 0 {
			continue
		}
		c := x.vals[j].(excelize.Cell)
		if c.StyleID == base {
			if err := x.comment(j, l.num, cellMessages(x.lang, l, j)); err != nil {
				return err
			}
		}
		if c.StyleID != x.st.cell[warning.SeverityError] {
			c.StyleID = id
		}
		x.vals[j] = c
	}
	n := x.m.columns()
	x.vals[n] = excelize.Cell{StyleID: x.st.status[l.status], Value: l.status.Label(x.lang)}
	x.vals[n+1] = excelize.Cell{StyleID: base}
	if msg := messages(x.lang, l); msg != "" {
		x.vals[n+1] = excelize.Cell{StyleID: base, Value: msg}
	}
	cell, _ := excelize.CoordinatesToCellName(1, l.num)
	return x.sw.SetRow(cell, x.vals)
}

// comment adds the comment of an offending cell (0-based column j, row
// num) while the bound allows.
func (x *xlsxWriter) comment(j, num int, text string) error {
	if x.comments <= 0 || text == "" {
		return nil
	}
	x.comments--
	cell, _ := excelize.CoordinatesToCellName(j+1, num)
	err := x.f.AddComment(x.sheet, excelize.Comment{Author: "Intake", Cell: cell, Text: text})
	if err != nil {
		return fmt.Errorf("report comment %s: %w", cell, err)
	}
	return nil
}
