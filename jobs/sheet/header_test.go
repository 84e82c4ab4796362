package sheet

import (
	"reflect"
	"strings"
	"testing"

	"intake/jobs/warning"
)

func TestMatchHeaderCanonical(t *testing.T) {
	for _, lang := range []string{"fr", "en", "pt"} {
		for f := Field(0); f < NumFields; f++ {
			if got := MatchHeader(f.Header(lang)); got != f {
				t.Errorf("%s %q: got %v, want %v", lang, f.Header(lang), got.Name(), f.Name())
			}
		}
	}
}

func TestMatchHeader(t *testing.T) {
	tests := []struct {
		in   string
		want Field
	}{
		// Folding: case, accents, apostrophes, punctuation, white space.
		{"CODE CLIENT", CustomerCode},
		{"  code\u00a0client ", CustomerCode},
		{"Code-Client", CustomerCode},
		{"customer_code", CustomerCode},
		{"Numero de TVA", VATNumber},
		{"NUMÉRO DE TVA", VATNumber},
		{"Est l’adresse par défaut", AddressIsDefault},
		{"Est l'adresse par defaut", AddressIsDefault},
		{"est ladresse par défaut ?", AddressIsDefault},
		{"Codigo do cliente", CustomerCode},
		{"TÉLÉPHONE DU CONTACT", ContactPhone},
		{"Adresse e-mail du contact", ContactEmail},
		{"Adresse email du contact", ContactEmail},
		{"Pais", Country},
		{"Etat", State},
		{"Nº TVA", VATNumber},
		{"N° TVA", VATNumber},
		{"n.t.v.a.", VATNumber},
		{"Ｃｏｄｅ ｃｌｉｅｎｔ", CustomerCode}, // full-width forms fold by NFKD
		// Synonyms, per field.
		{"Code", CustomerCode},
		{"Client", CustomerCode},
		{"Customer", CustomerCode},
		{"Customer ID", CustomerCode},
		{"Customer number", CustomerCode},
		{"N° client", CustomerCode},
		{"Name", CustomerName},
		{"Nom", CustomerName},
		{"Company", CustomerName},
		{"Raison sociale", CustomerName},
		{"Société", CustomerName},
		{"VAT", VATNumber},
		{"VAT ID", VATNumber},
		{"TVA", VATNumber},
		{"Code TVA", VATNumber},
		{"TVA intracommunautaire", VATNumber},
		{"NIF", VATNumber},
		{"NIPC", VATNumber},
		{"Contribuinte", VATNumber},
		{"Tax ID", VATNumber},
		{"Code adresse", AddressCode},
		{"Nom de l'adresse", AddressName},
		{"Adresse", Address},
		{"Address line", Address},
		{"Street", Address},
		{"Rue", Address},
		{"Rua", Address},
		{"Town", City},
		{"Commune", City},
		{"Cidade", City},
		{"Zip", PostalCode},
		{"Zip code", PostalCode},
		{"ZIP/Postal code", PostalCode},
		{"CP", PostalCode},
		{"Postcode", PostalCode},
		{"Código postal", PostalCode},
		{"Province", State},
		{"Region", State},
		{"Région", State},
		{"Distrito", State},
		{"Country code", Country},
		{"Pays (code)", Country},
		{"Default address", AddressIsDefault},
		{"Contact", ContactName},
		{"Phone", ContactPhone},
		{"Téléphone", ContactPhone},
		{"Telephone", ContactPhone},
		{"Tel", ContactPhone},
		{"Tél.", ContactPhone},
		{"Telefone", ContactPhone},
		{"Telemóvel", ContactPhone},
		{"Mobile", ContactPhone},
		{"E-mail", ContactEmail},
		{"Email", ContactEmail},
		{"Mail", ContactEmail},
		{"Courriel", ContactEmail},
		{"Correio eletrónico", ContactEmail},
		{"Default contact", ContactIsDefault},
		// Not template headers.
		{"", NoField},
		{"   ", NoField},
		{"Notes", NoField},
		{"Adresse ligne 2", NoField},
		{"Code client 2", NoField},
		{"Default", NoField},
		{"---", NoField},
	}
	for _, tt := range tests {
		if got := MatchHeader(tt.in); got != tt.want {
			t.Errorf("MatchHeader(%q) = %q, want %q", tt.in, got.Name(), tt.want.Name())
		}
	}
}

// A synonym that folds like a header of another field would make the
// matching depend on map order.
func TestHeaderNamesUnambiguous(t *testing.T) {
	syn := synonyms()
	seen := map[string]Field{}
	for f := Field(0); f < NumFields; f++ {
		for _, n := range headerNames(f, syn) {
			k := FoldHeader(n)
			if k == "" {
				t.Errorf("%s: %q folds to nothing", f.Name(), n)
			}
			if g, ok := seen[k]; ok && g != f {
				t.Errorf("%q names both %s and %s", n, g.Name(), f.Name())
			}
			seen[k] = f
		}
	}
}

func TestFoldHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Est l’adresse par défaut", "estladressepardefaut"},
		{"  Código\tdo  cliente ", "codigodocliente"},
		{"N° TVA", "ntva"},
		{"Nº TVA", "ntva"},
		{"E-MAIL", "email"},
		{"Ｃｏｄｅ", "code"},
	}
	for _, tt := range tests {
		if got := FoldHeader(tt.in); got != tt.want {
			t.Errorf("FoldHeader(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewHeader(t *testing.T) {
	h, ws, err := NewHeader([]string{"Notes", "Nom du client", "", "Customer code", "País", "Zip code", "Extra"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[Field]int{CustomerName: 1, CustomerCode: 3, Country: 4, PostalCode: 5}
	for f := Field(0); f < NumFields; f++ {
		i, ok := want[f]
		if !ok {
			i = -1
		}
		if h.Index(f) != i || h.Has(f) != ok {
			t.Errorf("%s: Index %d Has %v, want %d", f.Name(), h.Index(f), h.Has(f), i)
		}
	}
	if h.Letter(CustomerCode) != "D" || h.Letter(City) != "" {
		t.Errorf("Letter: %q %q", h.Letter(CustomerCode), h.Letter(City))
	}
	if h.Field(0) != NoField || h.Field(1) != CustomerName || h.Field(2) != NoField || h.Field(99) != NoField {
		t.Errorf("Field: %v %v %v", h.Field(0), h.Field(1), h.Field(2))
	}
	row := Row{Num: 2, Cells: []string{"n", "Dupont", "", "C1", "FR"}}
	if h.Value(row, CustomerCode) != "C1" || h.Value(row, PostalCode) != "" || h.Value(row, City) != "" {
		t.Errorf("Value: %q %q", h.Value(row, CustomerCode), h.Value(row, PostalCode))
	}
	if h.Index(NoField) != -1 || h.Has(NoField) || h.Value(row, NoField) != "" {
		t.Error("NoField must be absent")
	}
	wantWs := []warning.Warning{
		{Row: 1, Column: "A", Code: warning.UnknownColumn, Value: "Notes", Params: map[string]string{"header": "Notes"}},
		{Row: 1, Column: "G", Code: warning.UnknownColumn, Value: "Extra", Params: map[string]string{"header": "Extra"}},
	}
	if !reflect.DeepEqual(ws, wantWs) {
		t.Errorf("warnings = %+v, want %+v", ws, wantWs)
	}
}

func TestNewHeaderFileErrors(t *testing.T) {
	tests := []struct {
		name   string
		cells  []string
		code   warning.Code
		detail []string
	}{
		{"nothing matches", []string{"Foo", "Bar"}, warning.NoHeader, []string{"Code client"}},
		{"empty row", []string{"", " "}, warning.NoHeader, nil},
		{"no cells", nil, warning.NoHeader, nil},
		{"no code", []string{"Nom du client", "Ville"}, warning.MissingRequiredColumns, []string{"customer_code", "Code client"}},
		{"no name", []string{"Code client", "Ville"}, warning.MissingRequiredColumns, []string{"customer_name", "Customer name"}},
		{"neither", []string{"Ville", "Pays"}, warning.MissingRequiredColumns, []string{"customer_code", "customer_name"}},
		{"duplicate", []string{"Code client", "Nom", "Customer code"}, warning.DuplicateColumn, []string{"A", "C", "customer_code"}},
		{"duplicate synonyms", []string{"Code client", "Nom", "Téléphone", "Mobile"}, warning.DuplicateColumn, []string{"C", "D", "contact_phone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, err := NewHeader(tt.cells)
			fe, ok := warning.AsFileError(err)
			if !ok || fe.Code != tt.code || h != nil {
				t.Fatalf("NewHeader = %v, %v; want a %s FileError", h, err, tt.code)
			}
			for _, d := range tt.detail {
				if !strings.Contains(fe.Detail, d) {
					t.Errorf("detail %q lacks %q", fe.Detail, d)
				}
			}
		})
	}
}

func TestColumnLetter(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA", 16383: "XFD"} {
		if got := ColumnLetter(i); got != want {
			t.Errorf("ColumnLetter(%d) = %q, want %q", i, got, want)
		}
	}
}
