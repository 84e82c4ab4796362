package rules

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"intake/jobs/sheet"
	"intake/jobs/warning"
)

func TestRowRecord(t *testing.T) {
	n := NewNormalizer(testHeader(t))
	tests := []struct {
		name string
		in   cells
		want Record
	}{
		{"trimmed, NBSP inside made a space", cells{"A": "\u00a0AbC-1 ", "B": " Acme\u00a0SA\u202f", "C": " FR12345678901 "},
			Record{Row: 2, Code: "AbC-1", Key: "abc-1", Name: "Acme SA", VAT: "FR12345678901"}},
		{"address and contact", cells{"A": "C1", "B": "x", "D": " a1 ", "F": "1 rue\nBât. B", "H": "1000", "J": "france",
			"K": "OUI", "L": " Jean ", "N": "j@x.fr", "O": "0"},
			Record{Row: 2, Code: "C1", Key: "c1", Name: "x",
				Address: &Address{Code: "a1", Address: "1 rue\nBât. B", PostalCode: "01000", Country: "FR", IsDefault: true},
				Contact: &Contact{Name: "Jean", Email: "j@x.fr"}}},
		{"no address data: a lone no", cells{"A": "C1", "K": "non", "O": ""}, Record{Row: 2, Code: "C1", Key: "c1"}},
		{"red", cells{"A": "C1", "B": "x", "N": "nope", "L": "J"},
			Record{Row: 2, Code: "C1", Key: "c1", Name: "x", Contact: &Contact{Name: "J", Email: "nope"}, Red: true}},
		{"zero-width space and BOM trimmed", cells{"A": "\ufeffC1\u200b", "B": "x"}, Record{Row: 2, Code: "C1", Key: "c1", Name: "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := n.Row(tc.in.row(2))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v %+v %+v\nwant %+v %+v %+v", got, got.Address, got.Contact, tc.want, tc.want.Address, tc.want.Contact)
			}
		})
	}
}

func TestWarningPosition(t *testing.T) {
	h, _, err := sheet.NewHeader([]string{"Customer name", "Country", "Notes", "Customer code", "Address code"})
	if err != nil {
		t.Fatal(err)
	}
	n := NewNormalizer(h)
	_, ws := n.Row(sheet.Row{Num: 7, Cells: []string{"Acme", " Narnia ", "x", "C1", "A1"}})
	want := []warning.Warning{{Row: 7, Column: "B", Field: "country", Code: warning.CountryInvalid, Value: " Narnia "}}
	if !reflect.DeepEqual(ws, want) {
		t.Errorf("got %+v, want %+v", ws, want)
	}
	// Cells beyond the row's end read blank; data in an ignored column is
	// still data: no code there is code_missing.
	if _, ws := n.Row(sheet.Row{Num: 8, Cells: []string{"", "", "note"}}); len(ws) != 1 || ws[0].Code != warning.CodeMissing || ws[0].Column != "D" {
		t.Errorf("row with ignored data only: %+v", ws)
	}
}

func TestCountryTable(t *testing.T) {
	ct := newCountryTable()
	codes := strings.Fields(assignedCountries())
	if len(codes) != 249 {
		t.Fatalf("%d assigned codes, want 249", len(codes))
	}
	for _, c := range codes {
		if got, conv, ok := ct.resolve(strings.ToLower(c)); !ok || conv || got != c {
			t.Errorf("%s: %q %v %v", c, got, conv, ok)
		}
		r := language.MustParseRegion(c)
		if _, _, ok := ct.resolve(r.ISO3()); ok {
			t.Errorf("alpha-3 %s of %s accepted", r.ISO3(), c)
		}
	}
	for _, bad := range []string{"ZZ", "XA", "XK", "QO", "EU", "UN", "EZ", "AA", "FX", "Narnia"} {
		if _, _, ok := ct.resolve(bad); ok {
			t.Errorf("%s accepted", bad)
		}
	}
	for in, want := range map[string]string{"Royaume-Uni": "GB", "Alemanha": "DE", "Germany": "DE", "allemagne": "DE",
		"Cote d'Ivoire": "CI", "Costa do Marfim": "CI", "Irão": "IR", "États-Unis": "US", "ESPAGNE": "ES", "Suíça": "CH"} {
		if got, conv, ok := ct.resolve(in); !ok || !conv || got != want {
			t.Errorf("%s: %q %v %v, want %s", in, got, conv, ok, want)
		}
	}
}

func TestFoldWords(t *testing.T) {
	for in, want := range map[string]string{"Royaume-Uni": "royaume uni", " NÃO ": "nao", "R.A.S. chinoise": "ras chinoise",
		"Côte d’Ivoire": "cote d ivoire", "Antigua & Barbuda": "antigua barbuda"} {
		if got := foldWords(in); got != want {
			t.Errorf("foldWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVATShapes(t *testing.T) {
	vt := newVATTable()
	for _, ok := range []string{"ATU12345678", "BE0123456789", "BE1234567890", "BG123456789", "BG1234567890", "CY12345678L",
		"CZ12345678", "CZ1234567890", "DE123456789", "DK12345678", "EE123456789", "EL123456789", "ESX1234567X",
		"ES12345678Z", "FI12345678", "FRXX123456789", "HR12345678901", "HU12345678", "IE1234567X", "IE1X23456X",
		"IE1234567XX", "IT12345678901", "LT123456789", "LT123456789012", "LU12345678", "LV12345678901", "MT12345678",
		"NL123456789B01", "PL1234567890", "PT123456789", "RO12", "RO1234567890", "SE123456789001", "SI12345678",
		"SK1234567890", "GB123456789", "GB123456789012", "GBGD123", "GBHA123", "CHE123456789", "CHE-123.456.789 TVA",
		"NO123456789", "NO123456789MVA", "US12-3456789", "XI123"} {
		if p, bad := vt.suspect(ok); bad {
			t.Errorf("%s suspect (%s)", ok, p)
		}
	}
	for _, bad := range []string{"AT12345678", "BE2123456789", "DE12345678", "FR1234567890", "NL123456789", "SE1234",
		"CHE12345678", "NO12345678MVA", "GB12345", "EL1234567890", "FR12 345 678 90A"} {
		if _, suspect := vt.suspect(bad); !suspect {
			t.Errorf("%s not suspect", bad)
		}
	}
}

func TestTrimValueIdempotent(t *testing.T) {
	for _, s := range []string{" a\u00a0b ", "\u3000x\u2009y\u200b", "\ufeff", "a\tb\nc", "\u0085a\u0085"} {
		once := trimValue(s)
		if twice := trimValue(once); twice != once {
			t.Errorf("trimValue(%q) = %q, again %q", s, once, twice)
		}
	}
}
