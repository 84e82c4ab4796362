package sheet

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"intake/jobs/warning"
)

func header2() []any { return []any{"Code client", "Nom du client"} }

func TestXLSXRows(t *testing.T) {
	data := xlsxBytes(t, func(f *excelize.File) {
		setRows(t, f, "Sheet1", map[int][]any{
			1: header2(),
			2: {"C1", "Dupont"},
			4: {nil, nil, "  "}, // blank
			5: {"C2", 42},
		})
	})
	r, rows, err := readAll(t, data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{2, []string{"C1", "Dupont"}}, {5, []string{"C2", "42"}}}
	if r.Format() != FormatXLSX || r.Encoding() != "" || r.Delimiter() != 0 || !reflect.DeepEqual(rows, want) {
		t.Errorf("format %s, rows %v; want xlsx, %v", r.Format(), rows, want)
	}
}

// The first worksheet is read, whatever the order of the parts, and a chart
// sheet before it is not a worksheet.
func TestXLSXFirstWorksheet(t *testing.T) {
	data := xlsxBytes(t, func(f *excelize.File) {
		setRows(t, f, "Sheet1", map[int][]any{1: {"Ignored"}, 2: {1}, 3: {2}})
		f.NewSheet("Clients")
		setRows(t, f, "Clients", map[int][]any{1: header2(), 2: {"C1", "Dupont"}})
		if err := f.MoveSheet("Clients", "Sheet1"); err != nil {
			t.Fatal(err)
		}
		if err := f.AddChartSheet("Chart", &excelize.Chart{Type: excelize.Col,
			Series: []excelize.ChartSeries{{Name: "Sheet1!$A$1", Values: "Sheet1!$A$2:$A$3"}}}); err != nil {
			t.Fatal(err)
		}
	})
	// excelize cannot move a chart sheet: put it first by hand.
	wb := readZipEntry(t, data, "xl/workbook.xml")
	chart := regexp.MustCompile(`<sheet name="Chart"[^>]*?(/>|></sheet>)`).Find(wb)
	if chart == nil {
		t.Fatalf("no chart sheet in %s", wb)
	}
	wb = bytes.Replace(wb, chart, nil, 1)
	wb = bytes.Replace(wb, []byte("<sheets>"), append([]byte("<sheets>"), chart...), 1)
	data = replaceInZip(t, data, "xl/workbook.xml", string(readZipEntry(t, data, "xl/workbook.xml")), string(wb))
	_, rows, err := readAll(t, data, Limits{})
	if err != nil || len(rows) != 1 || rows[0].Cells[1] != "Dupont" {
		t.Fatalf("rows %v, err %v", rows, err)
	}
}

func TestXLSXFileErrors(t *testing.T) {
	forged := func(sheetData string) []byte {
		base := xlsxBytes(t, func(f *excelize.File) {
			setRows(t, f, "Sheet1", map[int][]any{1: {"MARK"}})
		})
		var out bytes.Buffer
		rewriteZip(t, base, &out, func(zw *zip.Writer, f *zip.File) bool {
			if f.Name != "xl/worksheets/sheet1.xml" {
				return false
			}
			w, _ := zw.Create(f.Name)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>%s</sheetData></worksheet>`, sheetData)
			return true
		})
		return out.Bytes()
	}
	inline := func(row int, vals ...string) string {
		var b strings.Builder
		fmt.Fprintf(&b, `<row r="%d">`, row)
		for i, v := range vals {
			fmt.Fprintf(&b, `<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>`, ColumnLetter(i), row, v)
		}
		return b.String() + "</row>"
	}
	hdr := inline(1, "Code client", "Nom du client")
	tests := []struct {
		name   string
		in     []byte
		lim    Limits
		code   warning.Code
		detail string
	}{
		{"empty sheet", xlsxBytes(t, func(f *excelize.File) {}), Limits{}, warning.NoData, "no rows"},
		{"header only", xlsxBytes(t, func(f *excelize.File) { setRows(t, f, "Sheet1", map[int][]any{1: header2()}) }), Limits{}, warning.NoData, "no data rows"},
		{"header not on row 1", xlsxBytes(t, func(f *excelize.File) {
			setRows(t, f, "Sheet1", map[int][]any{2: header2(), 3: {"C1", "D"}})
		}), Limits{}, warning.NoHeader, "row 1 is empty"},
		{"no header", xlsxBytes(t, func(f *excelize.File) { setRows(t, f, "Sheet1", map[int][]any{1: {"a", "b"}, 2: {"C1", "D"}}) }), Limits{}, warning.NoHeader, ""},
		{"missing code", xlsxBytes(t, func(f *excelize.File) { setRows(t, f, "Sheet1", map[int][]any{1: {"Nom", "Ville"}, 2: {"D", "L"}}) }), Limits{}, warning.MissingRequiredColumns, "customer_code"},
		{"too many rows", xlsxBytes(t, func(f *excelize.File) {
			setRows(t, f, "Sheet1", map[int][]any{1: header2(), 2: {"C1", "A"}, 3: {"C2", "B"}, 5: {"C3", "C"}})
		}), Limits{MaxRows: 2}, warning.TooManyRows, "row 5 is one too many"},
		{"row past excel's last", forged(hdr + inline(1048577, "C1", "D")), Limits{}, warning.CorruptFile, ""},
		{"rows without numbers past excel's last", forged(hdr + strings.Repeat("<row/>", 1<<20) + inline(0, "C1", "D")[len(`<row r="0">`):]), Limits{}, warning.CorruptFile, "more rows than Excel's 1048576"},
		{"content between rows", forged(hdr + strings.Repeat("<x/>", 300) + inline(2, "C1", "D")), Limits{MaxRecordBytes: 1000}, warning.CorruptFile, "between rows 1 and 2"},
		{"cell too long", forged(hdr + inline(2, "C1", strings.Repeat("x", 2000))), Limits{MaxRecordBytes: 1000}, warning.CorruptFile, "longer than 1000 bytes (near row 2)"},
		{"tag too long", forged(hdr + `<row r="2" x="` + strings.Repeat("y", 2000) + `"/>`), Limits{MaxRecordBytes: 1000}, warning.CorruptFile, "longer than 1000 bytes"},
		{"cdata too long", forged(hdr + `<row r="2"><c t="inlineStr"><is><t><![CDATA[` + strings.Repeat("a>", 1000) + `]]></t></is></c></row>`), Limits{MaxRecordBytes: 1000}, warning.CorruptFile, "longer than 1000 bytes"},
		{"doctype", forged(`<!DOCTYPE x [<!ENTITY a "b">]>` + hdr), Limits{}, warning.CorruptFile, "XML declaration"},
		{"part held in memory too large", withPart(t, "xl/media/big.bin", 5<<20), Limits{MaxUnzipXMLSize: 1 << 20}, warning.CorruptFile, "parts held in memory unpack to more than 4 MiB"},
		{"package too large", withPart(t, "xl/media/big.bin", 5<<20), Limits{MaxUnzipSize: 4 << 20, MaxUnzipXMLSize: 1 << 20}, warning.CorruptFile, "parts unpack to more than 4 MiB"},
		{"damaged workbook part", replaceInZip(t, xlsxBytes(t, func(f *excelize.File) {}), "xl/workbook.xml", "<sheets>", "<sheets><<"), Limits{}, warning.CorruptFile, "damaged"},
		{"no worksheet", replaceInZip(t, xlsxBytes(t, func(f *excelize.File) {}), "xl/_rels/workbook.xml.rels", "/worksheet\"", "/other\""), Limits{}, warning.CorruptFile, "no worksheet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows, err := readAll(t, tt.in, tt.lim)
			fe, ok := warning.AsFileError(err)
			if !ok || fe.Code != tt.code {
				t.Fatalf("rows %v, error %v; want a %s FileError", rows, err, tt.code)
			}
			if !strings.Contains(fe.Detail, tt.detail) {
				t.Errorf("detail %q lacks %q", fe.Detail, tt.detail)
			}
		})
	}
}

// readZipEntry returns the content of a zip entry.
func readZipEntry(t *testing.T, data []byte, name string) []byte {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

// withPart adds an incompressible-free part of n zero bytes to a workbook.
func withPart(t *testing.T, name string, n int) []byte {
	base := xlsxBytes(t, func(f *excelize.File) { setRows(t, f, "Sheet1", map[int][]any{1: header2(), 2: {"C1", "D"}}) })
	var out bytes.Buffer
	rewriteZip(t, base, &out, func(zw *zip.Writer, f *zip.File) bool {
		if f.Name == "xl/workbook.xml" {
			w, _ := zw.Create(name)
			w.Write(make([]byte, n))
		}
		return false
	})
	return out.Bytes()
}

// One row whose cells all point at a long shared string would expand far
// beyond its XML: the guard bounds rows by cells × the largest shared string.
func TestXLSXSharedStringAmplification(t *testing.T) {
	long := strings.Repeat("z", 900)
	data := xlsxBytes(t, func(f *excelize.File) {
		row := make([]any, 200)
		for i := range row {
			row[i] = long
		}
		row[0], row[1] = "C1", long
		setRows(t, f, "Sheet1", map[int][]any{1: header2(), 2: row})
	})
	_, _, err := readAll(t, data, Limits{MaxRecordBytes: 1000})
	if fe, ok := warning.AsFileError(err); !ok || fe.Code != warning.CorruptFile || !strings.Contains(fe.Detail, "row 2 of the worksheet would expand") {
		t.Fatalf("err = %v, want the row bound", err)
	}
	// The same file within the default limits reads.
	if _, rows, err := readAll(t, data, Limits{}); err != nil || len(rows[0].Cells) != 200 {
		t.Fatalf("default limits: %v", err)
	}
}

// tempEntries lists dir.
func tempEntries(t *testing.T, dir string) []string {
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// An xlsx from a reader that is not a file is copied to TempDir and the copy
// removed once open; a large worksheet is spilled by excelize and removed on
// Close. A file is read in place.
func TestXLSXTempFiles(t *testing.T) {
	n := 3000
	path := filepath.Join(t.TempDir(), "big.xlsx")
	if err := writeCustomersXLSX(path, n); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	lim := Limits{MaxUnzipXMLSize: 64 << 10, TempDir: t.TempDir()}

	r, err := Open(bytes.NewReader(data), int64(len(data)), lim)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range tempEntries(t, lim.TempDir) {
		if strings.HasPrefix(name, "intake-sheet-") {
			t.Errorf("the temp copy %s outlives Open", name)
		}
	}
	if len(tempEntries(t, lim.TempDir)) == 0 {
		t.Error("excelize spilled nothing: the test does not exercise spilling")
	}
	count := 0
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		count++
	}
	if count != n {
		t.Errorf("read %d rows, want %d", count, n)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if left := tempEntries(t, lim.TempDir); len(left) != 0 {
		t.Errorf("temp files left after Close: %v", left)
	}

	f, _ := os.Open(path)
	defer f.Close()
	r, err = Open(f, int64(len(data)), Limits{TempDir: lim.TempDir})
	if err != nil {
		t.Fatal(err)
	}
	if left := tempEntries(t, lim.TempDir); len(left) != 0 {
		t.Errorf("an *os.File was copied: %v", left)
	}
	r.Close()

	r, err = OpenFile(path, lim)
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); !h.Has(ContactIsDefault) {
		t.Errorf("header %v", h.Columns)
	}
	r.Close()
	if _, err := OpenFile(filepath.Join(t.TempDir(), "missing.xlsx"), lim); err == nil {
		t.Error("OpenFile of a missing file succeeded")
	} else if _, ok := warning.AsFileError(err); ok {
		t.Errorf("a missing file is an I/O error, not %v", err)
	}
}
