package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"intake/jobs/rules"
	"intake/jobs/sheet"
)

func langs() []string { return []string{"fr", "en", "pt"} }

func templateHeaders(lang string) []string {
	var h []string
	for f := range sheet.NumFields {
		h = append(h, f.Header(lang))
	}
	return h
}

func TestTemplateCSV(t *testing.T) {
	for _, lang := range langs() {
		var buf bytes.Buffer
		if err := WriteTemplate(&buf, CSV, lang); err != nil {
			t.Fatal(err)
		}
		want := "\uFEFF" + strings.Join(templateHeaders(lang), string(Delimiter(lang))) + "\n"
		// Headers holding the delimiter or a quote would be quoted; none does.
		if got := buf.String(); got != want {
			t.Errorf("%s: %q\nwant %q", lang, got, want)
		}
		r, err := sheet.Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()), sheet.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		for f := range sheet.NumFields {
			if r.Header().Index(f) != int(f) {
				t.Errorf("%s: %s is column %d", lang, f.Name(), r.Header().Index(f))
			}
		}
		if len(r.HeaderWarnings()) != 0 || r.Delimiter() != Delimiter(lang) {
			t.Errorf("%s: warnings %v, delimiter %q", lang, r.HeaderWarnings(), r.Delimiter())
		}
		r.Close()
	}
	if Delimiter("fr") != ';' || Delimiter("pt") != ';' || Delimiter("en") != ',' || Delimiter("de") != ',' {
		t.Error("delimiters")
	}
}

// openXLSX reopens a written workbook.
func openXLSX(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestTemplateXLSX(t *testing.T) {
	for _, lang := range langs() {
		t.Run(lang, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTemplate(&buf, XLSX, lang); err != nil {
				t.Fatal(err)
			}
			f := openXLSX(t, buf.Bytes())
			data, help, countries := templateSheets()
			if got := f.GetSheetList(); !slices.Equal(got, []string{data.in(lang), help.in(lang), countries.in(lang)}) {
				t.Fatalf("sheets %v", got)
			}
			name := data.in(lang)
			rows, err := f.GetRows(name)
			if err != nil || len(rows) != 1 || !slices.Equal(rows[0], templateHeaders(lang)) {
				t.Fatalf("data sheet rows %q, %v: want the headers alone", rows, err)
			}
			if p, _ := f.GetPanes(name); !p.Freeze || p.YSplit != 1 {
				t.Errorf("panes %+v", p)
			}
			// Every column is formatted as text.
			for fl := range sheet.NumFields {
				id, _ := f.GetColStyle(name, fl.TemplateLetter())
				if st, _ := f.GetStyle(id); st == nil || st.NumFmt != textFormat {
					t.Errorf("column %s is not text: %+v", fl.TemplateLetter(), st)
				}
			}
			if cs, _ := f.GetComments(name); len(cs) != int(sheet.NumFields) {
				t.Errorf("%d header comments", len(cs))
			}
			dvs, err := f.GetDataValidations(name)
			if err != nil {
				t.Fatal(err)
			}
			yes, no := rules.YesNo(lang)
			byCol := map[string]*excelize.DataValidation{}
			for _, dv := range dvs {
				byCol[dv.Sqref[:1]] = dv
			}
			for _, col := range []string{"K", "O"} {
				if dv := byCol[col]; dv == nil || dv.Type != "list" || dv.Formula1 != `"`+yes+","+no+`"` || dv.Sqref != col+"2:"+col+"1048576" {
					t.Errorf("yes/no dropdown of %s: %+v", col, dv)
				}
			}
			if dv := byCol["J"]; dv == nil || dv.Type != "list" || dv.Formula1 != countryListName {
				t.Errorf("country dropdown: %+v", dv)
			}
			if dv := byCol["B"]; dv == nil || dv.Type != "textLength" || dv.Formula2 != "200" {
				t.Errorf("name length: %+v", dv)
			}
			var ref string
			for _, dn := range f.GetDefinedName() {
				if dn.Name == countryListName {
					ref = dn.RefersTo
				}
			}
			if want := "'" + countries.in(lang) + "'!$A$2:$A$250"; ref != want {
				t.Errorf("country list refers to %q, want %q", ref, want)
			}
			codes, _ := f.GetCols(countries.in(lang))
			if len(codes) < 2 || len(codes[0]) != 250 || codes[0][1] != "AD" || !slices.Contains(codes[0], "GB") {
				t.Errorf("country sheet: %d columns", len(codes))
			}
			// The instructions explain every column with an example.
			text, _ := f.GetRows(help.in(lang))
			all := ""
			for _, r := range text {
				all += strings.Join(r, "\t") + "\n"
			}
			for fl := range sheet.NumFields {
				if !strings.Contains(all, fl.Header(lang)+"\t") || !strings.Contains(all, fillWords(fieldHelp(fl).in(lang), lang)) {
					t.Errorf("the instructions lack %s", fl.Name())
				}
			}
			if strings.ContainsAny(all, "{}") {
				t.Errorf("a placeholder is left in the instructions:\n%s", all)
			}
		})
	}
}

// TestTemplateRoundTrip fills the template as a user would, with the
// examples of the instructions, and reads it back: no warning at all.
func TestTemplateRoundTrip(t *testing.T) {
	for _, lang := range langs() {
		var buf bytes.Buffer
		if err := WriteTemplate(&buf, XLSX, lang); err != nil {
			t.Fatal(err)
		}
		f := openXLSX(t, buf.Bytes())
		name := f.GetSheetList()[0]
		for fl := range sheet.NumFields {
			for row, v := range []string{fieldExample(fl, lang), fieldExample(fl, lang)} {
				if fl == sheet.CustomerCode && row == 1 {
					v = "C002"
				}
				if err := f.SetCellStr(name, fl.TemplateLetter()+string(rune('2'+row)), v); err != nil {
					t.Fatal(err)
				}
			}
		}
		var filled bytes.Buffer
		if err := f.Write(&filled); err != nil {
			t.Fatal(err)
		}
		r, err := sheet.Open(bytes.NewReader(filled.Bytes()), int64(filled.Len()), sheet.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		if len(r.HeaderWarnings()) != 0 {
			t.Errorf("%s: header warnings %v", lang, r.HeaderWarnings())
		}
		norm := rules.NewNormalizer(r.Header())
		n := 0
		for {
			row, err := r.Next()
			if err != nil {
				break
			}
			n++
			if _, ws := norm.Row(row); len(ws) != 0 {
				t.Errorf("%s row %d: %+v", lang, row.Num, ws)
			}
		}
		r.Close()
		if n != 2 {
			t.Errorf("%s: %d rows read", lang, n)
		}
	}
}
