package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"intake/jobs"
	"intake/jobs/rules"
)

// download GETs path with key and returns the answer with its body read.
func (e *env) download(path, key string, header ...string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.url+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, b
}

// openBook opens an xlsx answer.
func openBook(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("open xlsx: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func bookBytes(t *testing.T, f *excelize.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTemplateRoundTrip downloads the template in each language, fills it
// as a user would (in the language's words, from the dropdowns' lists),
// uploads it and gets no warning at all.
func TestTemplateRoundTrip(t *testing.T) {
	e := newEnv(t)
	for _, lang := range []string{"fr", "en", "pt"} {
		resp, b := e.download("/v1/templates/customers.xlsx?lang="+lang, e.keyA)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; filename=") {
			t.Fatalf("%s template: %d %v", lang, resp.StatusCode, resp.Header)
		}
		f := openBook(t, b)
		sheet := f.GetSheetList()[0]
		yes, no := rules.YesNo(lang)
		code := strings.ToUpper(lang)
		rows := [][]string{
			{code + "1", "Acme " + lang, "FR12345678901", "HQ", "Head office", "1 rue de la Paix", "Paris", "01000", "", "FR", yes, "Ann", "+33 1 23 45 67 89", "ann@acme.example", yes},
			{code + "2", "Beta", "", "MAIN", "", "2 Main St", "London", "SW1A 1AA", "", "GB", no, "Bob", "", "bob@beta.example", ""},
			{code + "1", "", "", "DEP", "Depot", "5 avenue Foch", "Lyon", "69001", "", "FR", "", "Carl", "-", "", no},
		}
		for i, r := range rows {
			for j, v := range r {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+2)
				if err := f.SetCellStr(sheet, cell, v); err != nil {
					t.Fatal(err)
				}
			}
		}
		imp := e.upload(e.keyA, "template-"+lang+".xlsx", bookBytes(t, f))
		imp = e.wait(e.keyA, imp.ID, jobs.StatusValidated)
		if ws := e.warnings(e.keyA, imp.ID, ""); len(ws) != 0 {
			t.Errorf("%s: the filled template has warnings: %+v", lang, ws)
		}
		if s := imp.Summary; s.RowsOK != 3 || s.CustomersNew != 2 || s.AddressesNew != 3 {
			t.Errorf("%s: summary %+v", lang, s)
		}
	}
	for _, lang := range []string{"fr", "en"} {
		resp, b := e.download("/v1/templates/customers.csv", e.keyA, "Accept-Language", lang)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("%s csv template: %d %v", lang, resp.StatusCode, resp.Header)
		}
		sep := map[string]string{"fr": ";", "en": ","}[lang]
		yes, _ := rules.YesNo(lang)
		line := strings.Join([]string{"CSV1", "Gamma", "", "A1", "", "3 rue X", "Nice", "06000", "", "FR", yes, "Dan", "+33 4", "dan@gamma.example", yes}, sep)
		imp := e.uploadRaw(e.keyA, "template.csv", append(b, line+"\n"...))
		imp = e.wait(e.keyA, imp.ID, jobs.StatusValidated)
		if ws := e.warnings(e.keyA, imp.ID, ""); len(ws) != 0 || imp.Summary.RowsOK != 1 {
			t.Errorf("%s: the filled csv template: %+v, %+v", lang, ws, imp.Summary)
		}
	}
}

// reportFile has an ok row (2), a red row (3: invalid email), a yellow row
// (4: a country name), a blank row (5), a row to skip (6) and a row of
// values a spreadsheet would evaluate (7), plus an unknown column (P).
func reportFile(t *testing.T) []byte {
	return xlsxFile(t, [][]string{
		append(slices.Clone(englishHeaders), "Notes"),
		{"R1", "Ok Ltd", "", "", "", "", "", "", "", "", "", "", "", "", "", "note"},
		{"R2", "Red Ltd", "", "", "", "", "", "", "", "", "", "Rita", "", "not-an-email"},
		{"R3", "Yellow Ltd", "", "A1", "", "", "Paris", "", "", "France"},
		nil,
		{"R4", "Skip Ltd"},
		{"R5", "=1+1", "", "A1", "@SUM(A1)", "\tx", "-5", "", "", "", "", "Eve", "+33 1 23", "eve@x.example"},
	})
}

func TestReportDownloads(t *testing.T) {
	e := newEnv(t)
	imp := e.upload(e.keyA, `clients "été".xlsx`, reportFile(t))
	imp = e.wait(e.keyA, imp.ID, jobs.StatusValidated)
	if resp := e.do("PUT", "/v1/imports/"+imp.ID+"/skips", e.keyA, e.jsonBody(map[string]any{"rows": []int{6}}), "application/json", nil); resp.StatusCode != 200 {
		t.Fatalf("skips: %d", resp.StatusCode)
	}

	resp, b := e.download("/v1/imports/"+imp.ID+"/report.xlsx?lang=fr", e.keyA)
	if resp.StatusCode != 200 {
		t.Fatalf("report.xlsx: %d %s", resp.StatusCode, b)
	}
	if got, want := resp.Header.Get("Content-Disposition"), `attachment; filename="clients _ete_-rapport.xlsx"; filename*=UTF-8''clients%20_%C3%A9t%C3%A9_-rapport.xlsx`; got != want {
		t.Errorf("Content-Disposition\n got %s\nwant %s", got, want)
	}
	f := openBook(t, b)
	sh := f.GetSheetList()[0]
	rows, err := f.GetRows(sh)
	if err != nil {
		t.Fatal(err)
	}
	// The file's 16 columns (A–P), then status (Q) and messages (R).
	if h := rows[0]; len(h) != 18 || h[15] != "Notes" || h[16] != "Statut de l'import" || h[17] != "Messages de l'import" {
		t.Fatalf("header %q", h)
	}
	status := map[int]string{2: "OK", 3: "Erreur", 4: "Avertissement", 6: "Ignorée", 7: "OK"}
	for n, want := range status {
		if got, _ := f.GetCellValue(sh, "Q"+strconv.Itoa(n)); got != want {
			t.Errorf("row %d status %q, want %q", n, got, want)
		}
	}
	if v, _ := f.GetCellValue(sh, "A5"); v != "" {
		t.Errorf("the blank row 5 holds %q", v)
	}
	if msg, _ := f.GetCellValue(sh, "R3"); !strings.HasPrefix(msg, "N: ") || !strings.Contains(msg, "not-an-email") {
		t.Errorf("row 3 messages %q", msg)
	}
	comments, _ := f.GetComments(sh)
	cells := map[string]bool{}
	for _, c := range comments {
		cells[c.Cell] = true
	}
	if !cells["N3"] || !cells["J4"] || !cells["P1"] {
		t.Errorf("comments on %v, want N3, J4 and P1", cells)
	}
	for cell, want := range map[string]string{"B7": "=1+1", "E7": "@SUM(A1)", "F7": "\tx", "G7": "-5", "M7": "+33 1 23"} {
		typ, _ := f.GetCellType(sh, cell)
		formula, _ := f.GetCellFormula(sh, cell)
		got, _ := f.GetCellValue(sh, cell)
		if typ != excelize.CellTypeInlineString || formula != "" || got != want {
			t.Errorf("%s: type %v, formula %q, value %q; want the string %q", cell, typ, formula, got, want)
		}
	}

	resp, b = e.download("/v1/imports/"+imp.ID+"/report.csv", e.keyA, "Accept-Language", "pt-PT")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Language") != "pt" || !bytes.HasPrefix(b, []byte("\uFEFF")) {
		t.Fatalf("report.csv: %d %v", resp.StatusCode, resp.Header)
	}
	r := csv.NewReader(bytes.NewReader(b[3:]))
	r.Comma, r.FieldsPerRecord = ';', 18
	recs, err := r.ReadAll()
	if err != nil || len(recs) != 7 {
		t.Fatalf("report.csv: %d records, %v", len(recs), err)
	}
	if got := []string{recs[6][1], recs[6][4], recs[6][5], recs[6][6], recs[6][12]}; !slices.Equal(got, []string{"'=1+1", "'@SUM(A1)", "'\tx", "'-5", "'+33 1 23"}) {
		t.Errorf("neutralized values %q", got)
	}
	if recs[2][16] != "Erro" || recs[5][16] != "Ignorada" {
		t.Errorf("statuses %q, %q", recs[2][16], recs[5][16])
	}

	// The report is there after completion, and gone with the file.
	e.do("PUT", "/v1/imports/"+imp.ID+"/skips", e.keyA, e.jsonBody(map[string]any{"rows": []int{6}, "all_errors": true}), "application/json", nil)
	e.do("POST", "/v1/imports/"+imp.ID+"/confirm", e.keyA, nil, "", nil)
	e.wait(e.keyA, imp.ID, jobs.StatusCompleted)
	if resp, b := e.download("/v1/imports/"+imp.ID+"/report.csv", e.keyA); resp.StatusCode != 200 || !bytes.Contains(b, []byte(";Skipped;")) && !bytes.Contains(b, []byte(",Skipped,")) {
		t.Errorf("report after completion: %d %s", resp.StatusCode, b)
	}
	ctx := context.Background()
	if _, err := e.d.db.Pool.Exec(ctx, `UPDATE imports SET finished_at = now() - interval '400 hours' WHERE id = $1`, imp.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.h.Retention(ctx, nil); err != nil {
		t.Fatal(err)
	}
	var problem struct{ Code string }
	if resp := e.do("GET", "/v1/imports/"+imp.ID+"/report.xlsx", e.keyA, nil, "", &problem); resp.StatusCode != 410 || problem.Code != "file_deleted" {
		t.Errorf("report of a deleted file: %d %+v", resp.StatusCode, problem)
	}
}

// TestReportReimport fixes a downloaded report in the spreadsheet and
// uploads it again: its status and messages columns are ignored, the fixed
// row is clean, and neutralized values come back as they were typed.
func TestReportReimport(t *testing.T) {
	e := newEnv(t)
	imp := e.upload(e.keyA, "r.xlsx", reportFile(t))
	e.wait(e.keyA, imp.ID, jobs.StatusValidated)

	_, b := e.download("/v1/imports/"+imp.ID+"/report.xlsx", e.keyA)
	f := openBook(t, b)
	sh := f.GetSheetList()[0]
	if err := f.SetCellStr(sh, "N3", "rita@red.example"); err != nil {
		t.Fatal(err)
	}
	fixed := e.upload(e.keyA, "r-fixed.xlsx", bookBytes(t, f))
	e.wait(e.keyA, fixed.ID, jobs.StatusValidated)
	byRow := codesByRow(e.warnings(e.keyA, fixed.ID, ""))
	if !slices.Equal(byRow[1], []string{"unknown_column"}) || len(byRow[3]) != 0 || !slices.Equal(byRow[4], []string{"country_converted"}) || len(byRow) != 2 {
		t.Errorf("warnings of the fixed report by row: %v (want Notes' unknown_column and row 4's country only)", byRow)
	}

	// The CSV report too, ' and all.
	_, b = e.download("/v1/imports/"+imp.ID+"/report.csv?lang=fr", e.keyA)
	again := e.uploadRaw(e.keyA, "r.csv", b)
	again = e.wait(e.keyA, again.ID, jobs.StatusValidated)
	byRow = codesByRow(e.warnings(e.keyA, again.ID, ""))
	if !slices.Equal(byRow[3], []string{"email_invalid"}) || len(byRow) != 3 {
		t.Errorf("warnings of the csv report by row: %v", byRow)
	}
	e.do("PUT", "/v1/imports/"+again.ID+"/skips", e.keyA, e.jsonBody(map[string]any{"rows": []int{}, "all_errors": true}), "application/json", nil)
	e.do("POST", "/v1/imports/"+again.ID+"/confirm", e.keyA, nil, "", nil)
	e.wait(e.keyA, again.ID, jobs.StatusCompleted)
	var c jobs.Customer
	if resp := e.do("GET", "/v1/customers/R5", e.keyA, nil, "", &c); resp.StatusCode != 200 {
		t.Fatalf("R5: %d", resp.StatusCode)
	}
	if c.Name != "=1+1" || len(c.Contacts) != 1 || c.Contacts[0].Phone != "+33 1 23" || len(c.Addresses) != 1 ||
		c.Addresses[0].Name != "@SUM(A1)" || c.Addresses[0].Address != "x" || c.Addresses[0].City != "-5" {
		t.Errorf("R5 imported from the csv report: %+v", c)
	}
}

func TestReportAccess(t *testing.T) {
	e := newEnv(t)
	imp := e.uploadRaw(e.keyA, "a.csv", []byte("Customer code,Customer name\nC1,One\n"))
	e.wait(e.keyA, imp.ID, jobs.StatusValidated)
	for _, path := range []string{"/v1/imports/" + imp.ID + "/report.xlsx", "/v1/imports/" + imp.ID + "/report.csv",
		"/v1/templates/customers.xlsx", "/v1/templates/customers.csv"} {
		for _, key := range []string{"", "ik_wrong"} {
			if resp, _ := e.download(path, key); resp.StatusCode != 401 {
				t.Errorf("%s with key %q: %d", path, key, resp.StatusCode)
			}
		}
		want := 404
		if strings.HasPrefix(path, "/v1/templates/") {
			want = 200
		}
		if resp, _ := e.download(path, e.keyB); resp.StatusCode != want {
			t.Errorf("%s as tenant B: %d, want %d", path, resp.StatusCode, want)
		}
	}
	failed := e.uploadRaw(e.keyA, "x.csv", []byte("Foo,Bar\n1,2\n"))
	e.wait(e.keyA, failed.ID, jobs.StatusFailed)
	var problem struct{ Code string }
	if resp := e.do("GET", "/v1/imports/"+failed.ID+"/report.xlsx", e.keyA, nil, "", &problem); resp.StatusCode != 409 || problem.Code != "invalid_state" {
		t.Errorf("report of a failed import: %d %+v", resp.StatusCode, problem)
	}
}
