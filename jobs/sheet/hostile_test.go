package sheet

import (
	"archive/zip"
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"intake/jobs/warning"
)

// Deeply nested XML anywhere in the worksheet or the shared strings is
// corrupt_file, quickly and without the decoder's stack growing with the
// depth; moderate nesting, as real workbooks have, still reads.
func TestDeeplyNestedXML(t *testing.T) {
	const ns = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`
	header := `<row r="1"><c r="A1" t="inlineStr"><is><t>Code client</t></is></c><c r="B1" t="inlineStr"><is><t>Nom du client</t></is></c></row>`
	nest := func(n int) string { return strings.Repeat("<x>", n) + strings.Repeat("</x>", n) }
	tests := []struct {
		name, sheet string
		wantErr     bool
	}{
		{"in a cell", ns + `<sheetData>` + header + `<row r="2"><c r="A2" t="inlineStr"><is><t>C1</t></is></c><c r="B2">` +
			nest(1_000_000) + `</c></row></sheetData></worksheet>`, true},
		{"in a row", ns + `<sheetData>` + header + `<row r="2">` + nest(2_000_000) + `</row></sheetData></worksheet>`, true},
		{"before the rows", ns + nest(5_000_000) + `<sheetData>` + header + `</sheetData></worksheet>`, true},
		{"unclosed", ns + `<sheetData>` + header + strings.Repeat("<x>", 1_000_000), true},
		{"ten deep", ns + nest(10) + `<sheetData>` + header + `<row r="2"><c r="A2" t="inlineStr"><is><t>C1</t></is></c>` +
			`<c r="B2" t="inlineStr"><is><r><rPr><b/></rPr><t>Dupont</t></r></is></c></row></sheetData></worksheet>`, false},
	}
	base := xlsxBytes(t, func(f *excelize.File) {
		setRows(t, f, "Sheet1", map[int][]any{1: header2(), 2: {"C1", "D"}})
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			rewriteZip(t, base, &buf, func(zw *zip.Writer, f *zip.File) bool {
				if f.Name != "xl/worksheets/sheet1.xml" {
					return false
				}
				w, _ := zw.Create(f.Name)
				w.Write([]byte(tt.sheet))
				return true
			})
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, rows, err := readAll(t, buf.Bytes(), Limits{})
			runtime.ReadMemStats(&after)
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			if grew := int64(after.Sys) - int64(before.Sys); grew > 100<<20 {
				t.Errorf("memory from the OS grew by %d MiB", grew>>20)
			}
			if !tt.wantErr {
				if err != nil || len(rows) != 1 || rows[0].Cells[1] != "Dupont" {
					t.Fatalf("rows %+v, err %v", rows, err)
				}
				return
			}
			if fe, ok := warning.AsFileError(err); !ok || fe.Code != warning.CorruptFile {
				t.Fatalf("err = %v, want corrupt_file", err)
			}
		})
	}
}

// UTF-16 text without its byte order mark is refused with a message that
// says so, in either byte order; other binary content keeps the generic one.
func TestUTF16WithoutBOM(t *testing.T) {
	text := "Code client;Nom du client\r\nC1;Dupont\r\n"
	le, be := make([]byte, 0, 2*len(text)), make([]byte, 0, 2*len(text))
	for _, c := range []byte(text) {
		le = append(le, c, 0)
		be = append(be, 0, c)
	}
	for name, data := range map[string][]byte{"little endian": le, "big endian": be} {
		_, _, err := readAll(t, data, Limits{})
		if fe, ok := warning.AsFileError(err); !ok || fe.Code != warning.UnsupportedFormat || !strings.Contains(fe.Detail, "UTF-16") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	_, _, err := readAll(t, []byte("Code client;Nom\x00\x01\x02\x03binary"), Limits{})
	if fe, ok := warning.AsFileError(err); !ok || fe.Code != warning.UnsupportedFormat || strings.Contains(fe.Detail, "UTF-16") {
		t.Errorf("binary: err = %v", err)
	}
}
