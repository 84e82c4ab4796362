package sheet

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"intake/jobs/warning"
)

// utf16Bytes encodes s as UTF-16 with a byte order mark.
func utf16Bytes(s string, bigEndian bool) []byte {
	var b []byte
	for _, u := range append([]uint16{0xFEFF}, utf16.Encode([]rune(s))...) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return b
}

func TestCSVEncodingsAndDelimiters(t *testing.T) {
	const text = "Code client;Nom du client;Ville\nC1;Société Générale;Orléans\n"
	wantRows := []Row{{Num: 2, Cells: []string{"C1", "Société Générale", "Orléans"}}}
	tests := []struct {
		name  string
		in    []byte
		enc   Encoding
		comma rune
		rows  []Row
	}{
		{"utf-8", []byte(text), EncodingUTF8, ';', wantRows},
		{"utf-8 bom", append([]byte("\xef\xbb\xbf"), text...), EncodingUTF8BOM, ';', wantRows},
		{"utf-16le bom", utf16Bytes(text, false), EncodingUTF16LE, ';', wantRows},
		{"utf-16be bom", utf16Bytes(text, true), EncodingUTF16BE, ';', wantRows},
		{"windows-1252", []byte("Code client;Nom du client;Ville\nC1;Soci\xe9t\xe9 G\xe9n\xe9rale;Orl\xe9ans\n"), EncodingWindows1252, ';', wantRows},
		{"windows-1252 specials", []byte("Code client;Nom du client\nC1;L\x92\x80uro \x9cuvre\n"), EncodingWindows1252, ';',
			[]Row{{Num: 2, Cells: []string{"C1", "L’€uro œuvre"}}}},
		{"comma", []byte("Code client,Nom du client,Ville\nC1,Dupont,Lyon\n"), EncodingUTF8, ',', []Row{{2, []string{"C1", "Dupont", "Lyon"}}}},
		{"semicolon", []byte("Code client;Nom du client;Ville\nC1;Dupont, Fils;Lyon\n"), EncodingUTF8, ';', []Row{{2, []string{"C1", "Dupont, Fils", "Lyon"}}}},
		{"tab", []byte("Code client\tNom du client\tVille\nC1\tDupont; Fils\tLyon\n"), EncodingUTF8, '\t', []Row{{2, []string{"C1", "Dupont; Fils", "Lyon"}}}},
		{"pipe", []byte("Code client|Nom du client|Ville\nC1|Dupont, Fils; SA|Lyon\n"), EncodingUTF8, '|', []Row{{2, []string{"C1", "Dupont, Fils; SA", "Lyon"}}}},
		{"quoted delimiters in header", []byte("\"Notes, a, b, c\";Code client;Nom du client\n\"x, y\";C1;D\n"), EncodingUTF8, ';',
			[]Row{{2, []string{"x, y", "C1", "D"}}}},
		{"crlf", []byte("Code client;Nom du client\r\nC1;Dupont\r\nC2;Durand\r\n"), EncodingUTF8, ';',
			[]Row{{2, []string{"C1", "Dupont"}}, {3, []string{"C2", "Durand"}}}},
		{"no final newline", []byte("Code client,Nom du client\nC1,Dupont"), EncodingUTF8, ',', []Row{{2, []string{"C1", "Dupont"}}}},
		{"quoting and embedded newlines", []byte("Code client,Nom du client,Adresse\r\n" +
			"C1,\"Dupont \"\"&\"\" Fils\",\"1 rue A\r\nBâtiment B\nEtage 3\"\r\n" +
			"C2,\"Durand, SA\",\"\"\r\n"), EncodingUTF8, ',',
			[]Row{{2, []string{"C1", `Dupont "&" Fils`, "1 rue A\nBâtiment B\nEtage 3"}}, {3, []string{"C2", "Durand, SA", ""}}}},
		{"short and long records", []byte("Code client,Nom du client,Ville\nC1\nC2,Durand,Lyon,extra\n"), EncodingUTF8, ',',
			[]Row{{2, []string{"C1"}}, {3, []string{"C2", "Durand", "Lyon", "extra"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows, err := readAll(t, tt.in, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Format() != FormatCSV || r.Encoding() != tt.enc || r.Delimiter() != tt.comma {
				t.Errorf("format %s encoding %s delimiter %q; want csv %s %q", r.Format(), r.Encoding(), r.Delimiter(), tt.enc, tt.comma)
			}
			if !reflect.DeepEqual(rows, tt.rows) {
				t.Errorf("rows = %v\nwant %v", rows, tt.rows)
			}
			if h := r.Header(); !h.Has(CustomerCode) || !h.Has(CustomerName) {
				t.Errorf("header %+v", h.Columns)
			}
		})
	}
}

// The encoding is decided over the whole file, in chunks: a Windows-1252 byte
// far from the start still makes the file Windows-1252, and a UTF-8 rune
// split across two chunks is still valid UTF-8.
func TestCSVEncodingWholeFile(t *testing.T) {
	tests := []struct {
		name, in, last string
		enc            Encoding
	}{
		{"windows-1252 late", "Code client;Nom du client\n" + strings.Repeat("C0;Dupont\n", 40000) + "C1;Caf\xe9\n", "Café", EncodingWindows1252},
		// 26 + 26214×10 + 3 puts "é" across the 256 KiB chunk boundary.
		{"utf-8 rune across chunks", "Code client;Nom du client\n" + strings.Repeat("C0;Dupont\n", 26214) + "C1;Cé\n", "Cé", EncodingUTF8},
		{"utf-8 invalid at the end", "Code client;Nom du client\n" + strings.Repeat("C0;Dupont\n", 26214) + "C1;C\xc3", "CÃ", EncodingWindows1252},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows, err := readAll(t, []byte(tt.in), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if last := rows[len(rows)-1]; r.Encoding() != tt.enc || last.Cells[1] != tt.last {
				t.Errorf("encoding %s, last row %q; want %s, %q", r.Encoding(), last.Cells, tt.enc, tt.last)
			}
		})
	}
}

func TestCSVRowNumbers(t *testing.T) {
	in := "Code client;Nom du client\n" + // 1
		"C1;Dupont\n" + // 2
		";\n" + // 3: blank
		"\n" + // 4: empty line, a blank row in Excel
		" ; \u00a0\n" + // 5: spaces and NBSP
		"C2;\"Durand\net fils\"\n" + // 6, spanning two lines
		"C3;Martin\n" + // 7
		"\r\n" + // 8
		"C4;Petit\n" // 9
	_, rows, err := readAll(t, []byte(in), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var nums []int
	for _, r := range rows {
		nums = append(nums, r.Num)
	}
	if want := []int{2, 6, 7, 9}; !reflect.DeepEqual(nums, want) {
		t.Errorf("row numbers %v, want %v", nums, want)
	}
}

func TestCSVFileErrors(t *testing.T) {
	big := "Code client;Nom du client\nC1;" + strings.Repeat("x", 2000) + "\n"
	tests := []struct {
		name   string
		in     string
		lim    Limits
		code   warning.Code
		detail string
		rows   int // rows read before the error
	}{
		{"header only", "Code client;Nom du client\n", Limits{}, warning.NoData, "no data rows", 0},
		{"header and blank rows", "Code client;Nom du client\n;\n\n \u00a0; \n", Limits{}, warning.NoData, "no data rows", 0},
		{"only blank rows", ";;\n\n", Limits{}, warning.NoData, "no rows", 0},
		{"header not on row 1", "\nCode client;Nom du client\nC1;Dupont\n", Limits{}, warning.NoHeader, "row 1 is empty", 0},
		{"no header", "a;b\nC1;Dupont\n", Limits{}, warning.NoHeader, "", 0},
		{"missing name", "Code client;Ville\nC1;Lyon\n", Limits{}, warning.MissingRequiredColumns, "customer_name", 0},
		{"duplicate", "Code client;Nom du client;Nom\nC1;Dupont;D\n", Limits{}, warning.DuplicateColumn, "customer_name", 0},
		{"too many rows", "Code client;Nom du client\nC1;A\n;\nC2;B\nC3;C\n", Limits{MaxRows: 2}, warning.TooManyRows, "more than 2 data rows (row 5", 2},
		{"bare quote", "Code client;Nom du client\nC1;Du\"pont\n", Limits{}, warning.CorruptFile, "line 2, column 6", 0},
		{"unterminated quote", "Code client;Nom du client\nC1;\"Dupont\nC2;Durand\n", Limits{}, warning.CorruptFile, "malformed at line", 0},
		{"record too long", big, Limits{MaxRecordBytes: 1000}, warning.CorruptFile, "longer than 1000 bytes", 0},
		{"quoted record too long", "Code client;Nom du client\nC0;ok\nC1;\"" + strings.Repeat("x\n", 600) + "\"\n", Limits{MaxRecordBytes: 1000}, warning.CorruptFile, "longer than 1000 bytes", 1},
		{"header too long", "Code client;Nom du client;" + strings.Repeat("y", 2000) + "\nC1;D\n", Limits{MaxRecordBytes: 1000}, warning.CorruptFile, "header record is longer", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rows, err := readAll(t, []byte(tt.in), tt.lim)
			fe, ok := warning.AsFileError(err)
			if !ok || fe.Code != tt.code {
				t.Fatalf("got rows %v, error %v; want a %s FileError", rows, err, tt.code)
			}
			if !strings.Contains(fe.Detail, tt.detail) {
				t.Errorf("detail %q lacks %q", fe.Detail, tt.detail)
			}
			if len(rows) != tt.rows {
				t.Errorf("read %d rows before the error, want %d", len(rows), tt.rows)
			}
		})
	}
}

// Within the limit, the record limiter passes everything through.
func TestCSVRecordLimitBoundary(t *testing.T) {
	in := "Code client;Nom du client\nC1;" + strings.Repeat("x", 990) + "\n" + "C2;\"" + strings.Repeat("y\n", 490) + "\"\n"
	_, rows, err := readAll(t, []byte(in), Limits{MaxRecordBytes: 1000})
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows %d, err %v", len(rows), err)
	}
}

// Next keeps returning its error; Close is idempotent.
func TestReaderStickyErrorAndClose(t *testing.T) {
	in := []byte("Code client;Nom du client\nC1;A\n")
	r, err := Open(bytes.NewReader(in), int64(len(in)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if row, err := r.Next(); err != nil || row.Num != 2 || r.Rows() != 1 {
		t.Fatalf("Next = %v, %v", row, err)
	}
	for range 2 {
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("Next = %v, want io.EOF", err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after Close = %v", err)
	}
}

// A read error mid-file is an I/O error to retry, not a FileError.
func TestCSVReadError(t *testing.T) {
	in := []byte("Code client;Nom du client\n" + strings.Repeat("C1;Dupont\n", 10000))
	_, _, err := readAll(t, in[:0], Limits{})
	if fe, ok := warning.AsFileError(err); !ok || fe.Code != warning.NoData {
		t.Fatalf("0 bytes: %v", err)
	}
	r, err := Open(failingReaderAt{bytes.NewReader(in), 50000}, int64(len(in)), Limits{})
	if err == nil {
		defer r.Close()
		for err == nil {
			_, err = r.Next()
		}
	}
	if err == nil || errors.Is(err, io.EOF) {
		t.Fatal("no error")
	}
	if _, ok := warning.AsFileError(err); ok {
		t.Errorf("read error became a FileError: %v", err)
	}
}
