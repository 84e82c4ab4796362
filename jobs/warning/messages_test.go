package warning

import (
	"strings"
	"testing"
)

// TestEveryCodeHasEveryLanguage fails when a code of the catalogue or an
// application error code lacks a message in one of the languages (the raw
// tables are checked, so an English fallback cannot hide a gap).
func TestEveryCodeHasEveryLanguage(t *testing.T) {
	files := fileTexts()
	for _, e := range Catalog() {
		tx, ok := rowText(e.Code)
		if e.Severity == SeverityFile {
			if ok {
				t.Errorf("%s: a file code among the row messages", e.Code)
			}
			tx, ok = files[e.Code]
		}
		if !ok {
			t.Errorf("%s (%s): no message", e.Code, e.Severity)
			continue
		}
		for _, lang := range Langs() {
			if strings.TrimSpace(tx.in(lang)) == "" {
				t.Errorf("%s: no %s message", e.Code, lang)
			}
			if m := Message(lang, Warning{Row: 2, Code: e.Code}); m == "" || strings.ContainsAny(m, "{}[]") {
				t.Errorf("%s/%s: Message = %q", e.Code, lang, m)
			}
		}
	}
	for code := range files {
		if code.Severity() != SeverityFile {
			t.Errorf("%s: a file message for a code the catalogue does not list as a file code", code)
		}
	}

	app := []string{"not_found", "invalid_state", "unskipped_errors", "name_missing", "invalid_rows",
		"invalid_request", "unauthorized", "file_too_large", "file_deleted", "internal", "too_many_requests", "method_not_allowed"}
	problems := problemTexts()
	for _, code := range app {
		p, ok := problems[code]
		if !ok {
			t.Errorf("app code %s: no title or detail", code)
			continue
		}
		for _, lang := range Langs() {
			if p.title.in(lang) == "" || p.detail.in(lang) == "" {
				t.Errorf("app code %s: no %s title or detail", code, lang)
			}
			if ProblemTitle(lang, code) == "" || ProblemDetail(lang, code) == "" {
				t.Errorf("app code %s/%s: empty title or detail", code, lang)
			}
		}
	}
	if got := len(ProblemCodes()); got != len(app) {
		t.Errorf("ProblemCodes() has %d codes, the test knows %d", got, len(app))
	}
}

func TestMessageParams(t *testing.T) {
	tests := []struct {
		name, lang string
		w          Warning
		want       []string
	}{
		{"too_long max", "en", Warning{Code: TooLong, Field: "customer_name",
			Params: map[string]string{"field": "customer_name", "max": "200"}},
			[]string{"customer_name", "200"}},
		{"too_long fr", "fr", Warning{Code: TooLong, Field: "vat_number",
			Params: map[string]string{"field": "vat_number", "max": "32"}},
			[]string{"vat_number", "32 caractères"}},
		{"customer_exists changes", "en", Warning{Code: CustomerExists, Value: "C1",
			Changes: []Change{{Field: "customer_name", Old: "Old", New: "New"}, {Field: "vat_number", New: "FR1"}}},
			[]string{`"C1"`, `customer_name: "Old" → "New"`, `vat_number: "" → "FR1"`}},
		{"customer_exists pt", "pt", Warning{Code: CustomerExists, Value: "C1",
			Changes: []Change{{Field: "default_address", Old: "A1", New: "A2"}}},
			[]string{"já existe", `default_address: "A1" → "A2"`}},
		{"country_converted to", "fr", Warning{Code: CountryConverted, Field: "country", Value: "Allemagne",
			Params: map[string]string{"to": "DE"}},
			[]string{`"Allemagne"`, "code DE"}},
		{"postal_code_padded to", "pt", Warning{Code: PostalCodePadded, Value: "1000", Params: map[string]string{"to": "01000"}},
			[]string{`"1000"`, "01000"}},
		{"unknown_column header", "en", Warning{Row: 1, Code: UnknownColumn, Params: map[string]string{"header": "Fax"}},
			[]string{`"Fax"`}},
		{"repeat first row", "en", Warning{Code: AddressRepeated, Value: "A1", Params: map[string]string{"first_row": "7"},
			Changes: []Change{{Field: "city", Old: "Lyon", New: "Paris"}}},
			[]string{"row 7", `city: "Lyon" → "Paris"`}},
		{"vat country", "en", Warning{Code: VATFormatSuspect, Value: "FR12", Params: map[string]string{"country": "FR"}},
			[]string{`"FR12"`, " FR;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Message(tt.lang, tt.w)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Message = %q, want it to contain %q", got, w)
				}
			}
			if strings.ContainsAny(got, "{}[]") {
				t.Errorf("Message = %q: a placeholder is left", got)
			}
		})
	}
}

func TestMessageOptionalSegments(t *testing.T) {
	got := Message("en", Warning{Code: CustomerExists})
	if got != "The customer already exists and will be updated." {
		t.Errorf("without value or changes: %q", got)
	}
	long := strings.Repeat("x", 500)
	if got := Message("en", Warning{Code: EmailInvalid, Value: long}); len(got) > 200 || !strings.Contains(got, "…") {
		t.Errorf("a long value is not shortened: %q", got)
	}
	if got := Message("de", Warning{Code: CodeMissing}); got != Message("en", Warning{Code: CodeMissing}) {
		t.Errorf("unknown language: %q", got)
	}
}

func TestFileMessage(t *testing.T) {
	detail := `columns C ("TVA") and F ("NIF") both name the field vat_number; keep one of them`
	if got := FileMessage("en", DuplicateColumn, detail); got != detail {
		t.Errorf("en keeps the detail: %q", got)
	}
	if got := FileMessage("fr", DuplicateColumn, detail); !strings.Contains(got, "Deux colonnes") {
		t.Errorf("fr: %q", got)
	}
	if got := FileMessage("pt", Code("unskipped_errors"), "some rows"); !strings.Contains(got, "linhas com erros") {
		t.Errorf("an app code: %q", got)
	}
	if got := FileMessage("fr", Code("something_new"), "it broke"); got != "it broke" {
		t.Errorf("unknown code: %q", got)
	}
	for _, lang := range Langs() {
		if FileMessage(lang, NoData, "") == "" {
			t.Errorf("%s: empty", lang)
		}
	}
}

func TestLang(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "en"},
		{"fr", "fr"},
		{"FR", "fr"},
		{"pt", "pt"},
		{"fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", "fr"},
		{"fr-CA", "fr"},
		{"pt-BR", "pt"},
		{"pt-PT,pt;q=0.9", "pt"},
		{"en-GB", "en"},
		{"en;q=0.1, fr;q=0.9", "fr"},
		{"de-DE, pt;q=0.5", "pt"},
		{"de", "en"},
		{"ja, zh;q=0.8", "en"},
		{"*", "en"},
		{"fr;q=0", "en"},
		{";;;garbage===", "en"},
	}
	for _, tt := range tests {
		if got := Lang(tt.in); got != tt.want {
			t.Errorf("Lang(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
