package rules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"intake/jobs/warning"
)

// countingExisting records the keys of every Customers call.
type countingExisting struct {
	MemExisting
	calls [][]string
}

func (c *countingExisting) Customers(ctx context.Context, keys []string) (map[string]*StoredCustomer, error) {
	c.calls = append(c.calls, slices.Clone(keys))
	return c.MemExisting.Customers(ctx, keys)
}

func TestCustomersCalledOncePerBatch(t *testing.T) {
	ex := &countingExisting{MemExisting: acme()}
	rows := make([]cells, 2500)
	for i := range rows {
		rows[i] = cells{"A": fmt.Sprintf("K%d", i/2), "B": "Name"} // each code twice, in one batch or across two
	}
	rows[2400] = cells{"A": "C1", "B": "Acme"} // a stored customer, in batch 3
	rows[1500] = cells{"A": "K0", "B": "Name"} // found absent in batch 1: not asked again
	r := run(t, ex, Options{BatchSize: 1000}, rows...)
	if len(ex.calls) != 3 {
		t.Fatalf("Customers called %d times, want 3", len(ex.calls))
	}
	for i, keys := range ex.calls {
		sorted := slices.Sorted(slices.Values(keys))
		if len(slices.Compact(sorted)) != len(keys) {
			t.Errorf("call %d repeats keys", i)
		}
	}
	if n := len(ex.calls[1]); n != 500 || slices.Contains(ex.calls[1], "k0") {
		t.Errorf("batch 2 asked %d keys (k0 among them: %v), want 500 without k0", n, slices.Contains(ex.calls[1], "k0"))
	}
	if r.summary.RowsTotal != 2500 || r.summary.CustomersUnchanged != 1 {
		t.Errorf("summary %+v", r.summary)
	}
}

func TestStoredCustomersFetchedAgainPerBatch(t *testing.T) {
	ex := &countingExisting{MemExisting: acme()}
	run(t, ex, Options{BatchSize: 2},
		cells{"A": "C1", "B": "Acme"}, cells{"A": "C2", "B": "New"},
		cells{"A": "C3", "B": "New"}, cells{"A": "C4", "B": "New"},
		cells{"A": "c1", "D": "A1", "G": "Lyon"}, cells{"A": "C2"})
	want := [][]string{{"c1", "c2"}, {"c3", "c4"}, {"c1"}}
	if !slices.EqualFunc(ex.calls, want, slices.Equal) {
		t.Errorf("calls %v, want %v", ex.calls, want)
	}
}

func TestNoCallWithoutExisting(t *testing.T) {
	r := run(t, nil, Options{}, cells{"A": "C1", "B": "Acme"})
	if r.summary.CustomersNew != 1 {
		t.Errorf("summary %+v", r.summary)
	}
}

func TestSummary(t *testing.T) {
	r := run(t, acme(), Options{BatchSize: 3},
		cells{"A": "N1", "B": "New one", "D": "A1", "L": "Ann"},            // 2 ok
		cells{"A": "N1", "D": "A2", "L": "Bob", "O": "Oui"},                // 3 ok
		cells{"A": "N1", "D": "a1", "G": "Paris"},                          // 4 ok: adds a city
		cells{"A": "N1", "D": "A1", "G": "Lyon"},                           // 5 warning: address_repeated
		cells{"A": "N2", "D": "A1"},                                        // 6 error: name_missing
		cells{"A": "N2", "B": "Named", "N": "bad"},                         // 7 error: email + contact_name_missing
		cells{"B": "No code"},                                              // 8 error: code_missing
		cells{"A": "C1", "D": "A1", "G": "Marseille"},                      // 9 warning: customer_exists, address_exists
		cells{"A": "C1", "D": "A9", "L": "Jean Dupont", "M": "0102030405"}, // 10 ok: new address, same contact
		cells{"A": "C1", "L": "Zoe"},                                       // 11 ok: new contact
		cells{"A": "S1", "B": "Same"},                                      // 12 ok
		cells{"A": "N3", "B": "Three", "D": "A1", "J": "Royaume-Uni"},      // 13 warning: country_converted
	)
	want := Summary{RowsTotal: 12, RowsOK: 6, RowsWarning: 3, RowsError: 3,
		CustomersNew: 3, CustomersUpdated: 1, CustomersUnchanged: 0,
		AddressesNew: 2 + 1 + 1, AddressesUpdated: 1, ContactsNew: 2 + 1 + 0, ContactsUpdated: 0}
	if r.summary != want {
		t.Errorf("summary\n got %+v\nwant %+v", r.summary, want)
	}
	if got := r.codes(6); !slices.Equal(got, []string{"name_missing"}) {
		t.Errorf("row 6 %v", got)
	}

	// A stored customer the file names as stored is unchanged.
	r = run(t, acme(), Options{}, cells{"A": "c1", "B": "Acme"}, cells{"A": "C1", "D": "A2"})
	if r.summary.CustomersUnchanged != 1 || r.summary.RowsOK != 2 {
		t.Errorf("unchanged: %+v", r.summary)
	}
}

func TestOldValuesAcrossBatches(t *testing.T) {
	rows := []cells{{"A": "C1", "B": "Acme", "D": "A1", "G": "Paris"}}
	for i := 0; i < 10; i++ {
		rows = append(rows, cells{"A": fmt.Sprintf("F%d", i), "B": "Filler"})
	}
	rows = append(rows, cells{"A": "C1", "B": "Acme 2", "D": "A1", "G": "Lyon"})
	last := len(rows) + 1
	for _, tc := range []struct {
		name    string
		batch   int
		recall  bool
		wantOld string
	}{
		{"same batch", 100, false, "Acme"},
		{"previous batch", 6, false, "Acme"},
		{"recalled from the sink", 2, true, "Acme"},
		{"sink cannot recall", 2, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := testHeader(t)
			n := NewNormalizer(h)
			sink := newMemSink()
			var s Sink = sink
			if !tc.recall {
				s = plainSink{sink}
			}
			v := NewValidator(nil, s, Options{BatchSize: tc.batch, Header: h})
			for i, c := range rows {
				rec, ws := n.Row(c.row(i + 2))
				if err := v.Add(context.Background(), rec, ws); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := v.Finish(context.Background()); err != nil {
				t.Fatal(err)
			}
			r := result{sink: sink}
			w := r.warning(t, last, warning.CustomerValueConflict)
			// Old left to the sink names the row to read it from.
			oldRow := 0
			if tc.wantOld == "" {
				oldRow = 2
			}
			wantChanges(t, w, warning.Change{Field: "customer_name", Old: tc.wantOld, New: "Acme 2", OldRow: oldRow})
			wantParam(t, w, "first_row", "2")
			want := "Paris"
			if tc.wantOld == "" {
				want = ""
			}
			wantChanges(t, r.warning(t, last, warning.AddressRepeated), warning.Change{Field: "city", Old: want, New: "Lyon", OldRow: oldRow})
		})
	}
}

func TestRedRowsFeedNoState(t *testing.T) {
	r := run(t, nil, Options{},
		cells{"A": "C1", "B": "Wrong", "N": "bad", "L": "x"}, // red: its name is not an earlier value
		cells{"A": "C1", "B": "Acme", "D": "A1"},
		cells{"A": "C1", "D": "A2", "K": "Oui", "J": "Narnia"}, // red: marks no default
		cells{"A": "C1", "D": "A1", "G": "Paris", "K": "Oui"})
	for _, row := range []int{3, 5} {
		if got := r.codes(row); len(got) != 0 {
			t.Errorf("row %d: %v", row, got)
		}
	}
	if r.summary.AddressesNew != 1 || r.summary.RowsError != 2 {
		t.Errorf("summary %+v", r.summary)
	}
}

// TestRefeedWithSkips recomputes the summary the way the service does once
// rows are skipped: staged records and their per-row warnings fed again,
// skipped rows left out.
func TestRefeedWithSkips(t *testing.T) {
	h := testHeader(t)
	n := NewNormalizer(h)
	rows := []cells{{"A": "C1", "B": "Acme"}, {"A": "C1", "D": "A1"}, {"A": "C2", "B": "Two"}}
	type staged struct {
		rec Record
		ws  []warning.Warning
	}
	var st []staged
	for i, c := range rows {
		rec, ws := n.Row(c.row(i + 2))
		st = append(st, staged{rec, ws})
	}
	refeed := func(skip int) (Summary, *memSink) {
		sink := newMemSink()
		v := NewValidator(nil, sink, Options{Header: h})
		for _, s := range st {
			if s.rec.Row == skip {
				continue
			}
			if err := v.Add(context.Background(), s.rec, s.ws); err != nil {
				t.Fatal(err)
			}
		}
		sum, err := v.Finish(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return sum, sink
	}
	if sum, _ := refeed(0); sum.CustomersNew != 2 || sum.RowsOK != 3 {
		t.Errorf("no skip: %+v", sum)
	}
	sum, sink := refeed(2)
	if sum.CustomersNew != 1 || sum.RowsError != 1 || sum.RowsTotal != 2 || sum.AddressesNew != 0 {
		t.Errorf("skip row 2: %+v", sum)
	}
	if got := (result{sink: sink}).codes(3); !slices.Equal(got, []string{"name_missing"}) {
		t.Errorf("row 3 after skipping the naming row: %v", got)
	}
}

func TestLateWarningsInRowOrder(t *testing.T) {
	var rows []cells
	for i := 0; i < 30; i++ {
		rows = append(rows, cells{"A": fmt.Sprintf("K%d", i%7)})
	}
	rows = append(rows, cells{"A": "C1", "B": "Acme SA"})
	sink := newMemSink()
	h := testHeader(t)
	n := NewNormalizer(h)
	v := NewValidator(acme(), lateOrder{t: t, memSink: sink, last: new(int)}, Options{BatchSize: 4, Header: h})
	for i, c := range rows {
		rec, ws := n.Row(c.row(i + 2))
		if err := v.Add(context.Background(), rec, ws); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := v.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sink.late != 8 { // 30 name_missing + 1 customer_exists in chunks of 4
		t.Errorf("Late called %d times", sink.late)
	}
	if sum.RowsError != 30 || sum.RowsWarning != 1 {
		t.Errorf("summary %+v", sum)
	}
	if err := v.Add(context.Background(), Record{Row: 99, Key: "x", Code: "x"}, nil); err == nil {
		t.Error("Add after Finish accepted")
	}
}

// lateOrder checks that late warnings arrive in row order across calls.
type lateOrder struct {
	t *testing.T
	*memSink
	last *int
}

func (l lateOrder) Late(ctx context.Context, ws []warning.Warning) error {
	for _, w := range ws {
		if w.Row <= *l.last {
			l.t.Errorf("late warnings out of order: %d after %d", w.Row, *l.last)
		}
		*l.last = w.Row
	}
	return l.memSink.Late(ctx, ws)
}

type failingExisting struct{}

func (failingExisting) Customers(context.Context, []string) (map[string]*StoredCustomer, error) {
	return nil, errors.New("db down")
}

func TestExistingErrorStops(t *testing.T) {
	v := NewValidator(failingExisting{}, newMemSink(), Options{BatchSize: 1})
	err := v.Add(context.Background(), Record{Row: 2, Code: "C1", Key: "c1", Name: "x"}, nil)
	if err == nil || !strings.Contains(err.Error(), "db down") {
		t.Fatalf("error %v, want the look-up's", err)
	}
}

func TestManyAddressesAndContacts(t *testing.T) {
	stored := MemExisting{"c1": {Code: "C1", Name: "Big"}}
	for i := 0; i < 40; i++ {
		stored["c1"].Addresses = append(stored["c1"].Addresses, Address{Code: fmt.Sprintf("S%d", i), City: "Paris", IsDefault: i == 0})
		stored["c1"].Contacts = append(stored["c1"].Contacts, Contact{Name: fmt.Sprintf("P%d", i), Phone: "01"})
	}
	var rows []cells
	for i := 0; i < 40; i++ {
		rows = append(rows, cells{"A": "C9", "B": "New", "D": fmt.Sprintf("A%d", i), "G": "Paris", "L": fmt.Sprintf("Q%d", i), "M": "01"})
	}
	rows = append(rows, cells{"A": "C9", "D": "a3", "G": "Lyon", "L": "q30", "M": "02"})  // row 42
	rows = append(rows, cells{"A": "C1", "D": "s35", "G": "Lyon", "L": "p39", "M": "02"}) // row 43
	r := run(t, stored, Options{}, rows...)
	if got := r.codes(42); !slices.Equal(got, []string{"address_repeated", "contact_repeated"}) {
		t.Errorf("row 42: %v", got)
	}
	if got := r.codes(43); !slices.Equal(got, []string{"address_exists", "contact_exists", "customer_exists"}) {
		t.Errorf("row 43: %v", got)
	}
	if s := r.summary; s.AddressesNew != 40 || s.ContactsNew != 40 || s.AddressesUpdated != 1 || s.ContactsUpdated != 1 {
		t.Errorf("summary %+v", s)
	}
}
