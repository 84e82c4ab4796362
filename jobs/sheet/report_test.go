package sheet

import (
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"

	"intake/jobs/warning"
)

func TestReportColumnsAreIgnoredWithoutWarning(t *testing.T) {
	for _, hdr := range [][]string{
		{"Customer code", "Customer name", "Import status", "Import messages"},
		{"Code client", "Nom du client", "Statut de l’import", "MESSAGES DE L'IMPORT"},
		{"Código do cliente", "Import status", "Nome do cliente", "Mensagens da importação"},
		{"Customer code", "Customer name", "import_status", "import_messages"},
	} {
		h, ws, err := NewHeader(hdr)
		if err != nil || len(ws) != 0 {
			t.Fatalf("%q: warnings %v, err %v", hdr, ws, err)
		}
		if !h.IsReport() || !h.Has(CustomerCode) || !h.Has(CustomerName) {
			t.Errorf("%q: report %v, code %v, name %v", hdr, h.IsReport(), h.Has(CustomerCode), h.Has(CustomerName))
		}
		n := 0
		for _, c := range h.Columns {
			if c.Report {
				n++
				if c.Field != NoField {
					t.Errorf("%q: report column %q names %v", hdr, c.Header, c.Field.Name())
				}
			}
		}
		if n != 2 {
			t.Errorf("%q: %d report columns", hdr, n)
		}
	}
	// "Estado" alone is the state column, "Status" an unknown column.
	h, ws, err := NewHeader([]string{"Customer code", "Customer name", "Estado", "Status"})
	if err != nil || h.IsReport() || !h.Has(State) || len(ws) != 1 || ws[0].Value != "Status" {
		t.Errorf("Estado/Status: report %v, warnings %v, err %v", h != nil && h.IsReport(), ws, err)
	}
	// Report columns alone are no header.
	if _, _, err := NewHeader([]string{"Import status", "Import messages"}); err == nil {
		t.Error("a row 1 of report columns alone is a header")
	}
}

func TestReportColumnNamesNameNoField(t *testing.T) {
	syn := synonyms()
	fields := map[string]Field{}
	for f := Field(0); f < NumFields; f++ {
		for _, n := range headerNames(f, syn) {
			fields[FoldHeader(n)] = f
		}
	}
	for _, n := range warning.ReportColumnNames() {
		if f, ok := fields[FoldHeader(n)]; ok {
			t.Errorf("report column %q folds like a header of %s", n, f.Name())
		}
	}
}

func TestReportUploadedAgain(t *testing.T) {
	csv := "Customer code;Customer name;Contact phone;Statut de l'import;Messages de l'import\r\n" +
		"C1;'=1+1;'+33 1 23;Erreur;\"B: bad\nC: worse\"\r\n" +
		";;;OK;\r\n" + // nothing but report cells: a blank row
		"C2;'plain;'-5;;\r\n"
	r, rows, err := readAll(t, []byte(csv), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.HeaderWarnings()) != 0 {
		t.Errorf("header warnings %v", r.HeaderWarnings())
	}
	want := []Row{
		{Num: 2, Cells: []string{"C1", "=1+1", "+33 1 23", "", ""}},
		{Num: 4, Cells: []string{"C2", "'plain", "-5", "", ""}}, // the record with a line feed takes one row
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %+v\nwant %+v", rows, want)
	}

	// The same values in a file that is not a report keep their quote.
	_, rows, err = readAll(t, []byte("Customer code;Customer name\r\nC1;'=1+1\r\n"), Limits{})
	if err != nil || len(rows) != 1 || rows[0].Cells[1] != "'=1+1" {
		t.Errorf("not a report: %+v, %v", rows, err)
	}

	// An xlsx report (a report.csv saved from Excel keeps the quote as text).
	data := xlsxBytes(t, func(f *excelize.File) {
		setRows(t, f, "Sheet1", map[int][]any{
			1: {"Customer code", "Customer name", "Import status"},
			2: {"C1", "'@x", "Warning"},
			3: {nil, nil, "OK"},
		})
	})
	_, rows, err = readAll(t, data, Limits{})
	if err != nil || len(rows) != 1 || !reflect.DeepEqual(rows[0].Cells, []string{"C1", "@x", ""}) {
		t.Errorf("xlsx report: %+v, %v", rows, err)
	}
}
