// Package sheet turns an uploaded customer file into header-mapped rows. It
// decides the format from the content (xlsx or CSV; everything else is a
// coded file-level error), matches row 1 against the template headers of
// SPEC §2, and streams data rows with their spreadsheet row numbers, never
// holding the whole sheet in memory. It knows nothing of Postgres, Redis, S3
// or HTTP.
package sheet

import "intake/jobs/warning"

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
	// own limit); one more is too_many_rows.
	MaxRows int
	// MaxUnzipSize bounds the total decompressed size of an xlsx (default
	// 4 GiB); beyond it the file is corrupt_file.
	MaxUnzipSize int64
	// MaxUnzipXMLSize is the size of a worksheet or shared-strings part that
	// excelize keeps in memory; larger parts are spilled to a temp file
	// (default 16 MiB).
	MaxUnzipXMLSize int64
	// MaxRecordBytes bounds one CSV record or one xlsx cell (default 1 MiB);
	// beyond it the file is corrupt_file rather than a memory spike.
	MaxRecordBytes int
}

// Column is one column of the uploaded file's header row.
type Column struct {
	Index  int    // 0-based position in the file
	Letter string // spreadsheet letter of the position ("A", "AB")
	Header string // the header text as read
	Field  Field  // the template field it matches, or NoField
}

// Header is row 1 mapped onto the template.
type Header struct {
	Columns []Column
	// index[f] is the file column index of field f, or -1 when absent.
	index [NumFields]int
}

// Row is one non-blank data row.
type Row struct {
	// Num is the spreadsheet row number (header = 1, first data row = 2); for
	// CSV the record number counted the same way.
	Num int
	// Cells holds every cell of the row as displayed, by file column index,
	// untrimmed; it may be shorter than the header.
	Cells []string
}

var _ = warning.NoData
