package sheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"intake/jobs/warning"
)

// deflateRepeat builds, without compressing gigabytes, a raw deflate stream
// of prefix, then chunk repeated n times, then suffix. A chunk compressed on
// its own ends on a byte boundary after a sync flush and refers to nothing
// before it, so its compressed form can be repeated. The prefix and suffix go
// in stored blocks. It also returns the CRC-32 and length of the content.
func deflateRepeat(t *testing.T, prefix, chunk, suffix string, n int) ([]byte, uint32, uint64) {
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
	out := stored(0, prefix)
	out = append(out, bytes.Repeat(c.Bytes(), n)...)
	out = append(out, stored(1, suffix)...)

	crc := crc32.ChecksumIEEE([]byte(prefix))
	ch := []byte(chunk)
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, ch)
	}
	crc = crc32.Update(crc, crc32.IEEETable, []byte(suffix))
	return out, crc, uint64(len(prefix)) + uint64(n)*uint64(len(chunk)) + uint64(len(suffix))
}

// writeBomb writes, in a temp dir, a valid xlsx whose sheet1.xml is replaced
// by the given raw deflate stream, declaring declared bytes uncompressed.
func writeBomb(t *testing.T, raw []byte, crc uint32, declared uint64) string {
	base := xlsxBytes(t, func(f *excelize.File) {
		setRows(t, f, "Sheet1", map[int][]any{1: header2(), 2: {"C1", "D"}})
	})
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	rewriteZip(t, base, out, func(zw *zip.Writer, f *zip.File) bool {
		if f.Name != "xl/worksheets/sheet1.xml" {
			return false
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(len(raw)), UncompressedSize64: declared})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(raw)
		return true
	})
	return path
}

// A zip bomb is corrupt_file, decided in a few seconds with bounded memory,
// whether its sheet declares its true size (beyond the limit, or within it)
// or lies about it.
func TestZipBomb(t *testing.T) {
	const sheetStart = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="inlineStr"><is><t>Code client</t></is></c><c r="B1" t="inlineStr"><is><t>Nom du client</t></is></c></row>`
	const sheetEnd = `</sheetData></worksheet>`
	spaces := strings.Repeat(" ", 1<<20)
	emptyRows := strings.Repeat("<row/>", (1<<20)/6)
	tests := []struct {
		name     string
		chunk    string
		n        int    // chunks: the sheet inflates to n MiB
		declared uint64 // 0: the true size
		lim      Limits
		detail   string
	}{
		{"5 GiB declared, default limits", spaces, 5 << 10, 0, Limits{}, "unpack to more than 4 GiB"},
		{"2.5 GiB of spaces within the limit", spaces, 5 << 9, 0, Limits{}, "longer than 1 MiB (near row 1)"},
		{"2.5 GiB of tags between rows", strings.Repeat("<x/>", 1<<18), 5 << 9, 0, Limits{}, "between rows 1 and 2"},
		{"2.5 GiB of empty rows within the limit", emptyRows, 5 << 9, 0, Limits{}, "more rows than Excel's"},
		{"3 GiB declared as 1 MiB", emptyRows, 3 << 10, 1 << 20, Limits{}, "damaged"},
		{"200 MiB over a 64 MiB limit", spaces, 200, 0, Limits{MaxUnzipSize: 64 << 20}, "unpack to more than 64 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, crc, size := deflateRepeat(t, sheetStart, tt.chunk, sheetEnd, tt.n)
			if tt.declared == 0 {
				tt.declared = size
			}
			path := writeBomb(t, raw, crc, tt.declared)
			st, _ := os.Stat(path)
			t.Logf("%d MiB on disk, sheet inflates to %d MiB", st.Size()>>20, size>>20)

			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			r, err := OpenFile(path, tt.lim)
			if err == nil {
				for err == nil {
					_, err = r.Next()
				}
				r.Close()
			}
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)

			fe, ok := warning.AsFileError(err)
			if !ok || fe.Code != warning.CorruptFile || !strings.Contains(fe.Detail, tt.detail) {
				t.Fatalf("err = %v; want corrupt_file saying %q", err, tt.detail)
			}
			if elapsed > 5*time.Second {
				t.Errorf("took %v", elapsed)
			}
			if grew := int64(after.Sys) - int64(before.Sys); grew > 200<<20 {
				t.Errorf("memory from the OS grew by %d MiB", grew>>20)
			}
			if after.HeapInuse > before.HeapInuse+200<<20 {
				t.Errorf("heap in use grew from %d to %d MiB", before.HeapInuse>>20, after.HeapInuse>>20)
			}
		})
	}
}

// The hand-built stream is a valid deflate stream of the announced content,
// so the bombs above are refused for what they are, not for being malformed.
func TestDeflateRepeat(t *testing.T) {
	raw, crc, size := deflateRepeat(t, "<a>", strings.Repeat("xy", 1000), "</a>", 3)
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	want := "<a>" + strings.Repeat("xy", 3000) + "</a>"
	if err != nil || string(got) != want || uint64(len(got)) != size || crc32.ChecksumIEEE(got) != crc {
		t.Fatalf("inflated %d bytes, err %v", len(got), err)
	}
}
