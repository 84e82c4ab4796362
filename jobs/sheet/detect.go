package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/richardlehane/mscfb"

	"intake/jobs/warning"
)

// sniffLen is how many leading bytes Detect examines for magic numbers,
// markup and NUL bytes.
const sniffLen = 8 << 10

// Detect decides the format of the size bytes readable from r from their
// content, never from a file name: a zip holding an OOXML workbook is xlsx,
// text is CSV. Anything else is a *warning.FileError naming what is accepted:
// a 0-byte file is no_data; ODS, xlsb, legacy .xls (and other OLE2
// documents), HTML/XML spreadsheets and known binary formats are
// unsupported_format; a password-protected workbook (ECMA-376 Standard or
// Agile encryption) is encrypted_file; a damaged zip or one holding no
// workbook is corrupt_file. Other errors come from reading r.
func Detect(r io.ReaderAt, size int64) (Format, error) {
	f, _, err := detect(r, size)
	return f, err
}

// detect is Detect, also returning the zip directory of an xlsx.
func detect(r io.ReaderAt, size int64) (Format, *zip.Reader, error) {
	if size <= 0 {
		return "", nil, fileError(warning.NoData, nil, "the file is empty; upload %s with a header row and data rows", acceptedFormats)
	}
	head := make([]byte, min(size, sniffLen))
	if n, err := r.ReadAt(head, 0); n < len(head) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return "", nil, fmt.Errorf("detect format: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")),
		bytes.HasPrefix(head, []byte("PK\x07\x08")):
		return detectZip(r, size)
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return "", nil, detectCFB(r)
	}
	for _, m := range binaryMagics() {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return "", nil, fileError(warning.UnsupportedFormat, nil, "the file is %s, not a spreadsheet; upload %s", m.kind, acceptedFormats)
		}
	}
	if isMarkup(head) {
		return "", nil, fileError(warning.UnsupportedFormat, nil,
			"the file is HTML or XML (such as an Excel \"Web page\" or \"XML Spreadsheet 2003\" file), which is not accepted; save it as %s", acceptedFormats)
	}
	utf16 := bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff})
	if !utf16 && bytes.IndexByte(head, 0) >= 0 {
		if looksUTF16(head) {
			return "", nil, fileError(warning.UnsupportedFormat, nil,
				"the file is UTF-16 text without a byte order mark, whose encoding cannot be told for sure; save it as CSV UTF-8 or as Unicode text with its byte order mark, or upload %s", acceptedFormats)
		}
		return "", nil, fileError(warning.UnsupportedFormat, nil, "the file is binary, not a spreadsheet this service reads; upload %s", acceptedFormats)
	}
	return FormatCSV, nil, nil
}

// looksUTF16 reports whether head reads as UTF-16 text of a Latin script
// without its byte order mark: NUL bytes on one parity of the offsets, and
// printable or white-space ASCII on the other.
func looksUTF16(head []byte) bool {
	if len(head) < 4 {
		return false
	}
	for parity := range 2 {
		nul, text := 0, 0
		for i := 0; i+1 < len(head); i += 2 {
			z, c := head[i+parity], head[i+1-parity]
			if z == 0 {
				nul++
			}
			if c >= 0x20 && c < 0x7f || c == '\t' || c == '\r' || c == '\n' || c >= 0xa0 {
				text++
			}
		}
		pairs := len(head) / 2
		if nul*10 >= pairs*9 && text*10 >= pairs*9 {
			return true
		}
	}
	return false
}

type magic struct{ prefix, kind string }

// binaryMagics lists the leading bytes of formats users upload by mistake.
// Formats whose magic could begin a CSV header are left to the NUL check.
func binaryMagics() []magic {
	return []magic{
		{"%PDF-", "a PDF document"},
		{"\x89PNG\r\n\x1a\n", "a PNG image"},
		{"\xff\xd8\xff", "a JPEG image"},
		{"GIF87a", "a GIF image"},
		{"GIF89a", "a GIF image"},
		{"II*\x00", "a TIFF image"},
		{"MM\x00*", "a TIFF image"},
		{"\x1f\x8b", "a gzip archive"},
		{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
		{"Rar!\x1a\x07", "a RAR archive"},
		{"\xfd7zXZ\x00", "an xz archive"},
		{"\x28\xb5\x2f\xfd", "a zstd archive"},
		{"{\\rtf", "an RTF document"},
		{"\x7fELF", "an executable"},
		// Before the UTF-16 BOMs, which they start like.
		{"\xff\xfe\x00\x00", "UTF-32 text (save it as UTF-8 or UTF-16)"},
		{"\x00\x00\xfe\xff", "UTF-32 text (save it as UTF-8 or UTF-16)"},
	}
}

// isMarkup reports whether head starts, after an optional UTF-8 BOM and white
// space, with an XML or HTML tag: Excel's "Web page" and "XML Spreadsheet
// 2003" files are often named .xls and would otherwise read as a CSV without
// a header.
func isMarkup(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) < 2 || head[0] != '<' {
		return false
	}
	c := head[1] | 0x20
	return head[1] == '!' || head[1] == '?' || (c >= 'a' && c <= 'z')
}

// readerAtErr remembers the first read error that is not io.EOF, so that a
// failing storage read is not mistaken for a damaged file.
type readerAtErr struct {
	r   io.ReaderAt
	err error
}

func (e *readerAtErr) ReadAt(p []byte, off int64) (int, error) {
	n, err := e.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) && e.err == nil {
		e.err = err
	}
	return n, err
}

// zipName is a part name as excelize compares it.
func zipName(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, "\\", "/"))
}

func detectZip(r io.ReaderAt, size int64) (Format, *zip.Reader, error) {
	rec := &readerAtErr{r: r}
	zr, err := zip.NewReader(rec, size)
	if rec.err != nil {
		return "", nil, fmt.Errorf("detect format: %w", rec.err)
	}
	if err != nil {
		return "", nil, fileError(warning.CorruptFile, err, "the file is a damaged or truncated zip archive; upload %s", acceptedFormats)
	}
	var contentTypes, workbook, xlsb bool
	var mimetype *zip.File
	for _, f := range zr.File {
		switch zipName(f.Name) {
		case "[content_types].xml":
			contentTypes = true
		case "xl/workbook.xml":
			workbook = true
		case "xl/workbook.bin":
			xlsb = true
		case "mimetype":
			mimetype = f
		}
	}
	if mimetype != nil {
		mt, err := readSmall(mimetype, 128)
		if rec.err != nil {
			return "", nil, fmt.Errorf("detect format: %w", rec.err)
		}
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(mt)), "application/vnd.oasis.opendocument.spreadsheet") {
			return "", nil, fileError(warning.UnsupportedFormat, nil,
				"OpenDocument spreadsheets (.ods) are not accepted; save the file as %s", acceptedFormats)
		}
	}
	switch {
	case contentTypes && workbook:
		return FormatXLSX, zr, nil
	case contentTypes && xlsb:
		return "", nil, fileError(warning.UnsupportedFormat, nil,
			"Excel binary workbooks (.xlsb) are not accepted; save the file as %s", acceptedFormats)
	}
	return "", nil, fileError(warning.CorruptFile, nil, "the zip archive holds no Excel workbook; upload %s", acceptedFormats)
}

// readSmall reads at most max bytes of a zip entry.
func readSmall(f *zip.File, max int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, max))
}

// detectCFB classifies an OLE2 compound file: an encrypted OOXML package holds
// an EncryptionInfo stream (ECMA-376 Standard and Agile alike); anything else
// is a legacy Office document.
func detectCFB(r io.ReaderAt) (err error) {
	legacy := fileError(warning.UnsupportedFormat, nil,
		"legacy Excel 97-2003 workbooks (.xls) and other OLE documents are not accepted; save the file as %s", acceptedFormats)
	rec := &readerAtErr{r: r}
	defer func() {
		// mscfb trusts sector numbers; a damaged directory must not take the
		// process down.
		if p := recover(); p != nil {
			err = legacy
		}
		if rec.err != nil {
			err = fmt.Errorf("detect format: %w", rec.err)
		}
	}()
	doc, err := mscfb.New(rec)
	if err != nil {
		return legacy
	}
	for e, err := doc.Next(); err == nil; e, err = doc.Next() {
		if e.Name == "EncryptionInfo" || e.Name == "EncryptedPackage" {
			return fileError(warning.EncryptedFile, nil,
				"the workbook is password-protected; remove the password in Excel (File > Info > Protect Workbook) and upload it again as %s", acceptedFormats)
		}
	}
	return legacy
}
