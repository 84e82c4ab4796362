package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// excelizeRows reads every row of the first sheet of the file at path the
// way xlsxSource does.
func excelizeRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path, excelize.Options{TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		cells, err := rows.Columns(excelize.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cells)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// inlined runs inlineSharedStrings on data and returns the original's and
// the copy's paths.
func inlined(t *testing.T, data []byte) (orig, copy string, err error) {
	t.Helper()
	dir := t.TempDir()
	orig = filepath.Join(dir, "orig.xlsx")
	if err := os.WriteFile(orig, data, 0o644); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	copy, err = inlineSharedStrings(zr, Limits{TempDir: dir}.withDefaults())
	return orig, copy, err
}

// The inlined copy of a workbook written by excelize — shared strings, rich
// text, numbers under number formats, dates, booleans, formulas, blanks,
// escapes — reads exactly as the original, and has no shared strings left.
func TestInlineSharedStringsReadsAlike(t *testing.T) {
	data := xlsxBytes(t, func(f *excelize.File) {
		zip5, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("00000")})
		date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		text, _ := f.NewStyle(&excelize.Style{NumFmt: 49})
		setRows(t, f, "Sheet1", map[int][]any{
			1: {"Code client", "Nom du client", "Code postal", "Date", "Flag", "Note"},
			2: {"C1", "Dupont & Fils <SA>", 1000, 45000, true, "  padded  "},
			3: {"C2", "Société «Ünïcode» _x0041_", "01000", 45001.5, false, "a\nb"},
			5: {"C1", nil, 75001, nil, nil, "Dupont & Fils <SA>"},
		})
		f.SetCellStyle("Sheet1", "C2", "C5", zip5)
		f.SetCellStyle("Sheet1", "D2", "D5", date)
		f.SetCellStyle("Sheet1", "F2", "F5", text)
		f.SetCellRichText("Sheet1", "G2", []excelize.RichTextRun{{Text: "bold", Font: &excelize.Font{Bold: true}}, {Text: " plain"}})
		f.SetCellFormula("Sheet1", "H2", `"x"&"y"`)
		f.SetCellValue("Sheet1", "A6", strings.Repeat("long ", 200))
	})
	orig, copy, err := inlined(t, data)
	if err != nil {
		t.Fatal(err)
	}
	want, got := excelizeRows(t, orig), excelizeRows(t, copy)
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("inlined copy reads\n%q\nwant\n%q", got, want)
	}
	zr, err := zip.OpenReader(copy)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, "xl/sharedStrings.xml") {
			t.Error("the copy still has a shared-strings part")
		}
		if strings.HasPrefix(f.Name, "xl/worksheets/sheet1") {
			rc, _ := f.Open()
			var b bytes.Buffer
			b.ReadFrom(rc)
			rc.Close()
			if bytes.Contains(b.Bytes(), []byte(`t="s"`)) || !bytes.Contains(b.Bytes(), []byte(`t="inlineStr"`)) {
				t.Errorf("the copy's sheet still has shared-string cells: %s", b.Bytes())
			}
		}
	}
}

// A sheet the way Excel writes it is rewritten in the shape excelize parses
// fastest: plain strings in <v>, rich text and escapes in <is>, references
// only where a cell does not follow the one before it; an empty row leaves
// that in place for the rows after it.
func TestInlineSharedStringsCheapShape(t *testing.T) {
	sheet := `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1" spans="1:4"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="D1" t="s"><v>2</v></c></row>` +
		`<row r="2" s="1" customFormat="1"/>` +
		`<row r="3" spans="1:4"><c r="A3" t="s"><v>3</v></c><c r="B3"><v>42</v></c><c r="C3" s="1"/></row>` +
		`</sheetData></worksheet>`
	sst := `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>plain &amp; simple</t></si>` +
		`<si><r><t>ri</t></r><r><t>ch</t></r></si><si><t xml:space="preserve"> padded </t></si><si><t>A_x0042_</t></si></sst>`
	orig, copy, err := inlined(t, handWritten(t, sheet, sst))
	if err != nil {
		t.Fatal(err)
	}
	want := `<row r="1" spans="1:4"><c t="inlineStr"><v>plain &amp; simple</v></c><c t="inlineStr"><is><r><t>ri</t></r><r><t>ch</t></r></is></c><c r="D1" t="inlineStr"><v> padded </v></c></row>` +
		`<row r="2" s="1" customFormat="1"/>` +
		`<row r="3" spans="1:4"><c t="inlineStr"><is><t>A_x0042_</t></is></c><c><v>42</v></c><c s="1"/></row>`
	if got := sheetXML(t, copy); !strings.Contains(got, want) {
		t.Fatalf("inlined sheet:\n%s\nwant it to hold\n%s", got, want)
	}
	if got, want := excelizeRows(t, copy), excelizeRows(t, orig); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("inlined copy reads %q, want %q", got, want)
	}
}

// sheetXML returns the first worksheet of the package at path.
func sheetXML(t *testing.T, path string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatal("no worksheet in the copy")
	return ""
}

// handWritten builds a package around a worksheet and shared strings given
// as XML, the way other producers than Excel write them.
func handWritten(t *testing.T, sheet, sst string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", sheet},
		{"xl/sharedStrings.xml", sst},
	} {
		w, _ := zw.Create(p[0])
		w.Write([]byte(p[1]))
	}
	zw.Close()
	return buf.Bytes()
}

// Prefixed elements, single quotes, attributes in any order, comments and
// CDATA, blank and malformed indexes, rich text with phonetic runs, <si/>.
func TestInlineSharedStringsOddXML(t *testing.T) {
	sst := `<?xml version="1.0"?><x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="5" uniqueCount="5">` +
		`<x:si><x:t>zero</x:t></x:si><!-- a comment > with < signs --><x:si><x:t xml:space="preserve"> one &amp; </x:t></x:si>` +
		`<x:si><x:r><x:t>t</x:t></x:r><x:r><x:rPr><x:b/></x:rPr><x:t>wo</x:t></x:r><x:rPh sb="0" eb="1"><x:t>ph</x:t></x:rPh></x:si>` +
		`<x:si/><x:si><x:t><![CDATA[<four>]]></x:t></x:si></x:sst>`
	sheet := `<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>` +
		`<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c t='s' r='B1'><x:v> 1 </x:v></x:c><x:c r="C1" s="0" t="s"><!-- <x:v>9</x:v> --><x:v>2</x:v></x:c></x:row>` +
		`<x:row r="2"><x:c r="A2" t="s"><x:v>3</x:v></x:c><x:c r="B2" t="s"><x:v>4</x:v></x:c><x:c r="C2" t="s"/><x:c r="D2" t="s"><x:v></x:v></x:c><x:c r="E2" t="s"><x:v>x</x:v></x:c></x:row>` +
		`<x:row r="3"><x:c r="A3"><x:v>42</x:v></x:c><x:c r="B3" t="str"><x:f>A3</x:f><x:v>s</x:v></x:c><x:c r="C3" t="s"><x:v>&#49;</x:v></x:c></x:row>` +
		`</x:sheetData></x:worksheet>`
	orig, copy, err := inlined(t, handWritten(t, sheet, sst))
	if err != nil {
		t.Fatal(err)
	}
	want, got := excelizeRows(t, orig), excelizeRows(t, copy)
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("inlined copy reads\n%q\nwant\n%q", got, want)
	}
	if want[0][1] != " one & " || want[1][1] != "<four>" {
		t.Fatalf("the fixture does not read as intended: %q", want)
	}
}

// An index past the table is left to excelize, which reports it.
func TestInlineSharedStringsBadIndex(t *testing.T) {
	sheet := `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData></worksheet>`
	_, _, err := inlined(t, handWritten(t, sheet, `<sst><si><t>a</t></si></sst>`))
	if !errors.Is(err, errNoInline) {
		t.Fatalf("err = %v, want errNoInline", err)
	}
}

// A workbook whose shared strings outgrow MaxUnzipXMLSize is read through
// the inlined copy, which is removed once the workbook is open.
func TestInlineSharedStringsWhenLarge(t *testing.T) {
	n := 3000
	data := xlsxBytes(t, func(f *excelize.File) {
		rows := map[int][]any{1: header2()}
		for i := 2; i <= n+1; i++ {
			rows[i] = []any{"C" + strings.Repeat("0", i%7) + string(rune('A'+i%26)), strings.Repeat("nom ", 50) + string(rune('a'+i%26))}
		}
		setRows(t, f, "Sheet1", rows)
	})
	dir := t.TempDir()
	lim := Limits{TempDir: dir, MaxUnzipXMLSize: 64 << 10}
	_, want, err := readAll(t, data, Limits{TempDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r, got, err := readAll(t, data, lim)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || !slices.EqualFunc(got, want, func(a, b Row) bool { return a.Num == b.Num && slices.Equal(a.Cells, b.Cells) }) {
		t.Fatalf("read %d rows through the inlined copy, want the same %d rows", len(got), len(want))
	}
	r.Close()
	if left := tempEntries(t, dir); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// FuzzInlineSharedStrings wants the inlined copy of any worksheet and
// shared strings to read as the original does: the same rows, or an error
// where the original has one.
func FuzzInlineSharedStrings(f *testing.F) {
	f.Add(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t='s' s="0"><v> 1 </v></c></row>`,
		`<si><t>zero</t></si><si><r><t>o</t></r><r><t>ne</t></r></si>`)
	f.Add(`<row r="1"><c r="A1" t="s"><!-- > --><v>1</v></c><c r="B1" t="s"/><c r="C1" t="n"><v>2</v></c></row>`,
		`<si><t xml:space="preserve"> a &amp; b </t></si><si/><si><t><![CDATA[<x>]]></t></si>`)
	f.Add(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="D1" t="s"><v>2</v></c><c r="E1"/><c t="s"><v>3</v></c></row><row><c r="B2" t="s"><v>0</v></c><c r="A2" t="s"><v>1</v></c></row>`,
		`<si><t>a_x0041_</t></si><si><t xml:space="preserve"> b </t></si><si><t>c&lt;d</t></si><si><t></t></si>`)
	f.Add(`<row r="1"><c r="a1" t="s"><v>0</v></c><c r="B1" r="C1" t="s"><v>1</v></c><c r="D1"><f>1</f><v>2</v></c></row><row r="3"><c r="XFD3" t="s"><v>0</v></c></row>`,
		`<si><t>x</t><rPh><t>y</t></rPh></si><si><t xml:space="default">z</t></si>`)
	f.Add(`<row r="1"><!--><c r="A1" t="s"><v>0</v></c>--><c r="B1" t="s"><v>01</v></c><c r="C1" t="s"><v>1</v></c ></row><row r="2"><x:c r="A2" t="s" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><v>1</v></x:c><c r="B2" t="s"><v>2</v></c></row>`,
		`<si><t>a</t></si><si><t>b</t></si>`)
	f.Add(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2" s="1" customFormat="1"/><row r="3"><c r="B3" t="s"><v>1</v></c><c r="C3" t="s"><v>0</v></c></row>`,
		`<si><t>a</t></si><si><t>b</t></si>`)
	f.Fuzz(func(t *testing.T, rows, sis string) {
		sheet := `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows + `</sheetData></worksheet>`
		sst := `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + sis + `</sst>`
		data := handWritten(t, sheet, sst)
		orig, copy, ierr := inlined(t, data)
		want, werr := tryExcelizeRows(t, orig)
		if ierr != nil {
			if errors.Is(ierr, errNoInline) {
				return
			}
			t.Fatalf("inlining failed (%v); the original reads %q (%v)", ierr, want, werr)
		}
		got, gerr := tryExcelizeRows(t, copy)
		if werr != nil {
			if gerr == nil && len(got) > 0 {
				t.Logf("the original fails (%v), the copy reads %q", werr, got)
			}
			return
		}
		if gerr != nil || !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("copy reads %q (%v), want %q", got, gerr, want)
		}
	})
}

// tryExcelizeRows is excelizeRows returning the error.
func tryExcelizeRows(t *testing.T, path string) (out [][]string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	f, err := excelize.OpenFile(path, excelize.Options{TmpDir: t.TempDir()})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetName(0))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		cells, err := rows.Columns(excelize.Options{})
		if err != nil {
			return nil, err
		}
		out = append(out, cells)
	}
	return out, rows.Close()
}

// validXML's eight-bytes-at-a-time check agrees with a rune-by-rune one for
// any byte, and any character of a few widths, at any place in a word.
func TestValidXMLWords(t *testing.T) {
	ref := func(b []byte) bool {
		if !utf8.Valid(b) {
			return false
		}
		for _, r := range string(b) {
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
				return false
			}
		}
		return true
	}
	check := func(b []byte) {
		if got, want := validXML(b), ref(b); got != want {
			t.Fatalf("validXML(%q) = %v, want %v", b, got, want)
		}
	}
	for pos := range 24 {
		for v := range 256 {
			b := bytes.Repeat([]byte("a"), 24)
			b[pos] = byte(v)
			check(b)
		}
		for _, s := range []string{"é", "€", "\uFFFE", "\uFFFF", "\uFFFD", "𝄞", "\xed\xa0\x80", "\xc3"} {
			b := bytes.Repeat([]byte(" "), 24)
			check(append(append(b[:pos:pos], s...), b[pos:]...))
		}
	}
}
