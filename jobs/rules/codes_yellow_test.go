package rules

import (
	"reflect"
	"testing"

	"intake/jobs/warning"
)

func wantChanges(t *testing.T, w warning.Warning, want ...warning.Change) {
	t.Helper()
	if !reflect.DeepEqual(w.Changes, want) {
		t.Errorf("row %d %s: changes %+v, want %+v", w.Row, w.Code, w.Changes, want)
	}
}

func yellowCases() []codeCase {
	const (
		CE  = warning.CustomerExists
		AE  = warning.AddressExists
		KE  = warning.ContactExists
		CVC = warning.CustomerValueConflict
		AR  = warning.AddressRepeated
		KR  = warning.ContactRepeated
		CC  = warning.CountryConverted
		FU  = warning.FlagUnrecognized
		MDA = warning.MultipleDefaultAddresses
		MDC = warning.MultipleDefaultContacts
		PCP = warning.PostalCodePadded
		VFS = warning.VATFormatSuspect
	)
	return []codeCase{
		{name: "customer exists: name changes and default address moves", existing: acme(), rows: []cells{
			{"A": "C2", "B": "Other"}, {"A": "c1", "B": "Acme SA"}, {"A": "C1", "D": "a2", "K": "Oui"}},
			want: map[int][]warning.Code{3: {CE}},
			check: func(t *testing.T, r result) {
				w := r.warning(t, 3, CE)
				wantChanges(t, w, warning.Change{Field: "customer_name", Old: "Acme", New: "Acme SA"},
					warning.Change{Field: "default_address", Old: "A1", New: "A2"})
				if w.Value != "C1" || w.Column != "A" {
					t.Errorf("customer_exists value %q column %q", w.Value, w.Column)
				}
				s := r.summary
				if s.CustomersUpdated != 1 || s.CustomersNew != 1 || s.CustomersUnchanged != 0 || s.RowsWarning != 1 ||
					s.AddressesNew != 0 || s.AddressesUpdated != 0 {
					t.Errorf("summary %+v", s)
				}
			}},
		{name: "stored customer unchanged", existing: acme(), rows: []cells{
			{"A": "C1", "B": "Acme", "C": "FR12345678901"}, {"A": "c1", "D": "A1", "G": "Paris", "K": "oui"},
			{"A": "C1", "L": "JEAN DUPONT", "M": "0102030405"}},
			check: func(t *testing.T, r result) {
				if r.summary.CustomersUnchanged != 1 || r.summary.CustomersUpdated != 0 || r.summary.RowsOK != 3 {
					t.Errorf("summary %+v", r.summary)
				}
			}},
		{name: "customer exists: a new address only", existing: acme(), rows: []cells{{"A": "C1", "D": "A3", "G": "Nantes"}},
			want: map[int][]warning.Code{2: {CE}},
			check: func(t *testing.T, r result) {
				wantChanges(t, r.warning(t, 2, CE))
				if r.summary.AddressesNew != 1 {
					t.Errorf("summary %+v", r.summary)
				}
			}},
		{name: "customer exists: only the case of the name changes", existing: acme(), rows: []cells{{"A": "C1", "B": "ACME"}},
			want: map[int][]warning.Code{2: {CE}},
			check: func(t *testing.T, r result) {
				wantChanges(t, r.warning(t, 2, CE), warning.Change{Field: "customer_name", Old: "Acme", New: "ACME"})
			}},
		{name: "customer exists: name changed then changed back", existing: acme(), rows: []cells{
			{"A": "C1", "B": "Acme SA"}, {"A": "C1", "B": "Acme"}},
			want: map[int][]warning.Code{3: {CVC}}},
		{name: "address exists", existing: acme(), rows: []cells{
			{"A": "C1", "D": "a1", "G": "Lyon", "F": ""}, {"A": "C1", "D": "A1", "G": "PARIS"},
			{"A": "C1", "D": "A2", "G": "Lyon", "H": "69001"}, {"A": "C1", "D": "A1", "G": "Paris", "J": "fr"}},
			want: map[int][]warning.Code{2: {CE, AE}, 3: {AE, AR}, 4: {AE}, 5: {AR}},
			check: func(t *testing.T, r result) {
				wantChanges(t, r.warning(t, 2, AE), warning.Change{Field: "city", Old: "Paris", New: "Lyon"})
				wantChanges(t, r.warning(t, 3, AE), warning.Change{Field: "city", Old: "Paris", New: "PARIS"})
				wantChanges(t, r.warning(t, 4, AE), warning.Change{Field: "postal_code", Old: "", New: "69001"})
				wantChanges(t, r.warning(t, 2, CE))
				// A1 ends as stored (Paris); A2 gains a postal code.
				if s := r.summary; s.AddressesUpdated != 1 || s.AddressesNew != 0 || s.CustomersUpdated != 1 {
					t.Errorf("summary %+v", s)
				}
			}},
		{name: "contact exists", existing: acme(), rows: []cells{
			{"A": "C1", "L": "jean dupont", "M": "0203"}, {"A": "C1", "L": "Jean Dupont", "N": "jean@acme.fr"}},
			want: map[int][]warning.Code{2: {CE, KE}},
			check: func(t *testing.T, r result) {
				wantChanges(t, r.warning(t, 2, KE), warning.Change{Field: "contact_phone", Old: "0102030405", New: "0203"})
				if s := r.summary; s.ContactsUpdated != 1 || s.ContactsNew != 0 {
					t.Errorf("summary %+v", s)
				}
			}},
		{name: "customer value conflict", rows: []cells{
			{"A": "C1", "B": "Acme", "C": "FR12345678901"}, {"A": "C2", "B": "Other"}, {"A": "c1", "B": "Acme Corp"},
			{"A": "C1", "B": ""}, {"A": "C1", "B": "Acme Corp", "C": "FR98765432109"}, {"A": "C1", "C": "FR12345678901"}},
			want: map[int][]warning.Code{4: {CVC}, 6: {CVC}, 7: {CVC}},
			check: func(t *testing.T, r result) {
				w := r.warning(t, 4, CVC)
				wantChanges(t, w, warning.Change{Field: "customer_name", Old: "Acme", New: "Acme Corp"})
				wantParam(t, w, "first_row", "2")
				wantChanges(t, r.warning(t, 7, CVC), warning.Change{Field: "vat_number", Old: "FR98765432109", New: "FR12345678901"})
				wantParam(t, r.warning(t, 7, CVC), "first_row", "6")
			}},
		{name: "address repeated", rows: []cells{
			{"A": "C1", "B": "x", "D": "A1", "G": "Paris"}, {"A": "C1", "D": "a1", "G": "Lyon"},
			{"A": "C1", "D": "A1", "H": "69001"}, {"A": "C1", "D": "A1", "G": "Lyon"}, {"A": "C2", "B": "y", "D": "A1", "G": "Nice"},
			{"A": "C1", "D": "A1", "H": "1000", "J": "BE"}},
			want: map[int][]warning.Code{3: {AR}, 7: {AR}},
			check: func(t *testing.T, r result) {
				w := r.warning(t, 3, AR)
				wantChanges(t, w, warning.Change{Field: "city", Old: "Paris", New: "Lyon"})
				wantParam(t, w, "first_row", "2")
				wantChanges(t, r.warning(t, 7, AR), warning.Change{Field: "postal_code", Old: "69001", New: "1000"})
				if s := r.summary; s.AddressesNew != 2 || s.CustomersNew != 2 {
					t.Errorf("summary %+v", s)
				}
			}},
		{name: "contact repeated", rows: []cells{
			{"A": "C1", "B": "x", "L": "Jean", "M": "01"}, {"A": "C1", "L": "JEAN", "M": "02"}, {"A": "C1", "L": "jean", "N": "j@x.fr"},
			{"A": "C1", "L": "Marie", "M": "01"}},
			want: map[int][]warning.Code{3: {KR}},
			check: func(t *testing.T, r result) {
				wantChanges(t, r.warning(t, 3, KR), warning.Change{Field: "contact_phone", Old: "01", New: "02"})
				if s := r.summary; s.ContactsNew != 2 {
					t.Errorf("summary %+v", s)
				}
			}},
		{name: "country converted", rows: []cells{
			{"A": "C1", "B": "x", "D": "A1", "J": "Royaume-Uni"}, {"A": "C1", "D": "A2", "J": "Alemanha"},
			{"A": "C1", "D": "A3", "J": "germany"}, {"A": "C1", "D": "A4", "J": " ALLEMAGNE\u00a0"},
			{"A": "C1", "D": "A5", "J": "Etats Unis"}, {"A": "C1", "D": "A6", "J": "UK"}, {"A": "C1", "D": "A7", "J": "de"}},
			want: map[int][]warning.Code{2: {CC}, 3: {CC}, 4: {CC}, 5: {CC}, 6: {CC}},
			check: func(t *testing.T, r result) {
				for row, want := range map[int]string{2: "GB", 3: "DE", 4: "DE", 5: "DE", 6: "US"} {
					wantParam(t, r.warning(t, row, CC), "to", want)
					if got := r.record(t, row).Address.Country; got != want {
						t.Errorf("row %d country %q, want %q", row, got, want)
					}
				}
				if got := r.record(t, 7).Address.Country; got != "GB" {
					t.Errorf("UK → %q", got)
				}
			}},
		{name: "yes/no words", rows: []cells{
			{"A": "C1", "B": "x", "D": "A1", "K": "peut-être"}, {"A": "C1", "D": "A2", "K": "Oui"},
			{"A": "C2", "B": "y", "L": "a", "O": "Não"}, {"A": "C2", "L": "b", "O": "NAO"}, {"A": "C2", "L": "c", "O": "Sim"},
			{"A": "C3", "B": "z", "L": "a", "O": "Vrai"}, {"A": "C3", "L": "b", "O": "falso"}, {"A": "C4", "B": "w", "L": "a", "O": "X"},
			{"A": "C5", "B": "v", "L": "a", "O": "maybe"}},
			want: map[int][]warning.Code{2: {FU}, 10: {FU}},
			check: func(t *testing.T, r result) {
				if r.record(t, 2).Address.IsDefault || !r.record(t, 3).Address.IsDefault {
					t.Error("K: peut-être must read no, Oui yes")
				}
				for row, want := range map[int]bool{4: false, 5: false, 6: true, 7: true, 8: false, 9: true, 10: false} {
					if got := r.record(t, row).Contact.IsDefault; got != want {
						t.Errorf("row %d: contact default %v, want %v", row, got, want)
					}
				}
			}},
		{name: "multiple default addresses", rows: []cells{
			{"A": "C1", "B": "x", "D": "A1", "K": "Oui"}, {"A": "C1", "D": "A2", "K": "Non"}, {"A": "c1", "D": "A2", "K": "yes"},
			{"A": "C1", "D": "A3", "K": "1"}, {"A": "C2", "B": "y", "D": "A1", "K": "Oui"}},
			want:  map[int][]warning.Code{4: {MDA}, 5: {MDA}},
			check: func(t *testing.T, r result) { wantParam(t, r.warning(t, 5, MDA), "first_row", "2") }},
		{name: "multiple default contacts", rows: []cells{
			{"A": "C1", "B": "x", "L": "a", "O": "Oui"}, {"A": "C1", "L": "b"}, {"A": "C1", "L": "c", "O": "true"}},
			want: map[int][]warning.Code{4: {MDC}}},
		{name: "postal code padded", rows: []cells{
			{"A": "C1", "B": "x", "D": "A1", "H": "1000", "J": "FR"}, {"A": "C1", "D": "A2", "H": "1000", "J": "BE"},
			{"A": "C1", "D": "A3", "H": "1000", "J": "France"}, {"A": "C1", "D": "A4", "H": "75001", "J": "FR"},
			{"A": "C1", "D": "A5", "H": "1000"}, {"A": "C1", "D": "A6", "H": "1000A", "J": "US"},
			{"A": "C1", "D": "A7", "H": "501", "J": "it"}},
			want: map[int][]warning.Code{2: {PCP}, 4: {PCP, warning.CountryConverted}, 8: {PCP}},
			check: func(t *testing.T, r result) {
				wantParam(t, r.warning(t, 2, PCP), "to", "01000")
				for row, want := range map[int]string{2: "01000", 3: "1000", 4: "01000", 6: "1000", 8: "00501"} {
					if got := r.record(t, row).Address.PostalCode; got != want {
						t.Errorf("row %d postal code %q, want %q", row, got, want)
					}
				}
			}},
		{name: "vat format", rows: []cells{
			{"A": "C1", "B": "x", "C": "FR 12 345 678 901"}, {"A": "C2", "B": "x", "C": "FR123"}, {"A": "C3", "B": "x", "C": "12345"},
			{"A": "C4", "B": "x", "C": "EL123456789"}, {"A": "C5", "B": "x", "C": "EL12345"}, {"A": "C6", "B": "x", "C": "GR123"},
			{"A": "C7", "B": "x", "C": "DE-123.456.789"}, {"A": "C8", "B": "x", "C": "CHE-123.456.789 MWST"},
			{"A": "C9", "B": "x", "C": "NO 123456789 MVA"}, {"A": "C10", "B": "x", "C": "nl123456789b01"},
			{"A": "C11", "B": "x", "C": "ATU1234567"}, {"A": "C12", "B": "x", "C": "GB123456789"}, {"A": "C13", "B": "x", "C": "IE1234567WA"}},
			want: map[int][]warning.Code{3: {VFS}, 6: {VFS}, 12: {VFS}},
			check: func(t *testing.T, r result) {
				wantParam(t, r.warning(t, 3, VFS), "country", "FR")
				if v := r.record(t, 2).VAT; v != "FR 12 345 678 901" {
					t.Errorf("VAT stored as %q", v)
				}
			}},
	}
}

func TestYellowCodes(t *testing.T) { runCodeCases(t, yellowCases()) }
