package rules

import (
	"context"
	"slices"
	"testing"

	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// englishHeaders is row 1 of the English template, columns A–O.
func englishHeaders() []string {
	return []string{"Customer code", "Customer name", "VAT number", "Address code", "Address name", "Address",
		"City", "Postal code", "State", "Country", "Is default address", "Contact name", "Contact phone",
		"Contact email", "Is default contact"}
}

// cells is one data row by template column letter: {"A": "C1", "B": "Acme"}.
type cells map[string]string

func (c cells) row(num int) sheet.Row {
	r := sheet.Row{Num: num, Cells: make([]string, sheet.NumFields)}
	for k, v := range c {
		r.Cells[k[0]-'A'] = v
	}
	return r
}

// memSink collects the validator's output; it is also a Recaller.
type memSink struct {
	recs []Record
	ws   map[int][]warning.Warning
	late int // number of Late calls
}

func newMemSink() *memSink { return &memSink{ws: map[int][]warning.Warning{}} }

func (s *memSink) Record(_ context.Context, rec Record, ws []warning.Warning) error {
	s.recs = append(s.recs, rec)
	s.ws[rec.Row] = append(s.ws[rec.Row], ws...)
	return nil
}

func (s *memSink) Late(_ context.Context, ws []warning.Warning) error {
	s.late++
	for _, w := range ws {
		s.ws[w.Row] = append(s.ws[w.Row], w)
	}
	return nil
}

func (s *memSink) Recall(_ context.Context, rows []int) (map[int]Record, error) {
	out := map[int]Record{}
	for _, r := range s.recs {
		if slices.Contains(rows, r.Row) {
			out[r.Row] = r
		}
	}
	return out, nil
}

// plainSink is a Sink that is not a Recaller.
type plainSink struct{ m *memSink }

func (s plainSink) Record(ctx context.Context, rec Record, ws []warning.Warning) error {
	return s.m.Record(ctx, rec, ws)
}

func (s plainSink) Late(ctx context.Context, ws []warning.Warning) error { return s.m.Late(ctx, ws) }

// result is what a run of rows produced.
type result struct {
	sink    *memSink
	summary Summary
}

// codes returns the sorted codes of row.
func (r result) codes(row int) []string {
	var out []string
	for _, w := range r.sink.ws[row] {
		out = append(out, string(w.Code))
	}
	slices.Sort(out)
	return out
}

// warning returns the first warning of row with code, or fails.
func (r result) warning(t *testing.T, row int, code warning.Code) warning.Warning {
	t.Helper()
	for _, w := range r.sink.ws[row] {
		if w.Code == code {
			return w
		}
	}
	t.Fatalf("row %d has no %s; it has %v", row, code, r.codes(row))
	return warning.Warning{}
}

// record returns the record of row, or fails.
func (r result) record(t *testing.T, row int) Record {
	t.Helper()
	for _, rec := range r.sink.recs {
		if rec.Row == row {
			return rec
		}
	}
	t.Fatalf("no record for row %d", row)
	return Record{}
}

func testHeader(t testing.TB) *sheet.Header {
	t.Helper()
	h, ws, err := sheet.NewHeader(englishHeaders())
	if err != nil || len(ws) > 0 {
		t.Fatalf("NewHeader: %v %v", err, ws)
	}
	return h
}

// run feeds rows (numbered from 2) through a Normalizer and a Validator.
func run(t testing.TB, existing Existing, opts Options, rows ...cells) result {
	t.Helper()
	h := testHeader(t)
	n := NewNormalizer(h)
	sink := newMemSink()
	opts.Header = h
	v := NewValidator(existing, sink, opts)
	ctx := context.Background()
	for i, c := range rows {
		rec, ws := n.Row(c.row(i + 2))
		if err := v.Add(ctx, rec, ws); err != nil {
			t.Fatalf("Add row %d: %v", i+2, err)
		}
	}
	sum, err := v.Finish(ctx)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	return result{sink: sink, summary: sum}
}
