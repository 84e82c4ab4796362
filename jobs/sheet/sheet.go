// Package sheet turns an uploaded customer file into header-mapped rows. It
// decides the format from the content (xlsx or CSV; everything else is a
// coded file-level error), matches row 1 against the template headers of
// SPEC §2, and streams data rows with their spreadsheet row numbers, never
// holding the whole sheet in memory. It knows nothing of Postgres, Redis, S3
// or HTTP.
package sheet

import (
	"fmt"
	"strings"

	"intake/jobs/warning"
)

// Format is a recognised file format.
type Format string

// The accepted formats.
const (
	FormatXLSX Format = "xlsx"
	FormatCSV  Format = "csv"
)

// Limits bound what a file may cost to read. Zero values take the defaults.
type Limits struct {
	// MaxRows is the largest number of data rows (default 1,048,575, Excel's
	// own limit); one more is too_many_rows. Blank rows do not count.
	MaxRows int
	// MaxUnzipSize bounds the total decompressed size of an xlsx, as declared
	// by its zip directory and enforced while inflating (default 4 GiB);
	// beyond it the file is corrupt_file, decided before anything is
	// inflated.
	MaxUnzipSize int64
	// MaxUnzipXMLSize is the size of a worksheet or shared-strings part that
	// excelize keeps in memory; larger parts are spilled to a temp file
	// (default 16 MiB). The parts excelize always keeps in memory (styles,
	// workbook, small worksheets, media…) may total at most 4×MaxUnzipXMLSize;
	// beyond that the file is corrupt_file.
	MaxUnzipXMLSize int64
	// MaxRecordBytes bounds one CSV record or one xlsx cell, XML tag or
	// shared string (default 1 MiB); beyond it the file is corrupt_file rather
	// than a memory spike. One xlsx row, counting each of its cells as the
	// largest shared string, may take at most 16×MaxRecordBytes.
	MaxRecordBytes int
	// TempDir is where xlsx input that is not already a file, and the
	// worksheet and shared-strings parts larger than MaxUnzipXMLSize, are
	// written while a Reader is open (default os.TempDir()). Plan disk for
	// the upload plus its largest worksheet decompressed.
	TempDir string
}

// Default limits (see Limits).
const (
	DefaultMaxRows         = 1_048_575
	DefaultMaxUnzipSize    = 4 << 30
	DefaultMaxUnzipXMLSize = 16 << 20
	DefaultMaxRecordBytes  = 1 << 20
)

// withDefaults returns l with every zero field set to its default.
func (l Limits) withDefaults() Limits {
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MaxUnzipSize <= 0 {
		l.MaxUnzipSize = DefaultMaxUnzipSize
	}
	if l.MaxUnzipXMLSize <= 0 {
		l.MaxUnzipXMLSize = DefaultMaxUnzipXMLSize
	}
	// excelize refuses an XML limit above the total limit.
	l.MaxUnzipXMLSize = min(l.MaxUnzipXMLSize, l.MaxUnzipSize)
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = DefaultMaxRecordBytes
	}
	return l
}

// Column is one column of the uploaded file's header row.
type Column struct {
	Index  int    // 0-based position in the file
	Letter string // spreadsheet letter of the position ("A", "AB")
	Header string // the header text as read
	Field  Field  // the template field it matches, or NoField
	// Report is true for a column that a downloaded report added (its status
	// or messages, in any language): the file is a report uploaded again.
	// Such a column is ignored without unknown_column and reads as blank.
	Report bool
}

// Header is row 1 mapped onto the template.
type Header struct {
	Columns []Column
	// index[f] is the file column index of field f, or -1 when absent.
	index [NumFields]int
	// report lists the indexes of the report columns, usually none.
	report []int
}

// Row is one non-blank data row.
type Row struct {
	// Num is the spreadsheet row number (header = 1, first data row = 2); for
	// CSV the record number counted the same way.
	Num int
	// Cells holds every cell of the row as displayed, by file column index,
	// untrimmed; it may be shorter than the header. In a report uploaded
	// again, the report's own columns are blank (see Column.Report).
	Cells []string
}

// Blank reports whether every cell of the row is empty after trimming white
// space, non-breaking spaces included. Next never returns a blank row.
func (r Row) Blank() bool { return blankCells(r.Cells) }

func blankCells(cells []string) bool {
	for _, c := range cells {
		// strings.TrimSpace trims Unicode White_Space, NBSP (U+00A0) included.
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// acceptedFormats ends every format error: the user must learn what to send.
const acceptedFormats = "xlsx (Excel 2007+) or csv"

// fileError builds the *warning.FileError of a file-level problem.
func fileError(code warning.Code, cause error, format string, args ...any) *warning.FileError {
	return &warning.FileError{Code: code, Detail: fmt.Sprintf(format, args...), Err: cause}
}
