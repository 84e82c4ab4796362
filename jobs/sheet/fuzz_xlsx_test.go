package sheet

import (
	"archive/zip"
	"bytes"
	"io"
	"regexp"
	"testing"

	"github.com/xuri/excelize/v2"
)

// FuzzXLSX feeds arbitrary worksheet XML, inside an otherwise valid package
// whose shared strings it refers to, through Open and Next: no panic, no hang, every
// error a FileError (the package is on disk: there is no I/O to fail), the
// header holding code and name, and rows numbered upwards, none blank.
func FuzzXLSX(f *testing.F) {
	const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
	const hdr = `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Nom du client</t></is></c></row>`
	sst := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">` +
		`<si><t>Code client</t></si><si><t xml:space="preserve"> C_x0041_1 </t></si></sst>`
	for _, sheet := range []string{
		head + hdr + `<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="inlineStr"><is><t>Dupont</t></is></c></row></sheetData></worksheet>`,
		head + hdr + `<row r="3"><c r="A3"><v>1000</v></c><c r="B3" t="str"><f>A3&amp;"x"</f><v>1000x</v></c></row></sheetData></worksheet>`,
		head + hdr + `<row r="2"/><row r="4"><c r="C4" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c></row></sheetData></worksheet>`,
		head + hdr + `<row r="2"><c r="A2" t="s"><v>99</v></c></row></sheetData></worksheet>`,
		head + `<row r="2"><c r="A2" t="b"><v>1</v></c></row></sheetData></worksheet>`,
		head + hdr + `<row r="900"><c r="A900"><v>1</v></c></row></sheetData></worksheet>`,
		head + hdr + `<!-- c --><![CDATA[x]]><?pi x?><row r="2"><c r="XFD2" t="e"><v>#N/A</v></c></row></sheetData></worksheet>`,
		head,
		"",
	} {
		f.Add([]byte(sheet))
	}
	base := xlsxBytes(f, func(x *excelize.File) {
		setRows(f, x, "Sheet1", map[int][]any{1: header2(), 2: {"C1", "D"}})
	})
	dir := f.TempDir()
	farRow := regexp.MustCompile(`\br\s*=\s*["']?[A-Za-z]*0*[0-9]{4}`)
	f.Fuzz(func(t *testing.T, sheet []byte) {
		// excelize yields every row number up to the last, gaps included: a
		// row numbered in the hundreds of thousands costs a second of empty
		// rows (bounded: Excel's last row is the limit), which would only
		// slow the fuzzing down.
		if farRow.Match(sheet) {
			t.Skip("row number past 999")
		}
		var buf bytes.Buffer
		zr, err := zip.NewReader(bytes.NewReader(base), int64(len(base)))
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(&buf)
		for _, zf := range zr.File {
			if zf.Name == "xl/sharedStrings.xml" || zf.Name == "xl/worksheets/sheet1.xml" {
				continue
			}
			w, _ := zw.Create(zf.Name)
			rc, _ := zf.Open()
			io.Copy(w, rc)
			rc.Close()
		}
		w, _ := zw.Create("xl/worksheets/sheet1.xml")
		w.Write(sheet)
		w, _ = zw.Create("xl/sharedStrings.xml")
		io.WriteString(w, sst)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		r, err := Open(bytes.NewReader(data), int64(len(data)), Limits{MaxRows: 50, MaxRecordBytes: 4096, TempDir: dir})
		checkOpened(t, r, err)
	})
}
