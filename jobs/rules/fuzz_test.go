package rules

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// recordCells writes a normalized record back as template cells.
func recordCells(rec Record) []string {
	c := make([]string, sheet.NumFields)
	yes := func(b bool) string {
		if b {
			return "Oui"
		}
		return ""
	}
	c[sheet.CustomerCode], c[sheet.CustomerName], c[sheet.VATNumber] = rec.Code, rec.Name, rec.VAT
	if a := rec.Address; a != nil {
		c[sheet.AddressCode], c[sheet.AddressName], c[sheet.Address], c[sheet.City] = a.Code, a.Name, a.Address, a.City
		c[sheet.PostalCode], c[sheet.State], c[sheet.Country] = a.PostalCode, a.State, a.Country
		c[sheet.AddressIsDefault] = yes(a.IsDefault)
	}
	if k := rec.Contact; k != nil {
		c[sheet.ContactName], c[sheet.ContactPhone], c[sheet.ContactEmail] = k.Name, k.Phone, k.Email
		c[sheet.ContactIsDefault] = yes(k.IsDefault)
	}
	return c
}

// FuzzNormalize feeds arbitrary cells ('|' separates them, in template
// order): the Normalizer never panics, its warnings are catalogue codes on
// the row, and normalizing a normalized record gives the same record.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"C1|Acme|FR 12 345 678 901|A1||1 rue|Paris|1000|IdF|France|Oui|Jean|01|j@x.fr|non",
		"|\u00a0x\u00a0|||||||||peut-être",
		"c\x01|é|EL123|a|b|c|d|e|f|Royaume-Uni|X|\u0085|||S",
		" UK | uk |||||||| uk ||||",
		"C|N|||||||501|US|1|||a@b.co|y",
	} {
		f.Add(s)
	}
	h, _, err := sheet.NewHeader(englishHeaders())
	if err != nil {
		f.Fatal(err)
	}
	n := NewNormalizer(h)
	cat := newCatalog(h)
	f.Fuzz(func(t *testing.T, s string) {
		row := sheet.Row{Num: 2, Cells: strings.Split(s, "|")}
		rec, ws := n.Row(row)
		for _, w := range ws {
			if w.Row != 2 || w.Code.Severity() == "" || w.Code.Severity() == warning.SeverityFile {
				t.Fatalf("bad warning %+v", w)
			}
		}
		if rec.Red != cat.red(ws) {
			t.Fatalf("Red %v with %v", rec.Red, ws)
		}
		if rec.Red || rec.Key == "" {
			return
		}
		again, ws2 := n.Row(sheet.Row{Num: 2, Cells: recordCells(rec)})
		if !reflect.DeepEqual(rec, again) {
			t.Fatalf("not idempotent:\n%+v %+v %+v\n%+v %+v %+v\n%v", rec, rec.Address, rec.Contact,
				again, again.Address, again.Contact, ws2)
		}
		for _, w := range ws2 {
			if w.Code != warning.VATFormatSuspect {
				t.Fatalf("normalized record warned %+v", w)
			}
		}
	})
}

// FuzzValidator feeds random small files built from a few values (so that
// codes, addresses and contacts collide) against a stored customer: the
// Validator never panics, every row is emitted once in order, and the row
// counts add up.
func FuzzValidator(f *testing.F) {
	f.Add([]byte{1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, uint8(3))
	f.Add([]byte("the quick brown fox jumps over the lazy dog"), uint8(1))
	f.Add([]byte{0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90}, uint8(0))
	h, _, err := sheet.NewHeader(englishHeaders())
	if err != nil {
		f.Fatal(err)
	}
	n := NewNormalizer(h)
	choices := [sheet.NumFields][]string{
		{"", "C1", "c1", "C2", "N1", " n1 "},
		{"", "", "Acme", "Acme SA", "Other", strings.Repeat("x", 201)},
		{"", "", "FR12345678901", "FR1"},
		{"", "A1", "a1", "A2", "S9"},
		{"", "", "Home"},
		{"", "", "1 rue", "2 rue"},
		{"", "", "Paris", "Lyon", "PARIS"},
		{"", "", "1000", "75001"},
		{"", ""},
		{"", "", "FR", "BE", "France", "ZZ"},
		{"", "Oui", "Non", "?"},
		{"", "Jean Dupont", "jean dupont", "Marie"},
		{"", "01", "02"},
		{"", "", "j@x.fr", "bad"},
		{"", "Oui", "Non", "maybe"},
	}
	f.Fuzz(func(t *testing.T, data []byte, batch uint8) {
		sink := newMemSink()
		v := NewValidator(acme(), sink, Options{BatchSize: int(batch%5) + 1, Header: h})
		ctx := context.Background()
		rows := 0
		for i := 0; i+int(sheet.NumFields) <= len(data) && rows < 40; i += int(sheet.NumFields) {
			cells := make([]string, sheet.NumFields)
			for fld := range cells {
				opts := choices[fld]
				cells[fld] = opts[int(data[i+fld])%len(opts)]
			}
			rows++
			rec, ws := n.Row(sheet.Row{Num: rows + 1, Cells: cells})
			if err := v.Add(ctx, rec, ws); err != nil {
				t.Fatal(err)
			}
		}
		sum, err := v.Finish(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sum.RowsOK+sum.RowsWarning+sum.RowsError != sum.RowsTotal || sum.RowsTotal != len(sink.recs) {
			t.Fatalf("summary %+v for %d records", sum, len(sink.recs))
		}
		if sum.RowsOK < 0 || sum.RowsWarning < 0 || sum.CustomersNew < 0 || sum.AddressesNew < 0 {
			t.Fatalf("negative count %+v", sum)
		}
		prev := 0
		for _, r := range sink.recs {
			if r.Row <= prev {
				t.Fatalf("row %d after %d", r.Row, prev)
			}
			prev = r.Row
		}
		errRows, warnRows := 0, 0
		for _, ws := range sink.ws {
			switch n.cat.class(ws) {
			case classError:
				errRows++
			case classWarning:
				warnRows++
			}
		}
		if errRows != sum.RowsError || warnRows != sum.RowsWarning {
			t.Fatalf("summary %+v, warnings give %d errors %d warnings", sum, errRows, warnRows)
		}
	})
}
