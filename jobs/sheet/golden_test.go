package sheet

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"intake/jobs/warning"
)

var update = flag.Bool("update", false, "rewrite the fixtures and golden files under testdata/sheet")

// fixtureDir holds the committed fixtures and their golden files.
const fixtureDir = "../../testdata/sheet"

// csvFixtures are the CSV fixtures, byte for byte: one per encoding and
// delimiter, plus quoting and blank rows.
func csvFixtures() map[string][]byte {
	fr := strings.Join(customerHeader("fr"), ";")
	return map[string][]byte{
		"utf8_comma.csv": []byte("Code client,Nom du client,Numéro de TVA,Ville,Code postal,Pays\n" +
			"C001,Société Générale,FR47552120222,Orléans,45000,FR\n" +
			"C002,Crème & Brûlée SARL,,Besançon,25000,fr\n"),
		"utf8bom_semicolon_crlf.csv": []byte("\xef\xbb\xbfCustomer code;Customer name;City;Postal code;Country\r\n" +
			"C001;Smith & Sons Ltd;London;SW1A 1AA;UK\r\n" +
			"C002;Müller GmbH;München;80331;DE\r\n"),
		"utf16le_tab.csv": utf16Bytes("Código do cliente\tNome do cliente\tLocalidade\tCódigo postal\tPaís\r\n"+
			"C001\tConstruções São João, Lda\tLisboa\t1000-001\tPT\r\n"+
			"C002\tAçores Pescas\tPonta Delgada\t9500-150\tPT\r\n", false),
		"utf16be_semicolon.csv": utf16Bytes("Code client;Nom du client;Nom du contact;Téléphone du contact\n"+
			"C001;Ébénisterie Noël;Zoë Lefèvre;+33 1 23 45 67 89\n", true),
		"cp1252_semicolon.csv": []byte("Code client;Nom du client;Num\xe9ro de TVA;Est l'adresse par d\xe9faut;Adresse Code;Adresse\r\n" +
			"C001;Soci\xe9t\xe9 \x80uro\x99;FR47552120222;Oui;A1;12 rue de l\x92\xc9glise\r\n"),
		"utf8_pipe_synonyms.csv": []byte("Code|Raison sociale|N° TVA|Zip code|Town|E-mail|Téléphone|Notes|\n" +
			"C001|Dupont SA|FR47552120222|01000|Bourg-en-Bresse|contact@dupont.fr|04 74 00 00 00|VIP|\n"),
		"quoted_multiline_crlf.csv": []byte("Code client,Nom du client,Adresse,Nom du contact\r\n" +
			"C001,\"Dupont \"\"Père & Fils\"\"\",\"12 rue des Lilas\r\nBâtiment B\r\n3e étage\",\"Martin, Jean\"\r\n" +
			"C002,\"Durand, SA\",\"\",\r\n" +
			"\"C003\",Petit,\"a \"\"quoted\"\" word\",\"\"\r\n"),
		"blank_rows.csv": []byte(fr + "\n" +
			"C001;Dupont;;;;;;;;;;;;;\n" +
			";;;;;;;;;;;;;;\n" +
			"\n" +
			" ; \u00a0;;;;;;;;;;;;;\n" +
			"C001;;;A2;;2 rue B;Lyon;69002;;FR;Oui;;;;\n" +
			"\n" +
			"C002;Durand\n"),
	}
}

// xlsxFixtures writes the xlsx fixtures with excelize.
func xlsxFixtures(t *testing.T) map[string][]byte {
	fr := xlsxBytes(t, func(f *excelize.File) {
		zip5, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("00000")})
		money, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.00")})
		hdr := make([]any, NumFields)
		for i, h := range customerHeader("fr") {
			hdr[i] = h
		}
		setRows(t, f, "Sheet1", map[int][]any{
			1: hdr,
			2: {"C001", "Société Générale", "FR47552120222", "A1", "Siège", "1 rue A", "Bourg", 1000, "", "FR", "Oui", "Jean", 33612345678.0, "j@sg.fr", true},
			// rows 3–4 absent
			5: {"C002", "ESCAPE_ME", "", "", "", "", "", "", "", "", "", "", "", "", ""},
			6: {"\u00a0", " ", ""}, // blank: NBSP and spaces only
			8: {"C003", "LITERAL_ME", nil, nil, nil, nil, nil, 12.5, nil, "pt"},
		})
		f.SetCellStyle("Sheet1", "H2", "H2", zip5)
		f.SetCellStyle("Sheet1", "H8", "H8", money)
	})
	// A _xHHHH_ escape as Excel writes it for a character XML cannot hold.
	fr = replaceInZip(t, fr, "xl/sharedStrings.xml", "ESCAPE_ME", "Tab_x0009_and_x0041_")
	// A literal "_x0042_", which Excel writes with its underscore escaped.
	fr = replaceInZip(t, fr, "xl/sharedStrings.xml", "LITERAL_ME", "literal _x005F_x0042_ kept")

	stream := xlsxBytesStream(t)
	return map[string][]byte{"customers_fr.xlsx": fr, "stream_en_formulas.xlsx": stream}
}

// xlsxBytesStream writes a workbook with excelize's StreamWriter: inline
// strings, formulas with cached values, rows not adjacent.
func xlsxBytesStream(t *testing.T) []byte {
	return xlsxBytes(t, func(f *excelize.File) {
		zip5, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("00000")})
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		rows := []struct {
			cell string
			vals []any
		}{
			{"A1", []any{"Customer code", "Customer name", "Postal code", "Address code", "Address", "Contact email", "Comment"}},
			{"A2", []any{"C001", excelize.Cell{Formula: `"Dupont"&" SA"`, Value: "Dupont SA"}, excelize.Cell{StyleID: zip5, Value: 1000}, "A1", "1 rue A", "a@b.fr", "x"}},
			{"A4", []any{"C002", "Durand", excelize.Cell{StyleID: zip5, Formula: "500*2", Value: 1000}, nil, nil, excelize.Cell{Formula: "LOWER(\"A@B.FR\")", Value: "a@b.fr"}}},
			{"A7", []any{excelize.Cell{Formula: `"C"&"003"`, Value: "C003"}, "Petit", "75001"}},
		}
		for _, r := range rows {
			if err := sw.SetRow(r.cell, r.vals); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			t.Fatal(err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestGenerateFixtures rewrites the fixtures with -update; otherwise it
// checks that the committed CSV fixtures are what csvFixtures says.
func TestGenerateFixtures(t *testing.T) {
	if !*update {
		for name, want := range csvFixtures() {
			got, err := os.ReadFile(filepath.Join(fixtureDir, name))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s differs from csvFixtures (%v); run go test ./jobs/sheet -update", name, err)
			}
		}
		return
	}
	if err := os.MkdirAll(fixtureDir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := csvFixtures()
	for name, b := range xlsxFixtures(t) {
		files[name] = b
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(fixtureDir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// golden is what reading a fixture gives, as stored in its .golden file.
type golden struct {
	Format         Format            `json:"format"`
	Encoding       Encoding          `json:"encoding,omitempty"`
	Delimiter      string            `json:"delimiter,omitempty"`
	Columns        []goldenColumn    `json:"columns"`
	HeaderWarnings []warning.Warning `json:"header_warnings,omitempty"`
	Rows           []goldenRow       `json:"rows"`
	Error          string            `json:"error,omitempty"`
}

type goldenRow struct {
	Num   int      `json:"num"`
	Cells []string `json:"cells"`
}

type goldenColumn struct {
	Letter string `json:"letter"`
	Header string `json:"header"`
	Field  string `json:"field,omitempty"`
}

func TestGolden(t *testing.T) {
	if *update {
		// The fixtures must exist before their goldens are read.
		TestGenerateFixtures(t)
	}
	paths, _ := filepath.Glob(filepath.Join(fixtureDir, "*.csv"))
	xlsx, _ := filepath.Glob(filepath.Join(fixtureDir, "*.xlsx"))
	paths = append(paths, xlsx...)
	if len(paths) < 10 {
		t.Fatalf("only %d fixtures in %s; run go test ./jobs/sheet -update", len(paths), fixtureDir)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			r, err := OpenFile(path, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			g := golden{Format: r.Format(), Encoding: r.Encoding(), HeaderWarnings: r.HeaderWarnings(), Rows: []goldenRow{}}
			if d := r.Delimiter(); d != 0 {
				g.Delimiter = string(d)
			}
			for _, c := range r.Header().Columns {
				g.Columns = append(g.Columns, goldenColumn{c.Letter, c.Header, c.Field.Name()})
			}
			for {
				row, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					g.Error = err.Error()
					break
				}
				g.Rows = append(g.Rows, goldenRow{row.Num, row.Cells})
			}
			got, _ := json.MarshalIndent(g, "", "  ")
			got = append(got, '\n')
			gpath := path + ".golden"
			if *update {
				if err := os.WriteFile(gpath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gpath)
			if err != nil {
				t.Fatalf("%v; run go test ./jobs/sheet -update", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n%s", path, gpath, got)
			}
		})
	}
}
