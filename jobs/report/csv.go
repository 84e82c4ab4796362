package report

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"intake/jobs/warning"
)

// bom is the UTF-8 byte-order mark: Excel reads a CSV as UTF-8 only when it
// starts with one (otherwise as the locale's ANSI code page).
const bom = "\uFEFF"

// Delimiter is the CSV field delimiter of lang: ';' for French and
// Portuguese, where Excel's list separator is ';' (the decimal separator
// being ','), and ',' for English.
func Delimiter(lang string) rune {
	if lang == warning.LangFrench || lang == warning.LangPortuguese {
		return ';'
	}
	return ','
}

// Neutralize returns v so that no spreadsheet evaluates it once v is a CSV
// field: a value starting with = + - @ tab or CR gets a leading ' (OWASP's
// advice for CSV injection); any other value is returned as it is. Excel
// shows the quote; jobs/sheet removes it again when a report is uploaded.
func Neutralize(v string) string {
	if v != "" && strings.IndexByte("=+-@\t\r", v[0]) >= 0 {
		return "'" + v
	}
	return v
}

// csvWriter writes CSV records with a BOM, LF line ends and every field
// neutralized.
type csvWriter struct {
	bw  *bufio.Writer
	cw  *csv.Writer
	rec []string
}

func newCSVWriter(w io.Writer, lang string) (*csvWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(bom); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(bw)
	// LF line ends: encoding/csv drops a lone CR in a field when UseCRLF is
	// set, and values must come back as they were. Excel reads either.
	cw.Comma = Delimiter(lang)
	return &csvWriter{bw: bw, cw: cw}, nil
}

func (c *csvWriter) write(fields []string) error {
	c.rec = c.rec[:0]
	for _, f := range fields {
		c.rec = append(c.rec, Neutralize(f))
	}
	return c.cw.Write(c.rec)
}

func (c *csvWriter) flush() error {
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// WriteCSV writes the report of in as CSV: UTF-8 with a BOM, the language's
// delimiter (see Delimiter), LF line ends; the same columns as the xlsx
// report, every row at its own record number (a blank row of the file is a
// record of empty fields), and every field neutralized (see Neutralize).
func WriteCSV(w io.Writer, in Input, opts Options) error {
	m, err := newMerger(in, opts.Lang)
	if err != nil {
		return err
	}
	defer m.close()
	c, err := newCSVWriter(w, opts.Lang)
	if err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	n := m.columns()
	rec := make([]string, n+2)
	copy(rec, m.header.cells)
	rec[n] = warning.ReportColumnHeader(opts.Lang, warning.ReportStatusColumn)
	rec[n+1] = warning.ReportColumnHeader(opts.Lang, warning.ReportMessagesColumn)
	if err := c.write(rec); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	blank := make([]string, n+2)
	last := 1
	for {
		l, err := m.row()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		for ; last+1 < l.num; last++ {
			if err := c.write(blank); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
		}
		last = l.num
		copy(rec, l.cells)
		rec[n] = l.status.Label(opts.Lang)
		rec[n+1] = messages(opts.Lang, l)
		if err := c.write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	if err := c.flush(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}
