package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"intake/jobs/warning"
)

// zipOf builds a zip archive of name → content pairs.
func zipOf(t *testing.T, entries ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(entries); i += 2 {
		w, err := zw.Create(entries[i])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, entries[i+1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDetect(t *testing.T) {
	plain := xlsxBytes(t, func(f *excelize.File) {
		setRows(t, f, "Sheet1", map[int][]any{1: {"Code client", "Nom du client"}, 2: {"C1", "Dupont"}})
	})
	var encrypted bytes.Buffer
	f, err := excelize.OpenReader(bytes.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(&encrypted, excelize.Options{Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	standardInfo := []byte("\x03\x00\x02\x00\x24\x00\x00\x00")
	agileInfo := []byte("\x04\x00\x04\x00\x40\x00\x00\x00<?xml version=\"1.0\"?><encryption/>")

	tests := []struct {
		name   string
		in     []byte
		want   Format
		code   warning.Code
		detail string // a substring of the FileError detail
	}{
		{"xlsx", plain, FormatXLSX, "", ""},
		{"csv utf-8", []byte("Code client;Nom du client\nC1;Dupont\n"), FormatCSV, "", ""},
		{"csv windows-1252", []byte("Code client;Nom du client\nC1;Soci\xe9t\xe9\n"), FormatCSV, "", ""},
		{"csv utf-16le bom", []byte("\xff\xfeC\x00o\x00d\x00e\x00"), FormatCSV, "", ""},
		{"csv utf-16be bom", []byte("\xfe\xff\x00C\x00o\x00d\x00e"), FormatCSV, "", ""},
		{"single byte", []byte("x"), FormatCSV, "", ""},
		{"empty", nil, "", warning.NoData, "empty"},
		{"truncated zip", plain[:len(plain)/2], "", warning.CorruptFile, "damaged or truncated zip"},
		{"zip without workbook", zipOf(t, "notes.txt", "hello"), "", warning.CorruptFile, "holds no Excel workbook"},
		{"empty zip", zipOf(t), "", warning.CorruptFile, "holds no Excel workbook"},
		{"docx", zipOf(t, "[Content_Types].xml", "<Types/>", "word/document.xml", "<w/>"), "", warning.CorruptFile, "holds no Excel workbook"},
		{"ods", zipOf(t, "mimetype", "application/vnd.oasis.opendocument.spreadsheet", "content.xml", "<x/>"), "", warning.UnsupportedFormat, "(.ods) are not accepted"},
		{"odt", zipOf(t, "mimetype", "application/vnd.oasis.opendocument.text", "content.xml", "<x/>"), "", warning.CorruptFile, "holds no Excel workbook"},
		{"xlsb", zipOf(t, "[Content_Types].xml", "<Types/>", "xl/workbook.bin", "\x00"), "", warning.UnsupportedFormat, "(.xlsb)"},
		{"encrypted agile (excelize)", encrypted.Bytes(), "", warning.EncryptedFile, "password-protected"},
		{"encrypted standard", buildCFB([]string{"EncryptionInfo", "EncryptedPackage"}, [][]byte{standardInfo, nil}), "", warning.EncryptedFile, "password-protected"},
		{"encrypted agile", buildCFB([]string{"EncryptionInfo", "EncryptedPackage"}, [][]byte{agileInfo, nil}), "", warning.EncryptedFile, "password-protected"},
		{"legacy xls", buildCFB([]string{"Workbook"}, [][]byte{[]byte("\x09\x08")}), "", warning.UnsupportedFormat, "(.xls)"},
		{"damaged cfb", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"), "", warning.UnsupportedFormat, "(.xls)"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "", warning.UnsupportedFormat, "a PDF document"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "", warning.UnsupportedFormat, "a PNG image"},
		{"jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "", warning.UnsupportedFormat, "a JPEG image"},
		{"gif", []byte("GIF89a\x01\x00"), "", warning.UnsupportedFormat, "a GIF image"},
		{"gzip", []byte("\x1f\x8b\x08\x00\x00\x00"), "", warning.UnsupportedFormat, "a gzip archive"},
		{"7z", []byte("7z\xbc\xaf\x27\x1c\x00\x04"), "", warning.UnsupportedFormat, "a 7-Zip archive"},
		{"rtf", []byte("{\\rtf1\\ansi Code client}"), "", warning.UnsupportedFormat, "an RTF document"},
		{"utf-32", []byte("\xff\xfe\x00\x00C\x00\x00\x00"), "", warning.UnsupportedFormat, "UTF-32"},
		{"html", []byte("\xef\xbb\xbf  <html><table><tr><td>Code client</td></tr></table></html>"), "", warning.UnsupportedFormat, "HTML or XML"},
		{"xml spreadsheet 2003", []byte(`<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>`), "", warning.UnsupportedFormat, "XML Spreadsheet 2003"},
		{"nul bytes", []byte("Code client\x00;Nom\n"), "", warning.UnsupportedFormat, "binary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Detect(bytes.NewReader(tt.in), int64(len(tt.in)))
			if tt.code == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Detect = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			fe, ok := warning.AsFileError(err)
			if !ok || fe.Code != tt.code {
				t.Fatalf("Detect = %q, %v; want a %s FileError", got, err, tt.code)
			}
			if !strings.Contains(fe.Detail, tt.detail) {
				t.Errorf("detail %q lacks %q", fe.Detail, tt.detail)
			}
			if !strings.Contains(fe.Detail, acceptedFormats) {
				t.Errorf("detail %q does not say what is accepted", fe.Detail)
			}
		})
	}
}

// failingReaderAt fails every read past off.
type failingReaderAt struct {
	r   io.ReaderAt
	off int64
}

func (f failingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.off {
		return 0, errors.New("storage unavailable")
	}
	return f.r.ReadAt(p, off)
}

// A storage error is not a verdict on the file: it must not become a
// FileError, or a transient failure would fail the import for good.
func TestDetectReadErrorIsNotAFileError(t *testing.T) {
	plain := xlsxBytes(t, func(f *excelize.File) {})
	// 0 fails the sniff, len-30 the zip directory.
	for _, off := range []int64{0, int64(len(plain)) - 30} {
		_, err := Detect(failingReaderAt{bytes.NewReader(plain), off}, int64(len(plain)))
		if err == nil {
			t.Fatal("Detect over a failing reader succeeded")
		}
		if _, ok := warning.AsFileError(err); ok {
			t.Errorf("off %d: read error became a FileError: %v", off, err)
		}
	}
}
