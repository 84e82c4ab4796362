package rules

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"intake/jobs/warning"
)

// codeCase is one file and the exact codes each of its rows must get; rows
// not in want must get none.
type codeCase struct {
	name     string
	existing MemExisting
	rows     []cells
	want     map[int][]warning.Code
	check    func(t *testing.T, r result)
}

// codesCovered collects the codes the tables expect, for TestEveryCodeHasCases.
func codesCovered(cases ...[]codeCase) map[warning.Code]bool {
	seen := map[warning.Code]bool{}
	for _, cs := range cases {
		for _, c := range cs {
			for _, codes := range c.want {
				for _, code := range codes {
					seen[code] = true
				}
			}
		}
	}
	return seen
}

func runCodeCases(t *testing.T, cases []codeCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var existing Existing
			if tc.existing != nil {
				existing = tc.existing
			}
			r := run(t, existing, Options{}, tc.rows...)
			rows := slices.Collect(maps.Keys(r.sink.ws))
			for row := range tc.want {
				rows = append(rows, row)
			}
			slices.Sort(rows)
			rows = slices.Compact(rows)
			for _, row := range rows {
				var want []string
				for _, c := range tc.want[row] {
					want = append(want, string(c))
				}
				slices.Sort(want)
				if got := r.codes(row); !slices.Equal(got, want) {
					t.Errorf("row %d: codes %v, want %v", row, got, want)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// acme is a stored customer: code C1, two addresses (A1 default) and one
// contact.
func acme() MemExisting {
	return MemExisting{"c1": {Code: "C1", Name: "Acme", VAT: "FR12345678901",
		Addresses: []Address{
			{Code: "A1", Address: "1 rue de la Paix", City: "Paris", PostalCode: "75001", Country: "FR", IsDefault: true},
			{Code: "A2", City: "Lyon", Country: "FR"},
		},
		Contacts: []Contact{{Name: "Jean Dupont", Phone: "0102030405", Email: "jean@acme.fr", IsDefault: true}},
	}}
}

func wantParam(t *testing.T, w warning.Warning, key, want string) {
	t.Helper()
	if got := w.Params[key]; got != want {
		t.Errorf("row %d %s: params[%q] = %q, want %q", w.Row, w.Code, key, got, want)
	}
}

func redCases() []codeCase {
	const (
		CM  = warning.CodeMissing
		NM  = warning.NameMissing
		TL  = warning.TooLong
		CI  = warning.CountryInvalid
		EI  = warning.EmailInvalid
		ACM = warning.AddressCodeMissing
		CNM = warning.ContactNameMissing
		IC  = warning.InvalidCharacters
	)
	return []codeCase{
		{name: "code missing", rows: []cells{{"B": "Acme"}, {"A": " \u00a0", "B": "Acme"}, {"K": "Non"}},
			want: map[int][]warning.Code{2: {CM}, 3: {CM}, 4: {CM}}},
		{name: "code given", rows: []cells{{"A": "C1", "B": "Acme"}}},
		{name: "blank row is not counted", rows: []cells{{"A": " ", "B": "\u00a0\u2007"}, {"A": "C1", "B": "Acme"}},
			check: func(t *testing.T, r result) {
				if r.summary.RowsTotal != 1 || len(r.sink.recs) != 1 {
					t.Errorf("blank row counted: %+v", r.summary)
				}
			}},
		{name: "name missing on a lone row", rows: []cells{{"A": "C1", "D": "A1"}},
			want: map[int][]warning.Code{2: {NM}},
			check: func(t *testing.T, r result) {
				if r.summary.RowsError != 1 || r.summary.CustomersNew != 0 || r.summary.AddressesNew != 0 {
					t.Errorf("summary %+v", r.summary)
				}
			}},
		{name: "name on a later non-adjacent row", rows: []cells{
			{"A": "C1", "D": "A1"}, {"A": "C2", "B": "Other"}, {"A": "c1", "B": "Acme"}, {"A": "C1 ", "L": "Jean"}}},
		{name: "name on an earlier non-adjacent row", rows: []cells{
			{"A": "C1", "B": "Acme"}, {"A": "C2", "B": "Other"}, {"A": "C1", "D": "A2"}}},
		{name: "only naming row is red", rows: []cells{
			{"A": "C1", "B": "Acme", "L": "Jean", "N": "not-an-email"}, {"A": "C1", "D": "A1"}, {"A": "C1", "L": "Jean", "N": "bad"}},
			want: map[int][]warning.Code{2: {EI}, 3: {NM}, 4: {EI, NM}}},
		{name: "no name missing for a stored customer", existing: acme(), rows: []cells{{"A": "c1"}}},
		{name: "too long in code points", rows: []cells{
			{"A": "C1", "B": strings.Repeat("é", 200)},
			{"A": "C2", "B": strings.Repeat("é", 201)},
			{"A": strings.Repeat("x", 65), "B": "Acme"},
			{"A": "C3", "B": "  " + strings.Repeat("a", 200) + "\u00a0"},
			{"A": "C4", "B": "x", "D": "A1", "J": strings.Repeat("x", 300)}},
			want: map[int][]warning.Code{3: {TL}, 4: {TL}, 6: {CI}},
			check: func(t *testing.T, r result) {
				w := r.warning(t, 3, TL)
				wantParam(t, w, "field", "customer_name")
				wantParam(t, w, "max", "200")
				if w.Column != "B" || w.Field != "customer_name" {
					t.Errorf("too_long at %s/%s", w.Column, w.Field)
				}
			}},
		{name: "country invalid", rows: []cells{
			{"A": "C1", "B": "x"}, {"A": "C1", "D": "A1", "J": "FRA"}, {"A": "C1", "D": "A2", "J": "ZZ"},
			{"A": "C1", "D": "A3", "J": "XA"}, {"A": "C1", "D": "A4", "J": "QO"}, {"A": "C1", "D": "A5", "J": "EU"},
			{"A": "C1", "D": "A6", "J": "UN"}, {"A": "C1", "D": "A7", "J": "Narnia"}, {"A": "C1", "D": "A8", "J": "deu"},
			{"A": "C1", "D": "A9", "J": "fr"}, {"A": "C1", "D": "A10", "J": "uk"}},
			want: map[int][]warning.Code{3: {CI}, 4: {CI}, 5: {CI}, 6: {CI}, 7: {CI}, 8: {CI}, 9: {CI}, 10: {CI}},
			check: func(t *testing.T, r result) {
				if c := r.record(t, 11).Address.Country; c != "FR" {
					t.Errorf("fr → %q", c)
				}
				if c := r.record(t, 12).Address.Country; c != "GB" {
					t.Errorf("uk → %q", c)
				}
			}},
		{name: "email", rows: []cells{
			{"A": "C1", "B": "x", "L": "a", "N": "jean@example.fr"},
			{"A": "C1", "L": "b", "N": "jean"},
			{"A": "C1", "L": "c", "N": "jean@example"},
			{"A": "C1", "L": "d", "N": "Jean <jean@example.fr>"},
			{"A": "C1", "L": "e", "N": "a@x.fr, b@x.fr"},
			{"A": "C1", "L": "f", "N": "a@x.fr;b@x.fr"},
			{"A": "C1", "L": "g", "N": "jean dupont@x.fr"},
			{"A": "C1", "L": "h", "N": "jean@@x.fr"},
			{"A": "C1", "L": "i", "N": " Jean.Dupont+tag@sub.example.co.uk\u00a0"}},
			want: map[int][]warning.Code{3: {EI}, 4: {EI}, 5: {EI}, 6: {EI}, 7: {EI}, 8: {EI}, 9: {EI}}},
		{name: "address code missing", rows: []cells{
			{"A": "C1", "B": "x"}, {"A": "C1", "F": "1 rue"}, {"A": "C1", "K": "Oui"}, {"A": "C1", "J": "FR"},
			{"A": "C1", "K": "Non"}, {"A": "C1", "D": "A1", "K": "Oui"}},
			want: map[int][]warning.Code{3: {ACM}, 4: {ACM}, 5: {ACM}},
			check: func(t *testing.T, r result) {
				if a := r.record(t, 6).Address; a != nil {
					t.Errorf("a lone Non made an address: %+v", a)
				}
			}},
		{name: "contact name missing", rows: []cells{
			{"A": "C1", "B": "x"}, {"A": "C1", "M": "0102"}, {"A": "C1", "O": "yes"}, {"A": "C1", "N": "a@b.fr"},
			{"A": "C1", "O": "No"}, {"A": "C1", "L": "Jean", "O": "yes"}},
			want: map[int][]warning.Code{3: {CNM}, 4: {CNM}, 5: {CNM}},
			check: func(t *testing.T, r result) {
				if c := r.record(t, 6).Contact; c != nil {
					t.Errorf("a lone No made a contact: %+v", c)
				}
			}},
		{name: "invalid characters", rows: []cells{
			{"A": "C1", "B": "Ac\x01me"}, {"A": "C2", "B": "Acme\u0085"}, {"A": "C3", "B": "Acme\x7f"},
			{"A": "C4", "B": "Acme", "F": "x\u009fy", "D": "A1"}, {"A": "C5", "B": "Acme", "D": "A1", "F": "Line 1\nLine 2\tx\r\nz"},
			{"A": "C6", "B": "Acme _x0001_"}, {"A": "C7\x00", "B": "Acme"}},
			want: map[int][]warning.Code{2: {IC}, 3: {IC}, 4: {IC}, 5: {IC}, 8: {IC}},
			check: func(t *testing.T, r result) {
				if w := r.warning(t, 3, IC); w.Value != "Acme\u0085" || w.Column != "B" {
					t.Errorf("invalid_characters %+v", w)
				}
			}},
	}
}

func TestRedCodes(t *testing.T) { runCodeCases(t, redCases()) }

// TestEveryCodeHasCases keeps the tables complete: every red and yellow code
// of the catalogue a row or file decides is expected by at least one case.
func TestEveryCodeHasCases(t *testing.T) {
	seen := codesCovered(redCases(), yellowCases())
	for _, e := range warning.Catalog() {
		if e.Severity == warning.SeverityFile || e.Code == warning.UnknownColumn {
			continue
		}
		if !seen[e.Code] {
			t.Errorf("no case expects %s", e.Code)
		}
	}
}
