package sheet

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"

	"intake/jobs/warning"
)

// excelMaxRows is the number of rows of an Excel worksheet; a row past it can
// only come from a forged file.
const excelMaxRows = 1 << 20

// xlsxSource streams the rows of the first worksheet with excelize's Rows
// iterator: values as displayed (number formats applied, so a postal code
// formatted 00000 reads 01000), cached values of formulas, and the _xHHHH_
// escapes of shared and inline strings decoded (excelize does it; it leaves
// them in cached string results of formulas, t="str").
type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	opts excelize.Options
	num  int
	// seen counts the rows that had cells, of total row elements.
	seen, total int64
}

// openXLSX checks the package against lim (see guardXLSX), then opens it with
// excelize. path is the file r reads, if known; otherwise the content is read
// from a file, r itself when it is one, else a temp copy.
func openXLSX(r io.ReaderAt, size int64, zr *zip.Reader, path string, lim Limits) (src *xlsxSource, err error) {
	if path == "" {
		path = filePath(r)
	}
	if path == "" {
		tmp, err := copyToTemp(r, size, lim.TempDir)
		if err != nil {
			return nil, err
		}
		// excelize is done with the file once open: it keeps the parts it
		// needs in memory or in its own temp files.
		defer os.Remove(tmp)
		path = tmp
		// Guard the copy rather than read r a second time.
		tf, err := os.Open(tmp)
		if err != nil {
			return nil, fmt.Errorf("open workbook copy: %w", err)
		}
		defer tf.Close()
		if zr, err = zip.NewReader(tf, size); err != nil {
			return nil, fileError(warning.CorruptFile, err, "the file is a damaged or truncated zip archive; upload %s", acceptedFormats)
		}
	}
	// klauspost/compress inflates faster than compress/flate; the guard and
	// the inliner each read the large parts once.
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return flate.NewReader(r) })
	// A shared-strings part excelize would spill and index string by string
	// is inlined (see inlineSharedStrings), on another core while the guard
	// reads the package; the copy is used only if the guard passes it, and
	// excelize is done with it once open.
	inlining := startInlining(zr, lim)
	sheetName, total, err := guardXLSX(zr, lim)
	inlined, ierr := inlining.wait()
	if inlined != "" {
		defer os.Remove(inlined)
	}
	if err != nil {
		return nil, err
	}
	if ierr != nil {
		return nil, ierr
	}
	if inlined != "" {
		path = inlined
	}
	defer func() {
		// excelize trusts much of what it reads; a forged file must not take
		// the worker down.
		if p := recover(); p != nil {
			err = fileError(warning.CorruptFile, fmt.Errorf("excelize panic: %v", p),
				"the workbook is damaged and cannot be read; upload %s", acceptedFormats)
		}
	}()
	f, err := excelize.OpenFile(path, excelize.Options{
		UnzipSizeLimit:    lim.MaxUnzipSize,
		UnzipXMLSizeLimit: lim.MaxUnzipXMLSize,
		TmpDir:            lim.TempDir,
	})
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, xlsxError("open workbook", err)
	}
	rows, err := f.Rows(sheetName)
	if err != nil {
		f.Close()
		return nil, xlsxError("open worksheet", err)
	}
	return &xlsxSource{f: f, rows: rows, opts: excelize.Options{RawCellValue: false}, total: total}, nil
}

// filePath is the name of the file r reads, when r is an *os.File still
// found under that name.
func filePath(r io.ReaderAt) string {
	f, ok := r.(*os.File)
	if !ok {
		return ""
	}
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	named, err := os.Stat(f.Name())
	if err != nil || !os.SameFile(st, named) {
		return ""
	}
	return f.Name()
}

// copyToTemp writes the content to a temp file, because excelize reads a
// workbook from a file or entirely from memory.
func copyToTemp(r io.ReaderAt, size int64, dir string) (string, error) {
	tmp, err := os.CreateTemp(dir, "intake-sheet-*.xlsx")
	if err != nil {
		return "", fmt.Errorf("copy workbook: %w", err)
	}
	_, err = io.Copy(tmp, io.NewSectionReader(r, 0, size))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("copy workbook: %w", err)
	}
	return tmp.Name(), nil
}

// xlsxError maps an excelize error: a file system error (temp directory full,
// unreadable input) is an I/O error worth a retry; anything else means the
// package is not a readable workbook.
func xlsxError(context string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", context, err)
	}
	if errors.Is(err, excelize.ErrWorkbookFileFormat) {
		return fileError(warning.CorruptFile, err, "the file is not a readable Excel workbook; upload %s", acceptedFormats)
	}
	return fileError(warning.CorruptFile, err, "the workbook is damaged and cannot be read; upload %s", acceptedFormats)
}

func (s *xlsxSource) next() (num int, cells []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fileError(warning.CorruptFile, fmt.Errorf("excelize panic: %v", p),
				"the worksheet is damaged near row %d; upload %s", s.num, acceptedFormats)
		}
	}()
	// excelize yields every row number in turn, gaps included, so that the
	// count of Next calls is the row number.
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, xlsxError("read worksheet", err)
		}
		return 0, nil, io.EOF
	}
	if s.num++; s.num > excelMaxRows {
		return 0, nil, fileError(warning.CorruptFile, nil,
			"the worksheet has rows past Excel's last row (%d); upload %s", excelMaxRows, acceptedFormats)
	}
	cells, err = s.rows.Columns(s.opts)
	if err != nil {
		return 0, nil, xlsxError(fmt.Sprintf("read row %d", s.num), err)
	}
	if len(cells) > 0 {
		s.seen++
	}
	return s.num, cells, nil
}

func (s *xlsxSource) progress() float64 {
	if s.total == 0 {
		return 0
	}
	return min(1, float64(s.seen)/float64(s.total))
}

func (s *xlsxSource) close() error {
	if s.f == nil {
		return nil
	}
	err := s.rows.Close()
	if errors.Is(err, excelize.ErrMaxRows) {
		err = nil // reported by next
	}
	err = errors.Join(err, s.f.Close())
	s.f, s.rows = nil, nil
	return err
}
