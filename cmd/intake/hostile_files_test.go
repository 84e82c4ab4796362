package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// hostileFile is one file of testdata/hostile (small, committed) or
// generated into a temp dir by the test (large), and what Intake must make
// of it: a file-level error code, or "validated" with the rows read.
type hostileFile struct {
	name  string
	large bool // generated at test time rather than committed
	gen   func(path string) error
	want  string // a file-level code, or "validated"
	rows  int    // data rows, when validated
}

// hostileDir is where the small hostile files are committed. They are
// written by the generators below when missing, or all again with
// INTAKE_UPDATE_HOSTILE=1 (encrypted.xlsx then changes: its salt is random).
// legacy.xls is not generated: it is mscfb's test.xls (Apache-2.0), a real
// Excel 97-2003 workbook.
const hostileDir = "../../testdata/hostile"

// hostileFiles lists the files of SPEC's hostile catalogue, each with its
// expected outcome.
func hostileFiles() []hostileFile {
	hdr := "Customer code,Customer name\r\n"
	return []hostileFile{
		{name: "zipbomb_rows.xlsx", large: true, gen: genZipBomb, want: "corrupt_file"},
		{name: "columns_16384.xlsx", large: true, gen: genWideSheet, want: "validated", rows: 20},
		{name: "cell_1mib.xlsx", large: true, gen: genBigCell, want: "validated", rows: 1},
		{name: "field_2mib.csv", large: true, gen: text(hdr + "C1," + strings.Repeat("x", 2<<20) + "\r\n"), want: "corrupt_file"},
		{name: "one_line_100mib.csv", large: true, gen: genOneLine, want: "corrupt_file"},
		{name: "blank_lines_1m.csv", large: true, gen: text(strings.Repeat("\r\n", 1_000_000)), want: "no_data"},
		{name: "header_then_blank_1m.csv", large: true, gen: text(hdr + strings.Repeat(",\r\n", 1_000_000)), want: "no_data"},
		{name: "nested.xlsx", gen: genNested, want: "corrupt_file"},
		{name: "nul.csv", gen: text(hdr + "C1,A\x00B\r\n"), want: "unsupported_format"},
		{name: "nul_late.csv", gen: text(hdr + strings.Repeat("C1,Dupont\r\n", 1000) + "C2,A\x00B\r\n"), want: "validated", rows: 1001},
		{name: "invalid_utf8.csv", gen: text(hdr + "C1,Soci\xe9t\xe9 \xff\xfe\r\nC2,\xc3\x28\r\n"), want: "validated", rows: 2},
		{name: "utf16_no_bom.csv", gen: text(utf16NoBOM(hdr + "C1,Dupont\r\n")), want: "unsupported_format"},
		{name: "truncated.xlsx", gen: genTruncated, want: "corrupt_file"},
		{name: "encrypted.xlsx", gen: genEncrypted, want: "encrypted_file"},
		{name: "legacy.xls", want: "unsupported_format"},
		{name: "spreadsheet.ods", gen: genODS, want: "unsupported_format"},
		{name: "document.pdf", gen: text("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), want: "unsupported_format"},
		{name: "image.png", gen: genPNG, want: "unsupported_format"},
		{name: "empty.csv", gen: text(""), want: "no_data"},
	}
}

// hostilePaths returns the path of every hostile file, generating the large
// ones into dir and the committed ones when missing (or asked to).
func hostilePaths(t *testing.T, dir string) map[string]string {
	t.Helper()
	update := os.Getenv("INTAKE_UPDATE_HOSTILE") == "1"
	paths := map[string]string{}
	for _, f := range hostileFiles() {
		path := filepath.Join(hostileDir, f.name)
		if f.large {
			path = filepath.Join(dir, f.name)
		}
		_, err := os.Stat(path)
		if f.gen != nil && (f.large || update || os.IsNotExist(err)) {
			if err := f.gen(path); err != nil {
				t.Fatalf("generate %s: %v", f.name, err)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		paths[f.name] = path
	}
	return paths
}

// text is a generator of fixed content.
func text(s string) func(string) error {
	return func(path string) error { return os.WriteFile(path, []byte(s), 0o644) }
}

func utf16NoBOM(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		b.WriteByte(c)
		b.WriteByte(0)
	}
	return b.String()
}

// saveXLSX writes a workbook built by fill.
func saveXLSX(path string, fill func(f *excelize.File) error) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := fill(f); err != nil {
		return err
	}
	return f.SaveAs(path)
}

// genWideSheet writes Excel's widest sheet: 16,384 columns (A to XFD), the
// template's two required headers then 16,382 unknown ones, and 20 rows
// filled across.
func genWideSheet(path string) error {
	return saveXLSX(path, func(f *excelize.File) error {
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			return err
		}
		row := make([]any, 16384)
		row[0], row[1] = "Customer code", "Customer name"
		for i := 2; i < len(row); i++ {
			row[i] = fmt.Sprintf("Extra %d", i)
		}
		if err := sw.SetRow("A1", row); err != nil {
			return err
		}
		for r := 2; r <= 21; r++ {
			for i := range row {
				row[i] = fmt.Sprintf("v%d", i)
			}
			row[0], row[1] = fmt.Sprintf("W%d", r), "Wide"
			cell, _ := excelize.CoordinatesToCellName(1, r)
			if err := sw.SetRow(cell, row); err != nil {
				return err
			}
		}
		return sw.Flush()
	})
}

// genBigCell writes one data row whose name is a 1 MiB cell: the largest
// cell the reader takes; its row is red (too_long).
func genBigCell(path string) error {
	return saveXLSX(path, func(f *excelize.File) error {
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			return err
		}
		if err := sw.SetRow("A1", []any{"Customer code", "Customer name"}); err != nil {
			return err
		}
		if err := sw.SetRow("A2", []any{"B1", strings.Repeat("y", 1<<20)}); err != nil {
			return err
		}
		return sw.Flush()
	})
}

// genOneLine writes a CSV that is one line of 100 MiB, without a line feed.
func genOneLine(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	chunk := []byte(strings.Repeat("Customer code,Customer name,", 1<<15))
	for n := 0; n < 100<<20; n += len(chunk) {
		if _, err := f.Write(chunk[:min(len(chunk), 100<<20-n)]); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// rewriteSheet copies the xlsx at src to path with its first worksheet's
// part written by write (deflated by write itself when raw is set).
func rewriteSheet(base []byte, path string, header *zip.FileHeader, write func(w io.Writer) error) error {
	zr, err := zip.NewReader(bytes.NewReader(base), int64(len(base)))
	if err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		var w io.Writer
		if f.Name == "xl/worksheets/sheet1.xml" {
			header.Name = f.Name
			if header.CompressedSize64 > 0 {
				w, err = zw.CreateRaw(header)
			} else {
				w, err = zw.CreateHeader(header)
			}
			if err == nil {
				err = write(w)
			}
		} else {
			w, err = zw.Create(f.Name)
			if err == nil {
				var rc io.ReadCloser
				if rc, err = f.Open(); err == nil {
					_, err = io.Copy(w, rc)
					rc.Close()
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

// twoColumnBook is a valid workbook: the two required headers and a row.
func twoColumnBook() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	for cell, v := range map[string]string{"A1": "Customer code", "B1": "Customer name", "A2": "C1", "B2": "Dupont"} {
		if err := f.SetCellStr("Sheet1", cell, v); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	err := f.Write(&buf)
	return buf.Bytes(), err
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
	`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
	`<row r="1"><c r="A1" t="inlineStr"><is><t>Customer code</t></is></c><c r="B1" t="inlineStr"><is><t>Customer name</t></is></c></row>`

// genZipBomb writes a workbook of a few MiB whose sheet inflates to 2.5
// GiB of data rows, its true size declared: a deflate stream of one block of
// rows, compressed once and repeated (a chunk compressed alone and flushed
// ends on a byte boundary and refers to nothing before it).
func genZipBomb(path string) error {
	base, err := twoColumnBook()
	if err != nil {
		return err
	}
	chunk := strings.Repeat(`<row><c t="inlineStr"><is><t>x</t></is></c></row>`, (1<<20)/49)
	const n = 2560 // chunks of ~1 MiB: 2.5 GiB
	var c bytes.Buffer
	fw, _ := flate.NewWriter(&c, flate.BestCompression)
	fw.Write([]byte(chunk))
	fw.Flush()
	stored := func(final byte, s string) []byte {
		b := []byte{final, 0, 0, 0, 0}
		binary.LittleEndian.PutUint16(b[1:], uint16(len(s)))
		binary.LittleEndian.PutUint16(b[3:], ^uint16(len(s)))
		return append(b, s...)
	}
	const tail = `</sheetData></worksheet>`
	raw := append(stored(0, sheetHead), bytes.Repeat(c.Bytes(), n)...)
	raw = append(raw, stored(1, tail)...)
	crc := crc32.ChecksumIEEE([]byte(sheetHead))
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, []byte(chunk))
	}
	crc = crc32.Update(crc, crc32.IEEETable, []byte(tail))
	size := uint64(len(sheetHead)) + n*uint64(len(chunk)) + uint64(len(tail))
	return rewriteSheet(base, path, &zip.FileHeader{Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(raw)), UncompressedSize64: size},
		func(w io.Writer) error { _, err := w.Write(raw); return err })
}

// genNested writes a workbook whose data row nests 200,000 elements deep.
func genNested(path string) error {
	base, err := twoColumnBook()
	if err != nil {
		return err
	}
	sheet := sheetHead + `<row r="2"><c r="A2" t="inlineStr"><is><t>C1</t></is></c>` +
		strings.Repeat("<x>", 200_000) + strings.Repeat("</x>", 200_000) + `</row></sheetData></worksheet>`
	return rewriteSheet(base, path, &zip.FileHeader{Method: zip.Deflate},
		func(w io.Writer) error { _, err := io.WriteString(w, sheet); return err })
}

// genTruncated writes the first half of a valid workbook.
func genTruncated(path string) error {
	base, err := twoColumnBook()
	if err != nil {
		return err
	}
	return os.WriteFile(path, base[:len(base)/2], 0o644)
}

// genEncrypted writes a password-protected workbook (ECMA-376 Agile
// encryption, as Excel writes it).
func genEncrypted(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetRow("Sheet1", "A1", &[]any{"Customer code", "Customer name"}); err != nil {
		return err
	}
	return f.SaveAs(path, excelize.Options{Password: "secret"})
}

// genODS writes a minimal OpenDocument spreadsheet.
func genODS(path string) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	io.WriteString(w, "application/vnd.oasis.opendocument.spreadsheet")
	w, _ = zw.Create("content.xml")
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>`)
	w, _ = zw.Create("META-INF/manifest.xml")
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>`)
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// genPNG writes a small PNG image.
func genPNG(path string) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
