package sheet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"intake/jobs/warning"
)

// source yields the rows of one format, blank ones included, with their
// spreadsheet row numbers, then io.EOF.
type source interface {
	next() (num int, cells []string, err error)
	// progress is the fraction of the content read so far, 0 to 1.
	progress() float64
	close() error
}

// Reader streams the data rows of an uploaded file. Open reads and matches
// the header row; Next returns the non-blank data rows one at a time. Errors
// are either a *warning.FileError (the file is unusable: the import fails) or
// an I/O error from the underlying reader or the temp directory (worth a
// retry). A Reader is not safe for concurrent use.
type Reader struct {
	format Format
	src    source
	header *Header
	hws    []warning.Warning
	lim    Limits
	rows   int   // data rows returned
	err    error // sticky: the last error Next returned, io.EOF included
	file   *os.File
}

// OpenFile opens the file at path and reads its header (see Open). An xlsx is
// read in place, without a temp copy.
func OpenFile(path string, lim Limits) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open sheet: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open sheet: %w", err)
	}
	r, err := open(f, st.Size(), lim, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	return r, nil
}

// Open decides the format of the size bytes of r (see Detect), opens the
// first worksheet or the CSV records, and reads and matches the header row
// (row 1; see NewHeader). A file without any non-blank row is no_data, one
// whose first non-blank row is not row 1 is no_header. An xlsx given as
// anything but an *os.File is first copied to a temp file in lim.TempDir,
// removed once the workbook is open. r must stay readable until Close.
func Open(r io.ReaderAt, size int64, lim Limits) (*Reader, error) {
	return open(r, size, lim, "")
}

func open(r io.ReaderAt, size int64, lim Limits, path string) (*Reader, error) {
	lim = lim.withDefaults()
	format, zr, err := detect(r, size)
	if err != nil {
		return nil, err
	}
	var src source
	switch format {
	case FormatXLSX:
		src, err = openXLSX(r, size, zr, path, lim)
	default:
		src, err = openCSV(r, size, lim)
	}
	if err != nil {
		return nil, err
	}
	rd := &Reader{format: format, src: src, lim: lim}
	if err := rd.readHeader(); err != nil {
		src.close()
		return nil, err
	}
	return rd, nil
}

// readHeader reads up to the first non-blank row, which must be row 1.
func (r *Reader) readHeader() error {
	for {
		num, cells, err := r.src.next()
		if err == io.EOF {
			return fileError(warning.NoData, nil, "the file holds no rows; fill in the template's header row and data rows")
		}
		if err != nil {
			return wrapIO("read header", err)
		}
		if blankCells(cells) {
			continue
		}
		if num != 1 {
			return fileError(warning.NoHeader, nil,
				"row 1 is empty: the header row must be row 1, with data rows below it")
		}
		h, ws, err := NewHeader(cells)
		if err != nil {
			return err
		}
		r.header, r.hws = h, ws
		return nil
	}
}

// wrapIO adds context to an I/O error; a FileError goes up as it is.
func wrapIO(context string, err error) error {
	if _, ok := warning.AsFileError(err); ok {
		return err
	}
	return fmt.Errorf("%s: %w", context, err)
}

// Format is the format decided from the content.
func (r *Reader) Format() Format { return r.format }

// Header is row 1 mapped onto the template.
func (r *Reader) Header() *Header { return r.header }

// HeaderWarnings are the unknown_column warnings of row 1.
func (r *Reader) HeaderWarnings() []warning.Warning { return r.hws }

// Encoding is the character encoding of a CSV file, or "" for an xlsx.
func (r *Reader) Encoding() Encoding {
	if s, ok := r.src.(*csvSource); ok {
		return s.enc
	}
	return ""
}

// Delimiter is the field delimiter sniffed from a CSV header, or 0 for an
// xlsx.
func (r *Reader) Delimiter() rune {
	if s, ok := r.src.(*csvSource); ok {
		return s.comma
	}
	return 0
}

// Rows is the number of data rows Next has returned so far.
func (r *Reader) Rows() int { return r.rows }

// Progress is the fraction of the file read so far, from 0 to 1, for a
// progress bar: bytes of a CSV, row elements of the worksheet. It is
// approximate while reading and 1 once Next has returned io.EOF.
func (r *Reader) Progress() float64 {
	if r.err == io.EOF {
		return 1
	}
	return r.src.progress()
}

// Next returns the next non-blank data row, skipping blank ones (every cell
// blank after trimming, NBSP included), and io.EOF after the last. A file
// with a header and no data row gives no_data instead of io.EOF; one more
// data row than Limits.MaxRows gives too_many_rows. After an error, Next
// returns the same error again.
func (r *Reader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	for {
		num, cells, err := r.src.next()
		switch {
		case err == io.EOF && r.rows == 0:
			err = fileError(warning.NoData, nil, "the file has a header row but no data rows")
		case err == io.EOF:
		case err != nil:
			err = wrapIO("read row", err)
		case r.header.IsReport() && r.reportCells(cells):
			continue
		case blankCells(cells):
			continue
		case r.rows >= r.lim.MaxRows:
			err = fileError(warning.TooManyRows, nil,
				"the file has more than %d data rows (row %d is one too many); split it into several files", r.lim.MaxRows, num)
		}
		if err != nil {
			r.err = err
			return Row{}, err
		}
		r.rows++
		return Row{Num: num, Cells: cells}, nil
	}
}

// reportCells prepares a row of a report uploaded again and reports whether
// it is blank: the report's own columns read as blank (a row that holds
// nothing else is a blank row), and a value that a report neutralized with a
// leading ' (before = + - @ tab or CR, see jobs/report) gets its value back.
func (r *Reader) reportCells(cells []string) bool {
	for _, i := range r.header.report {
		if i < len(cells) {
			cells[i] = ""
		}
	}
	for i, c := range cells {
		if len(c) > 1 && c[0] == '\'' && strings.IndexByte("=+-@\t\r", c[1]) >= 0 {
			cells[i] = c[1:]
		}
	}
	return blankCells(cells)
}

// Close releases the workbook, its temp files and, for OpenFile, the file.
func (r *Reader) Close() error {
	if r.err == nil {
		r.err = errors.New("sheet reader closed")
	}
	err := r.src.close()
	if r.file != nil {
		err = errors.Join(err, r.file.Close())
		r.file = nil
	}
	return err
}
