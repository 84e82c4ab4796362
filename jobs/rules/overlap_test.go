package rules

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"intake/jobs/sheet"
)

// TestOverlapSameOutput runs the same rows with and without Options.Overlap
// and wants the same records, warnings, summary and look-ups.
func TestOverlapSameOutput(t *testing.T) {
	rows := generatedRows(3000)
	stored := MemExisting{}
	for c := 0; c < 2000; c += 9 {
		code := fmt.Sprintf("CUST-%06d", c)
		stored[Fold(code)] = &StoredCustomer{Code: code, Name: "Old name",
			Addresses: []Address{{Code: "ADDR-1", City: "Paris", Country: "FR", IsDefault: true}},
			Contacts:  []Contact{{Name: "Contact 0", Phone: "01"}}}
	}
	h, _, err := sheet.NewHeader(englishHeaders())
	if err != nil {
		t.Fatal(err)
	}
	run := func(overlap bool) (*memSink, Summary, [][]string) {
		ex := &countingExisting{MemExisting: stored}
		sink := newMemSink()
		norm := NewNormalizer(h)
		v := NewValidator(ex, sink, Options{BatchSize: 7, Header: h, Overlap: overlap})
		ctx := context.Background()
		for _, r := range rows {
			rec, ws := norm.Row(r)
			if err := v.Add(ctx, rec, ws); err != nil {
				t.Fatal(err)
			}
		}
		s, err := v.Finish(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return sink, s, ex.calls
	}
	want, wantSum, wantCalls := run(false)
	got, gotSum, gotCalls := run(true)
	if gotSum != wantSum {
		t.Errorf("summary %+v, want %+v", gotSum, wantSum)
	}
	if wantSum.CustomersUpdated == 0 || wantSum.RowsWarning == 0 {
		t.Fatalf("the rows exercise too little: %+v", wantSum)
	}
	if !reflect.DeepEqual(got.recs, want.recs) {
		t.Error("records differ")
	}
	if !reflect.DeepEqual(got.ws, want.ws) {
		t.Error("warnings differ")
	}
	if !slices.EqualFunc(gotCalls, wantCalls, slices.Equal) {
		t.Errorf("%d look-ups, want %d, or other keys", len(gotCalls), len(wantCalls))
	}
}

// TestOverlapLookupErrorSurfaces wants a failed background look-up to stop
// the next Add or Finish.
func TestOverlapLookupErrorSurfaces(t *testing.T) {
	ctx := context.Background()
	v := NewValidator(failingExisting{}, newMemSink(), Options{BatchSize: 1, Overlap: true})
	if err := v.Add(ctx, Record{Row: 2, Code: "C1", Key: "c1", Name: "x"}, nil); err != nil {
		t.Fatalf("the look-up runs in the background, yet Add failed: %v", err)
	}
	_, err := v.Finish(ctx)
	if err == nil || !strings.Contains(err.Error(), "db down") {
		t.Fatalf("Finish: %v, want the look-up's error", err)
	}
	v = NewValidator(failingExisting{}, newMemSink(), Options{BatchSize: 1, Overlap: true})
	_ = v.Add(ctx, Record{Row: 2, Code: "C1", Key: "c1", Name: "x"}, nil)
	if err := v.Add(ctx, Record{Row: 3, Code: "C2", Key: "c2", Name: "y"}, nil); err == nil || !strings.Contains(err.Error(), "db down") {
		t.Fatalf("second Add: %v, want the first look-up's error", err)
	}
}
