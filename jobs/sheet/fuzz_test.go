package sheet

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"intake/jobs/warning"
)

// FuzzCSV feeds arbitrary bytes through Open and Next: no panic, and every
// error is a FileError (the input is in memory: there is no I/O to fail).
func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"Code client;Nom du client\nC1;Dupont\n",
		"Code client,Nom du client\r\n\"C1\",\"Du\"\"pont\nX\"\r\n,\r\n",
		"Code client\tNom du client\n\n \u00a0\t\nC1\tD",
		"Code client|Nom du client|Ville|Notes\nC1|D\n",
		"\xef\xbb\xbfCode client;Nom du client\nC1;\"unterminated\n",
		"Code client;Nom du client\nC1;Soci\xe9t\xe9\n",
		"\n\nCode client;Nom du client\n",
		"Code client;Nom;Nom du client\n",
		"Code client;Nom du client;Statut de l'import\nC1;'=1+1;OK\n;;Erreur\n'\t;'-;\n",
		"%PDF-1.4",
		"PK\x03\x04garbage",
		"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Add(utf16Bytes("Code client;Nom du client\r\nC1;Dupont\r\n", false))
	f.Add(utf16Bytes("Code client;Nom du client\nC1;Dupont", true))
	paths, _ := filepath.Glob(filepath.Join(fixtureDir, "*.csv"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxRows: 50, MaxRecordBytes: 4096}
		r, err := Open(bytes.NewReader(data), int64(len(data)), lim)
		checkOpened(t, r, err)
	})
}

// FuzzHeader checks NewHeader on arbitrary cells, and that every canonical
// header, in any case, with or without accents and with punctuation and
// spacing added, still names its field.
func FuzzHeader(f *testing.F) {
	f.Add("Code client\tNom du client\tVille", uint32(0))
	f.Add("Customer code\tCustomer name\tCustomer code", uint32(7))
	f.Add("Nom du client\tPays", uint32(44))
	f.Add("\t \u00a0\tfoo", uint32(1<<31))
	f.Add("ÉTAT\tEst l’adresse par défaut", uint32(12345))
	f.Add("Code client\tNom du client\tStatut de l'import\tMessages de l'import", uint32(3))
	f.Fuzz(func(t *testing.T, row string, variant uint32) {
		cells := strings.Split(row, "\t")
		h, ws, err := NewHeader(cells)
		if err != nil {
			fe, ok := warning.AsFileError(err)
			if !ok || (fe.Code != warning.NoHeader && fe.Code != warning.MissingRequiredColumns && fe.Code != warning.DuplicateColumn) {
				t.Fatalf("NewHeader error %v", err)
			}
		} else {
			if !h.Has(CustomerCode) || !h.Has(CustomerName) || len(h.Columns) != len(cells) {
				t.Fatalf("header %+v", h.Columns)
			}
			unknown := 0
			for i, c := range h.Columns {
				if c.Field != NoField && h.Index(c.Field) != i {
					t.Fatalf("column %d names %s, indexed at %d", i, c.Field.Name(), h.Index(c.Field))
				}
				if c.Field == NoField && !c.Report && strings.TrimSpace(c.Header) != "" {
					unknown++
				}
				if c.Report && (c.Field != NoField || !h.IsReport()) {
					t.Fatalf("report column %d: field %s, IsReport %v", i, c.Field.Name(), h.IsReport())
				}
			}
			if unknown != len(ws) {
				t.Fatalf("%d unknown columns, %d warnings", unknown, len(ws))
			}
		}

		// Round trip: derive a variant of one canonical header from the
		// fuzzed input and match it.
		fld := Field(variant % uint32(NumFields))
		lang := []string{"fr", "en", "pt"}[variant/uint32(NumFields)%3]
		want := fld.Header(lang)
		got := headerVariant(want, variant, row)
		if m := MatchHeader(got); m != fld {
			t.Fatalf("MatchHeader(%q) = %q, a variant of %q (%s)", got, m.Name(), want, fld.Name())
		}
	})
}

// headerVariant rewrites h as a user might: case changed letter by letter,
// accents dropped or not, and punctuation or spaces (taken from noise, when
// they are such) inserted between characters.
func headerVariant(h string, bits uint32, noise string) string {
	var fill []rune
	for _, r := range noise {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || r == '’' || r == '\'' {
			fill = append(fill, r)
		}
	}
	if bits&(1<<20) != 0 {
		var b strings.Builder
		for _, r := range norm.NFD.String(h) {
			if !unicode.Is(unicode.Mn, r) {
				b.WriteRune(r)
			}
		}
		h = b.String()
	}
	var b strings.Builder
	for i, r := range []rune(h) {
		if bits>>(uint(i)%32)&1 != 0 {
			r = unicode.ToUpper(r)
		} else {
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
		if len(fill) > 0 && (bits>>(uint(i+7)%32))&1 != 0 {
			b.WriteRune(fill[i%len(fill)])
		}
	}
	return " " + b.String() + "\u00a0"
}
