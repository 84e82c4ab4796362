package main

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"

	"intake/jobs/sheet"
)

// TestBenchFilesReadAlike checks that the three generated files of `intake
// bench` hold the same rows as jobs/sheet reads them (so the benchmark
// compares like with like), that the Excel-style one uses a shared-strings
// table, and that generation is deterministic.
func TestBenchFilesReadAlike(t *testing.T) {
	dir := t.TempDir()
	g := newBenchGen(500, 0.05, 0.2, 7)
	write := func(name string, fn func(io.Writer) error) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := fn(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	csvPath := write("a.csv", func(w io.Writer) error { return writeBenchCSV(w, g, false) })
	shared := write("a.xlsx", func(w io.Writer) error { return writeBenchXLSX(w, g, false, true, dir) })
	inline := write("b.xlsx", func(w io.Writer) error { return writeBenchXLSX(w, g, false, false, dir) })
	again := write("c.xlsx", func(w io.Writer) error { return writeBenchXLSX(w, g, false, true, dir) })
	if sum(t, shared) != sum(t, again) {
		t.Error("two generations of the same file differ")
	}

	want := readAll(t, csvPath)
	if len(want) != 500 {
		t.Fatalf("csv: %d rows", len(want))
	}
	for _, p := range []string{shared, inline} {
		if got := readAll(t, p); !slices.EqualFunc(got, want, slices.Equal[[]string]) {
			t.Errorf("%s reads differently from the csv: first row %q, want %q", filepath.Base(p), got[0], want[0])
		}
	}
	f, err := excelize.OpenFile(shared)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sst, _ := f.Pkg.Load("xl/sharedStrings.xml"); sst == nil || !bytes.Contains(sst.([]byte), []byte("<si><t>CUST")) {
		t.Error("the Excel-style file has no shared-strings table")
	}

	// The shares: about 5% red rows, and customers on about 1.6 rows.
	custs := map[string]bool{}
	red := 0
	for _, r := range want {
		custs[r[0]] = true
		if r[13] == "pas-une-adresse" || r[9] == "ZZ" || (r[3] == "" && r[5] != "") {
			red++
		}
	}
	if red < 10 || red > 45 {
		t.Errorf("%d red rows of 500", red)
	}
	if n := len(want) * 10 / len(custs); n < 14 || n > 18 {
		t.Errorf("%d rows for %d customers", len(want), len(custs))
	}
}

func sum(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// readAll reads a file's data rows through jobs/sheet, padded to 15 cells.
func readAll(t *testing.T, path string) [][]string {
	t.Helper()
	r, err := sheet.OpenFile(path, sheet.Limits{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		cells := make([]string, sheet.NumFields)
		copy(cells, row.Cells)
		out = append(out, cells)
	}
}
