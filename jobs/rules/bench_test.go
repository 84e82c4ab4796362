package rules

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"intake/jobs/sheet"
	"intake/jobs/warning"
)

type discardSink struct{}

func (discardSink) Record(context.Context, Record, []warning.Warning) error { return nil }
func (discardSink) Late(context.Context, []warning.Warning) error           { return nil }

// generatedRows makes n rows of about 1.6 rows per customer, the rows of a
// customer scattered through the file, most of them with an address and a
// contact, a few with something to warn about.
func generatedRows(n int) []sheet.Row {
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([]sheet.Row, n)
	for i := range rows {
		c := i * 5 / 8
		cells := make([]string, sheet.NumFields)
		cells[sheet.CustomerCode] = fmt.Sprintf("CUST-%06d", c)
		if i%8 != 1 {
			cells[sheet.CustomerName] = fmt.Sprintf("Customer %d SARL", c)
		}
		cells[sheet.VATNumber] = fmt.Sprintf("FR%011d", c)
		cells[sheet.AddressCode] = fmt.Sprintf("ADDR-%d", i%3)
		cells[sheet.Address] = fmt.Sprintf("%d rue de la République", i%200)
		cells[sheet.City] = "Lyon"
		cells[sheet.PostalCode] = fmt.Sprint(1000 + i%9000)
		cells[sheet.Country] = []string{"FR", "France", "DE", "be"}[i%4]
		cells[sheet.AddressIsDefault] = []string{"Oui", "", "Non"}[i%3]
		cells[sheet.ContactName] = fmt.Sprintf("Contact %d", i%2)
		cells[sheet.ContactPhone] = "+33 1 23 45 67 89"
		cells[sheet.ContactEmail] = fmt.Sprintf("c%d@example.fr", c)
		cells[sheet.ContactIsDefault] = "Yes"
		rows[i] = sheet.Row{Cells: cells}
	}
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	for i := range rows {
		rows[i].Num = i + 2
	}
	return rows
}

// BenchmarkValidate100k runs 100,000 generated rows through the Normalizer
// and the Validator against an empty database.
func BenchmarkValidate100k(b *testing.B) {
	const n = 100_000
	rows := generatedRows(n)
	h, _, err := sheet.NewHeader(englishHeaders())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		norm := NewNormalizer(h)
		v := NewValidator(MemExisting{}, discardSink{}, Options{Header: h})
		for _, r := range rows {
			rec, ws := norm.Row(r)
			if err := v.Add(ctx, rec, ws); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := v.Finish(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// stateBytesPerCustomer feeds 100,000 distinct customers, each with a name,
// a VAT number, an address and a contact, and returns the live heap the
// Validator holds per customer once the buffers are flushed. With stored,
// every customer is already stored (another name, a default address and
// contact of other codes): the state of an update file.
func stateBytesPerCustomer(t testing.TB, stored bool) float64 {
	const n = 100_000
	ctx := context.Background()
	var existing Existing
	if stored {
		m := make(MemExisting, n)
		for i := 0; i < n; i++ {
			code := fmt.Sprintf("CUST-%06d", i)
			m[Fold(code)] = &StoredCustomer{Code: code, Name: fmt.Sprintf("Old customer %d", i), VAT: fmt.Sprintf("FR%011d", i),
				Addresses: []Address{{Code: "HQ", Address: "2 avenue Foch", City: "Paris", PostalCode: "75016", Country: "FR", IsDefault: true}},
				Contacts:  []Contact{{Name: "Marie Curie", Phone: "+33 1 00 00 00 00", IsDefault: true}}}
		}
		existing = m
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := NewValidator(existing, discardSink{}, Options{})
	for i := 0; i < n; i++ {
		code := fmt.Sprintf("CUST-%06d", i)
		rec := Record{Row: i + 2, Code: code, Key: Fold(code), Name: fmt.Sprintf("Customer %d SARL", i),
			VAT:     fmt.Sprintf("FR%011d", i),
			Address: &Address{Code: "MAIN", Address: "1 rue de la République", City: "Lyon", PostalCode: "69001", Country: "FR", IsDefault: stored},
			Contact: &Contact{Name: "Jean Dupont", Phone: "+33 1 23 45 67 89", Email: "jean@example.fr", IsDefault: stored}}
		if err := v.Add(ctx, rec, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := v.flush(ctx); err != nil {
		t.Fatal(err)
	}
	v.buf, v.prev, v.index = nil, nil, nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	runtime.KeepAlive(existing)
	return float64(after.HeapAlloc-before.HeapAlloc) / n
}

// TestStateBytesPerCustomer keeps the figures of docs/perf.md honest: the
// state must stay compact, for new customers and for stored ones the file
// updates.
func TestStateBytesPerCustomer(t *testing.T) {
	for _, c := range []struct {
		stored bool
		limit  float64
	}{{false, 250}, {true, 500}} {
		per := stateBytesPerCustomer(t, c.stored)
		t.Logf("stored=%v: %.0f heap bytes per customer", c.stored, per)
		if per > c.limit {
			t.Errorf("stored=%v: %.0f heap bytes per customer, want at most %.0f", c.stored, per, c.limit)
		}
	}
}

// BenchmarkStateBytesPerCustomer reports the same figures as metrics.
func BenchmarkStateBytesPerCustomer(b *testing.B) {
	var per, perStored float64
	for b.Loop() {
		per = stateBytesPerCustomer(b, false)
		perStored = stateBytesPerCustomer(b, true)
	}
	b.ReportMetric(per, "B/customer")
	b.ReportMetric(perStored, "B/stored-customer")
}
