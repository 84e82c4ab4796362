package sheet

import (
	"io"
	"os"
	"testing"
)

const benchRows = 100_000

// benchRead reads the file at path once per iteration and reports rows/s.
func benchRead(b *testing.B, path string) {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for b.Loop() {
		r, err := OpenFile(path, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		r.Close()
	}
	if rows != benchRows*b.N {
		b.Fatalf("read %d rows in %d runs", rows, b.N)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkReadXLSX100k reads a 100,000-row, 15-column customer workbook
// written by excelize's StreamWriter (inline strings).
func BenchmarkReadXLSX100k(b *testing.B) {
	path := cachedFixture(b, "intake-sheet-bench-100k-v1.xlsx", func(p string) error {
		return writeCustomersXLSX(p, benchRows)
	})
	benchRead(b, path)
}

// BenchmarkReadCSV100k reads the same rows as a UTF-8 CSV.
func BenchmarkReadCSV100k(b *testing.B) {
	path := cachedFixture(b, "intake-sheet-bench-100k-v1.csv", func(p string) error {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		if err := writeCustomersCSV(f, benchRows); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	benchRead(b, path)
}
