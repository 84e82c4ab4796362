package report

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"iter"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// rowList is a Rows over a slice.
type rowList []sheet.Row

func (r *rowList) Next() (sheet.Row, error) {
	if len(*r) == 0 {
		return sheet.Row{}, io.EOF
	}
	row := (*r)[0]
	*r = (*r)[1:]
	return row, nil
}

func markList(ms []Mark) iter.Seq2[Mark, error] {
	return func(yield func(Mark, error) bool) {
		for _, m := range ms {
			if !yield(m, nil) {
				return
			}
		}
	}
}

// injection lists the values a spreadsheet would evaluate.
func injection() []string { return []string{"=1+1", "+33 1 23", "-5", "@SUM(A1)", "\tx", "\rx"} }

// sample is a file with an unknown column (C), an earlier report's status
// column (E, dropped), an ok, a red, a yellow, a blank, a skipped row and a
// row of values that spreadsheets would evaluate.
func sample(t *testing.T) Input {
	t.Helper()
	h, _, err := sheet.NewHeader([]string{"Customer code", "Customer name", "Notes", "Contact email", "Import status", "Contact phone"})
	if err != nil {
		t.Fatal(err)
	}
	inj := injection()
	rows := rowList{
		{Num: 2, Cells: []string{"C1", "One", "", "a@b.co", "", "+33 1"}},
		{Num: 3, Cells: []string{"C2", "Two", "x", "not-an-email"}},
		{Num: 4, Cells: []string{"C3", "Three", "", "c@d.co", "", "12"}},
		{Num: 6, Cells: []string{"", "Six", "", "bad", "", ""}},
		{Num: 7, Cells: []string{"C7", inj[0], inj[1], inj[2], inj[3], inj[4]}},
		{Num: 8, Cells: []string{"C8", inj[5]}},
	}
	marks := []Mark{
		{Row: 1, Warning: warning.Warning{Row: 1, Column: "C", Code: warning.UnknownColumn, Value: "Notes", Params: map[string]string{"header": "Notes"}}},
		{Row: 3, Warning: warning.Warning{Row: 3, Column: "D", Field: "contact_email", Code: warning.EmailInvalid, Value: "not-an-email"}},
		{Row: 4, Warning: warning.Warning{Row: 4, Column: "F", Field: "contact_phone", Code: warning.FlagUnrecognized, Value: "12"}},
		{Row: 4, Warning: warning.Warning{Row: 4, Code: warning.CustomerExists, Value: "C3",
			Changes: []warning.Change{{Field: "customer_name", Old: "Old", New: "Three"}}}},
		{Row: 5, Warning: warning.Warning{Row: 5, Column: "A", Code: warning.CodeMissing}}, // not a row of the file
		{Row: 6, Skipped: true},
		{Row: 6, Warning: warning.Warning{Row: 6, Column: "A", Field: "customer_code", Code: warning.CodeMissing}},
		{Row: 6, Warning: warning.Warning{Row: 6, Column: "D", Field: "contact_email", Code: warning.EmailInvalid, Value: "bad"}},
		{Row: 6, Warning: warning.Warning{Row: 6, Column: "D", Field: "contact_email", Code: warning.TooLong, Params: map[string]string{"field": "contact_email", "max": "254"}}},
	}
	return Input{Header: h, Rows: &rows, Marks: markList(marks)}
}

func writeReport(t *testing.T, format Format, in Input, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, in, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fillOf(t *testing.T, f *excelize.File, sh, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle(sh, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.NumFmt != textFormat {
		t.Errorf("%s is not formatted as text", cell)
	}
	if len(st.Fill.Color) == 0 {
		return ""
	}
	c := strings.ToUpper(st.Fill.Color[0])
	if len(c) == 8 { // ARGB
		c = c[2:]
	}
	return c
}

func TestReportXLSX(t *testing.T) {
	b := writeReport(t, XLSX, sample(t), Options{Lang: "fr"})
	f := openXLSX(t, b)
	if got := f.GetSheetList(); !slices.Equal(got, []string{"Rapport"}) {
		t.Fatalf("sheets %v", got)
	}
	rows, err := f.GetRows("Rapport")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Customer code", "Customer name", "Notes", "Contact email", "Contact phone", "Statut de l'import", "Messages de l'import"},
		{"C1", "One", "", "a@b.co", "+33 1", "OK"},
		{"C2", "Two", "x", "not-an-email", "", "Erreur", "D: " + warning.Message("fr", warning.Warning{Code: warning.EmailInvalid, Value: "not-an-email"})},
		{"C3", "Three", "", "c@d.co", "12", "Avertissement"},
		nil,
		{"", "Six", "", "bad", "", "Ignorée"},
	}
	for i, w := range want {
		got := rows[i]
		if i == 3 {
			if len(got) != 7 || !strings.HasPrefix(got[6], "E: ") || !strings.Contains(got[6], " | ") || !strings.Contains(got[6], `"Old" → "Three"`) {
				t.Errorf("row 4 messages %q", got)
			}
			got = got[:6]
		}
		if i == 5 {
			if len(got) != 7 || !strings.HasPrefix(got[6], "A: ") || strings.Count(got[6], "D: ") != 2 {
				t.Errorf("row 6 messages %q", got)
			}
			got = got[:6]
		}
		for len(got) > len(w) && got[len(got)-1] == "" {
			got = got[:len(got)-1]
		}
		if !slices.Equal(got, w) {
			t.Errorf("row %d: %q\nwant %q", i+1, got, w)
		}
	}

	fills := map[string]string{
		"A1": fillHeader, "C1": fillWarningCell, "F1": fillReportHead,
		"A2": "", "F2": "",
		"A3": fillErrorRow, "D3": fillErrorCell, "G3": fillErrorRow,
		"A4": fillWarningRow, "E4": fillWarningCell, "D4": fillWarningRow,
		"B6": fillSkippedRow, "A6": fillErrorCell, "D6": fillErrorCell,
	}
	for cell, want := range fills {
		if got := fillOf(t, f, "Rapport", cell); got != want {
			t.Errorf("%s filled %q, want %q", cell, got, want)
		}
	}
	comments, err := f.GetComments("Rapport")
	if err != nil {
		t.Fatal(err)
	}
	byCell := map[string]string{}
	for _, c := range comments {
		text := c.Text
		for _, p := range c.Paragraph {
			text += p.Text
		}
		byCell[c.Cell] = text
	}
	if len(byCell) != 5 || !strings.Contains(byCell["C1"], "Notes") || !strings.Contains(byCell["D3"], "not-an-email") ||
		!strings.Contains(byCell["E4"], "12") || strings.Count(byCell["D6"], "\n") != 1 {
		t.Errorf("comments %q", byCell)
	}
	if p, _ := f.GetPanes("Rapport"); !p.Freeze || p.YSplit != 1 {
		t.Errorf("panes %+v", p)
	}
	x := sheetXML(t, b)
	if cols := regexp.MustCompile(`<col min="(\d+)"`).FindAllStringSubmatch(x, -1); len(cols) != 7 || cols[0][1] != "1" || cols[6][1] != "7" {
		t.Errorf("<col> elements must be ascending: %q", cols)
	}
	if !strings.Contains(x, `<autoFilter ref="$A$1:$G$8"`) {
		t.Errorf("no auto-filter over A1:G8 in %.600s", x[strings.Index(x, "</sheetData>"):])
	}
}

// sheetXML returns the report's worksheet XML.
func sheetXML(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	x, _ := io.ReadAll(rc)
	return string(x)
}

func TestReportXLSXInjection(t *testing.T) {
	b := writeReport(t, XLSX, sample(t), Options{})
	f := openXLSX(t, b)
	cells := map[string]string{"B7": "=1+1", "C7": "+33 1 23", "D7": "-5", "E7": "\tx", "B8": "\rx"}
	for cell, want := range cells {
		typ, _ := f.GetCellType("Report", cell)
		formula, _ := f.GetCellFormula("Report", cell)
		got, _ := f.GetCellValue("Report", cell)
		if typ != excelize.CellTypeInlineString || formula != "" || got != want {
			t.Errorf("%s: type %v, formula %q, value %q; want an inline string %q", cell, typ, formula, got, want)
		}
	}
	if strings.Contains(sheetXML(t, b), "<f>") {
		t.Error("the report holds a formula")
	}
	// "@SUM(A1)" stood in an earlier report's status column: not in the report.
	if v, _ := f.GetCellValue("Report", "F7"); v != "OK" {
		t.Errorf("F7 = %q", v)
	}
}

func TestReportCSV(t *testing.T) {
	b := writeReport(t, CSV, sample(t), Options{Lang: "pt"})
	if !bytes.HasPrefix(b, []byte("\uFEFF")) {
		t.Fatalf("no BOM: %q", b)
	}
	r := csv.NewReader(bytes.NewReader(b[3:]))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 8 {
		t.Fatalf("%d records: %q", len(recs), recs)
	}
	if got := recs[0]; !slices.Equal(got, []string{"Customer code", "Customer name", "Notes", "Contact email", "Contact phone", "Estado da importação", "Mensagens da importação"}) {
		t.Errorf("header %q", got)
	}
	status := []string{"", "OK", "Erro", "Aviso", "", "Ignorada", "OK", "OK"}
	for i, rec := range recs[1:] {
		if rec[5] != status[i+1] {
			t.Errorf("record %d status %q, want %q", i+2, rec[5], status[i+1])
		}
	}
	if !slices.Equal(recs[4], make([]string, 7)) {
		t.Errorf("blank row 5 is %q", recs[4])
	}
	if !strings.HasPrefix(recs[2][6], "D: ") || !strings.Contains(recs[2][6], "não é um endereço válido") {
		t.Errorf("messages %q", recs[2][6])
	}
	want := []string{"C7", "'=1+1", "'+33 1 23", "'-5", "'\tx"}
	if got := recs[6][:5]; !slices.Equal(got, want) {
		t.Errorf("neutralized %q, want %q", got, want)
	}
	if got := recs[7][1]; got != "'\rx" {
		t.Errorf("neutralized %q", got)
	}
	if got := recs[1][4]; got != "'+33 1" {
		t.Errorf("phone %q", got)
	}

	// Uploaded again, the report reads as the file did, without its report columns.
	rd, err := sheet.Open(bytes.NewReader(b), int64(len(b)), sheet.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if len(rd.HeaderWarnings()) != 1 || rd.HeaderWarnings()[0].Value != "Notes" {
		t.Errorf("header warnings %+v", rd.HeaderWarnings())
	}
	var got []sheet.Row
	for {
		row, err := rd.Next()
		if err != nil {
			break
		}
		got = append(got, row)
	}
	if len(got) != 6 || got[4].Num != 7 || !slices.Equal(got[4].Cells[:5], []string{"C7", "=1+1", "+33 1 23", "-5", "\tx"}) ||
		got[5].Cells[1] != "\rx" || got[0].Cells[4] != "+33 1" || got[0].Cells[5] != "" {
		t.Errorf("read again: %+v", got)
	}
}

func TestNeutralize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=1+1", "'=1+1"}, {"+33", "'+33"}, {"-5", "'-5"}, {"@x", "'@x"}, {"\tx", "'\tx"}, {"\rx", "'\rx"},
		{"", ""}, {"plain", "plain"}, {" =1", " =1"}, {"'=1", "'=1"}, {"a=b", "a=b"},
	}
	for _, tt := range tests {
		if got := Neutralize(tt.in); got != tt.want {
			t.Errorf("Neutralize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReportCommentsAreBounded(t *testing.T) {
	f := openXLSX(t, writeReport(t, XLSX, sample(t), Options{MaxComments: 2}))
	if cs, _ := f.GetComments("Report"); len(cs) != 2 {
		t.Errorf("%d comments, want 2", len(cs))
	}
	if got := fillOf(t, f, "Report", "D6"); got != fillErrorCell {
		t.Errorf("past the bound, D6 is filled %q", got)
	}
	f = openXLSX(t, writeReport(t, XLSX, sample(t), Options{MaxComments: -1}))
	if cs, _ := f.GetComments("Report"); len(cs) != 0 {
		t.Errorf("%d comments, want none", len(cs))
	}
}
