package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"intake/jobs/warning"
)

// customerHeader is the template header row in lang.
func customerHeader(lang string) []string {
	h := make([]string, NumFields)
	for f := Field(0); f < NumFields; f++ {
		h[f] = f.Header(lang)
	}
	return h
}

// customerRow is data row i (0-based) of a generated customer file, in
// template order: three rows per customer, each with its own address and
// contact.
func customerRow(i int) []string {
	c, k := i/3, i%3
	def := ""
	if k == 0 {
		def = "Oui"
	}
	return []string{
		fmt.Sprintf("C%06d", c),
		fmt.Sprintf("Société Dupont & Fils n°%d", c),
		fmt.Sprintf("FR%011d", 40303265045+int64(c)),
		fmt.Sprintf("A%d", k+1),
		fmt.Sprintf("Entrepôt %d", k+1),
		fmt.Sprintf("%d, rue de la République", 1+i%120),
		"Lyon",
		fmt.Sprintf("%05d", 69001+i%9),
		"Auvergne-Rhône-Alpes",
		"FR",
		def,
		fmt.Sprintf("Jean Martin %d", i),
		fmt.Sprintf("+33 4 78 %02d %02d %02d", i%100, (i/100)%100, (i/10000)%100),
		fmt.Sprintf("jean.martin%d@example.fr", i),
		def,
	}
}

// writeCustomersCSV writes a UTF-8 CSV of n generated customer rows.
func writeCustomersCSV(w io.Writer, n int) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	if err := cw.Write(customerHeader("fr")); err != nil {
		return err
	}
	for i := range n {
		if err := cw.Write(customerRow(i)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeCustomersXLSX writes an xlsx of n generated customer rows with
// excelize's StreamWriter.
func writeCustomersXLSX(path string, n int) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	row := make([]any, NumFields)
	for i, h := range customerHeader("fr") {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	for i := range n {
		for j, v := range customerRow(i) {
			row[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}

// cachedFixture returns a generated file in the system temp directory,
// writing it once: benchmarks share it across runs.
func cachedFixture(tb testing.TB, name string, write func(path string) error) string {
	tb.Helper()
	path := filepath.Join(os.TempDir(), name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	// Keep the extension: excelize's SaveAs decides the format from it.
	ext := filepath.Ext(name)
	tmp := fmt.Sprintf("%s.%d.tmp%s", path[:len(path)-len(ext)], os.Getpid(), ext)
	if err := write(tmp); err != nil {
		os.Remove(tmp)
		tb.Fatalf("generate %s: %v", name, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	return path
}

// readAll opens data and reads every row. It returns the reader (closed) and
// the error that ended the reading (nil at io.EOF).
func readAll(tb testing.TB, data []byte, lim Limits) (*Reader, []Row, error) {
	tb.Helper()
	r, err := Open(bytes.NewReader(data), int64(len(data)), lim)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var rows []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return r, rows, nil
		}
		if err != nil {
			return r, rows, err
		}
		rows = append(rows, row)
	}
}

// xlsxBytes builds a workbook with excelize: build fills it.
func xlsxBytes(tb testing.TB, build func(f *excelize.File)) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// setRows writes rows from A1 down, each row a slice of cell values.
func setRows(tb testing.TB, f *excelize.File, sheet string, rows map[int][]any) {
	tb.Helper()
	for n, cells := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := f.SetSheetRow(sheet, cell, &cells); err != nil {
			tb.Fatal(err)
		}
	}
}

// rewriteZip copies a zip archive, replacing the entries for which edit
// returns true; edit writes the new entry itself.
func rewriteZip(tb testing.TB, src []byte, w io.Writer, edit func(zw *zip.Writer, f *zip.File) bool) {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		tb.Fatal(err)
	}
	zw := zip.NewWriter(w)
	for _, f := range zr.File {
		if edit(zw, f) {
			continue
		}
		if err := zw.Copy(f); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
}

// replaceInZip rewrites the named entry of a zip with old replaced by new.
func replaceInZip(tb testing.TB, src []byte, name, old, new string) []byte {
	tb.Helper()
	var out bytes.Buffer
	rewriteZip(tb, src, &out, func(zw *zip.Writer, f *zip.File) bool {
		if f.Name != name {
			return false
		}
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Contains(b, []byte(old)) {
			tb.Fatalf("%s holds no %q", name, old)
		}
		w, _ := zw.Create(name)
		w.Write(bytes.ReplaceAll(b, []byte(old), []byte(new)))
		return true
	})
	return out.Bytes()
}

// buildCFB writes a minimal OLE2 compound file (version 3, 512-byte sectors)
// holding the given streams in the root storage. Each stream is padded to
// 4096 bytes, the mini-stream cutoff, so that no mini FAT is needed.
func buildCFB(names []string, data [][]byte) []byte {
	const sector, endOfChain, free, fatSect, noStream = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
	le := binary.LittleEndian
	var streams [][]byte
	for _, d := range data {
		s := make([]byte, max(4096, (len(d)+sector-1)/sector*sector))
		copy(s, d)
		streams = append(streams, s)
	}
	// Sector 0: FAT; sector 1: directory; then the streams.
	fat := make([]byte, sector)
	for i := range sector / 4 {
		le.PutUint32(fat[i*4:], free)
	}
	le.PutUint32(fat[0:], fatSect)
	le.PutUint32(fat[4:], endOfChain)
	next, starts := uint32(2), []uint32{}
	for _, s := range streams {
		starts = append(starts, next)
		n := uint32(len(s) / sector)
		for k := range n {
			v := uint32(next + k + 1)
			if k == n-1 {
				v = endOfChain
			}
			le.PutUint32(fat[(next+k)*4:], v)
		}
		next += n
	}
	dir := make([]byte, sector)
	entry := func(i int, name string, typ byte, left, right, child, start uint32, size uint64) {
		e := dir[i*128 : (i+1)*128]
		u := utf16.Encode([]rune(name))
		for k, c := range u {
			le.PutUint16(e[k*2:], c)
		}
		le.PutUint16(e[64:], uint16(len(u)*2+2))
		e[66], e[67] = typ, 1
		le.PutUint32(e[68:], left)
		le.PutUint32(e[72:], right)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], start)
		le.PutUint64(e[120:], size)
	}
	entry(0, "Root Entry", 5, noStream, noStream, 1, endOfChain, 0)
	for i := range names {
		right := uint32(noStream)
		if i+1 < len(names) {
			right = uint32(i + 2)
		}
		entry(i+1, names[i], 2, noStream, right, noStream, starts[i], uint64(len(streams[i])))
	}
	for i := len(names) + 1; i < 4; i++ {
		e := dir[i*128:]
		le.PutUint32(e[68:], noStream)
		le.PutUint32(e[72:], noStream)
		le.PutUint32(e[76:], noStream)
	}
	h := make([]byte, sector)
	copy(h, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
	le.PutUint16(h[24:], 0x3E)
	le.PutUint16(h[26:], 3)
	le.PutUint16(h[28:], 0xFFFE)
	le.PutUint16(h[30:], 9)
	le.PutUint16(h[32:], 6)
	le.PutUint32(h[44:], 1) // FAT sectors
	le.PutUint32(h[48:], 1) // first directory sector
	le.PutUint32(h[56:], 4096)
	le.PutUint32(h[60:], endOfChain)
	le.PutUint32(h[68:], endOfChain)
	le.PutUint32(h[76:], 0) // DIFAT[0]: the FAT is sector 0
	for i := 1; i < 109; i++ {
		le.PutUint32(h[76+i*4:], free)
	}
	out := append(h, fat...)
	out = append(out, dir...)
	for _, s := range streams {
		out = append(out, s...)
	}
	return out
}

// checkOpened wants what Open returned on any input to be a reader of a
// header with code and name and then non-blank rows in increasing order,
// ending in io.EOF or a FileError, or else a FileError.
func checkOpened(t *testing.T, r *Reader, err error) {
	t.Helper()
	if err == nil {
		defer r.Close()
		if h := r.Header(); !h.Has(CustomerCode) || !h.Has(CustomerName) {
			t.Fatalf("Open accepted a header without code or name: %+v", h.Columns)
		}
		last := 1
		for {
			var row Row
			if row, err = r.Next(); err != nil {
				break
			}
			if row.Num <= last || row.Blank() {
				t.Fatalf("row %d after %d, blank %v: %q", row.Num, last, row.Blank(), row.Cells)
			}
			last = row.Num
		}
		if err == io.EOF {
			return
		}
	}
	if _, ok := warning.AsFileError(err); !ok {
		t.Fatalf("error is not a FileError: %v", err)
	}
}
