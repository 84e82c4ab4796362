package sheet

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Progress climbs with the rows read, in both formats, and ends at 1.
func TestProgress(t *testing.T) {
	const n = 3000
	var csvData bytes.Buffer
	if err := writeCustomersCSV(&csvData, n); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "c.xlsx")
	if err := writeCustomersXLSX(path, n); err != nil {
		t.Fatal(err)
	}
	xlsxData, _ := os.ReadFile(path)
	for name, data := range map[string][]byte{"csv": csvData.Bytes(), "xlsx": xlsxData} {
		t.Run(name, func(t *testing.T) {
			r, err := Open(bytes.NewReader(data), int64(len(data)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			last := r.Progress()
			for i := 0; ; i++ {
				_, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				p := r.Progress()
				if p < last {
					t.Fatalf("row %d: progress went back from %v to %v", i, last, p)
				}
				if i == n/2 && (p < 0.3 || p > 0.7) {
					t.Errorf("half-way progress %v", p)
				}
				last = p
			}
			if r.Progress() != 1 {
				t.Errorf("final progress %v", r.Progress())
			}
		})
	}
}
