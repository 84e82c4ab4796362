package jobs_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"

	"intake/jobs/rules"
	"intake/jobs/sheet"
	"intake/jobs/warning"
)

const pipelineRows = 100_000

// customerRow is row i of a generated file: about 1.6 rows per customer, the
// rows of a customer not adjacent, most with an address and a contact, some
// with a country name, a short postal code or a blank name to warn about.
func customerRow(i int) []string {
	c := (i*5/8)*7919%(pipelineRows) + 1 // scatter a customer's rows
	name := fmt.Sprintf("Customer %d SARL", c)
	if i%8 == 1 {
		name = ""
	}
	return []string{fmt.Sprintf("CUST-%06d", c), name, fmt.Sprintf("FR%011d", c), fmt.Sprintf("ADDR-%d", i%3), "",
		fmt.Sprintf("%d rue de la République", i%200), "Lyon", fmt.Sprint(1000 + i%9000), "",
		[]string{"FR", "France", "DE", "be"}[i%4], []string{"Oui", "", "Non"}[i%3], fmt.Sprintf("Contact %d", i%2),
		"+33 1 23 45 67 89", fmt.Sprintf("c%d@example.fr", c), "Yes"}
}

func headers() []string {
	hs := make([]string, sheet.NumFields)
	for f := sheet.Field(0); f < sheet.NumFields; f++ {
		hs[f] = f.Header("fr")
	}
	return hs
}

func fixture(b *testing.B, name string, write func(path string) error) string {
	path := filepath.Join(os.TempDir(), name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := write(path + ".tmp"); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path
}

func writeXLSX(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	row := func(n int, vals []string) error {
		cells := make([]any, len(vals))
		for i, v := range vals {
			cells[i] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, cells)
	}
	if err := row(1, headers()); err != nil {
		return err
	}
	for i := 0; i < pipelineRows; i++ {
		if err := row(i+2, customerRow(i)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f.Write(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func writeCSV(path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(out)
	w.Comma = ';'
	w.Write(headers())
	for i := 0; i < pipelineRows; i++ {
		w.Write(customerRow(i))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

type discard struct{ warnings int }

func (d *discard) Record(_ context.Context, _ rules.Record, ws []warning.Warning) error {
	d.warnings += len(ws)
	return nil
}
func (d *discard) Late(_ context.Context, ws []warning.Warning) error {
	d.warnings += len(ws)
	return nil
}

// benchPipeline reads and validates the file at path per iteration, the way
// the validate task does minus Postgres: sheet → Normalizer → Validator.
func benchPipeline(b *testing.B, path string) {
	ctx := context.Background()
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		r, err := sheet.OpenFile(path, sheet.Limits{})
		if err != nil {
			b.Fatal(err)
		}
		norm := rules.NewNormalizer(r.Header())
		v := rules.NewValidator(rules.MemExisting{}, &discard{}, rules.Options{Header: r.Header()})
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rec, ws := norm.Row(row)
			if err := v.Add(ctx, rec, ws); err != nil {
				b.Fatal(err)
			}
			rows++
		}
		s, err := v.Finish(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if s.RowsTotal != pipelineRows {
			b.Fatalf("validated %d rows", s.RowsTotal)
		}
		r.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkReadValidateXLSX100k reads and validates a 100,000-row workbook.
func BenchmarkReadValidateXLSX100k(b *testing.B) {
	benchPipeline(b, fixture(b, "intake-pipeline-100k-v1.xlsx", writeXLSX))
}

// BenchmarkReadValidateCSV100k reads and validates the same rows as CSV.
func BenchmarkReadValidateCSV100k(b *testing.B) {
	benchPipeline(b, fixture(b, "intake-pipeline-100k-v1.csv", writeCSV))
}
