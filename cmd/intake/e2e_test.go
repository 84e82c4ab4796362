package main

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"intake/jobs"
)

var englishHeaders = []string{"Customer code", "Customer name", "VAT number", "Address code", "Address name",
	"Address", "City", "Postal code", "State", "Country", "Is default address", "Contact name", "Contact phone",
	"Contact email", "Is default contact"}

// xlsxFile writes rows (row 1 = header) to an xlsx; nil rows stay blank.
func xlsxFile(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		for j, v := range r {
			if v == "" {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// firstImport is a file whose customers spread over non-adjacent rows, with
// a blank row and one red row (6: invalid email).
func firstImport(t *testing.T) []byte {
	return xlsxFile(t, [][]string{
		englishHeaders,
		{"C001", "Acme", "FR12345678901", "HQ", "Head office", "1 rue de la Paix", "Paris", "75001", "", "FR", "Yes", "Ann", "+33 1", "ann@acme.fr", "Yes"},
		{"C002", "Beta", "", "MAIN", "", "2 Main St", "London", "SW1A 1AA", "", "UK", "", "Bob", "", "bob@beta.co.uk", ""},
		nil,
		{"c001", "", "", "DEP", "Depot", "5 avenue Foch", "Lyon", "69001", "", "France", "", "Carl", "", "carl@acme.fr", ""},
		{"C003", "Gamma", "", "", "", "", "", "", "", "", "", "Dan", "", "not-an-email", ""},
		{"C002", "", "", "", "", "", "", "", "", "", "", "Beth", "+44 20", "", "Yes"},
	})
}

func TestImportFlowXLSX(t *testing.T) {
	e := newEnv(t)
	imp := e.upload(e.keyA, "customers.xlsx", firstImport(t))
	if imp.Status != jobs.StatusQueued || imp.Filename != "customers.xlsx" {
		t.Fatalf("upload answered %+v", imp)
	}
	imp = e.wait(e.keyA, imp.ID, jobs.StatusValidated)
	s := imp.Summary
	if s == nil || s.RowsTotal != 5 || s.RowsError != 1 || s.RowsWarning != 1 || s.RowsOK != 3 {
		t.Fatalf("summary %+v", s)
	}
	if s.CustomersNew != 2 || s.AddressesNew != 3 || s.ContactsNew != 4 {
		t.Errorf("preview %+v", s)
	}
	ws := e.warnings(e.keyA, imp.ID, "")
	byRow := codesByRow(ws)
	if !slices.Equal(byRow[5], []string{"country_converted"}) || !slices.Equal(byRow[6], []string{"email_invalid"}) || len(byRow) != 2 {
		t.Fatalf("warnings by row %v", byRow)
	}
	if errs := e.warnings(e.keyA, imp.ID, "&severity=error"); len(errs) != 1 || errs[0].Row != 6 || errs[0].Column != "N" || errs[0].Message == "" {
		t.Fatalf("errors %+v", errs)
	}

	// A red row not skipped blocks the confirm.
	var problem struct {
		Code string `json:"code"`
		Rows []int  `json:"rows"`
	}
	if resp := e.do("POST", "/v1/imports/"+imp.ID+"/confirm", e.keyA, nil, "", &problem); resp.StatusCode != 409 ||
		problem.Code != "unskipped_errors" || !slices.Equal(problem.Rows, []int{6}) {
		t.Fatalf("confirm with red rows: %d %+v", resp.StatusCode, problem)
	}
	var skips jobs.Skips
	if resp := e.do("PUT", "/v1/imports/"+imp.ID+"/skips", e.keyA, e.jsonBody(map[string]any{"rows": []int{}, "all_errors": true}), "application/json", &skips); resp.StatusCode != 200 ||
		!slices.Equal(skips.Rows, []int{6}) || skips.Summary.RowsSkipped != 1 {
		t.Fatalf("skips: %d %+v", resp.StatusCode, skips)
	}
	if resp := e.do("PUT", "/v1/imports/"+imp.ID+"/skips", e.keyA, e.jsonBody(map[string]any{"rows": []int{1, 4, 99}}), "application/json", &problem); resp.StatusCode != 422 ||
		problem.Code != "invalid_rows" || !slices.Equal(problem.Rows, []int{1, 4, 99}) {
		t.Fatalf("skipping non-data rows: %d %+v", resp.StatusCode, problem)
	}
	var got struct{ Rows []int }
	if e.do("GET", "/v1/imports/"+imp.ID+"/skips", e.keyA, nil, "", &got); !slices.Equal(got.Rows, []int{6}) {
		t.Fatalf("a refused skip list changed the skips: %v", got.Rows)
	}

	var confirmed jobs.Import
	if resp := e.do("POST", "/v1/imports/"+imp.ID+"/confirm", e.keyA, nil, "", &confirmed); resp.StatusCode != 202 {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	done := e.wait(e.keyA, imp.ID, jobs.StatusCompleted)
	if d := done.Summary; d.CustomersNew != 2 || d.RowsApplied != 4 || d.RowsSkipped != 1 || d.AddressesNew != 3 || d.ContactsNew != 4 {
		t.Fatalf("applied %+v", d)
	}
	before := e.checksum()

	// A repeated confirm answers 202 and applies nothing more.
	if resp := e.do("POST", "/v1/imports/"+imp.ID+"/confirm", e.keyA, nil, "", &confirmed); resp.StatusCode != 202 || confirmed.Status != jobs.StatusCompleted {
		t.Fatalf("repeated confirm: %d %s", resp.StatusCode, confirmed.Status)
	}
	// The confirm task delivered again (asynq is at-least-once) changes nothing.
	if err := e.h.Confirm(context.Background(), jobs.NewConfirmTask(imp.ID)); err != nil {
		t.Fatal(err)
	}
	if after := e.checksum(); after != before {
		t.Fatal("a second run of the confirm task changed the data")
	}
	// Skips are refused once confirmed.
	if resp := e.do("PUT", "/v1/imports/"+imp.ID+"/skips", e.keyA, e.jsonBody(map[string]any{"rows": []int{2}}), "application/json", &problem); resp.StatusCode != 409 || problem.Code != "invalid_state" {
		t.Fatalf("skips after completion: %d %+v", resp.StatusCode, problem)
	}

	var c001 jobs.Customer
	if resp := e.do("GET", "/v1/customers/c001", e.keyA, nil, "", &c001); resp.StatusCode != 200 {
		t.Fatalf("customer: %d", resp.StatusCode)
	}
	if c001.Code != "C001" || c001.Name != "Acme" || len(c001.Addresses) != 2 || len(c001.Contacts) != 2 {
		t.Fatalf("C001 = %+v", c001)
	}
	if a := c001.Addresses[1]; a.Code != "DEP" || a.Country != "FR" || a.IsDefault || !c001.Addresses[0].IsDefault {
		t.Errorf("C001 addresses %+v", c001.Addresses)
	}
	var c002 jobs.Customer
	e.do("GET", "/v1/customers/C002", e.keyA, nil, "", &c002)
	if len(c002.Addresses) != 1 || !c002.Addresses[0].IsDefault || c002.Addresses[0].Country != "GB" {
		t.Errorf("C002 gets its only address as default, UK as GB: %+v", c002.Addresses)
	}
	if len(c002.Contacts) != 2 || c002.Contacts[0].IsDefault || !c002.Contacts[1].IsDefault {
		t.Errorf("C002's default contact is Beth: %+v", c002.Contacts)
	}
	if resp := e.do("GET", "/v1/customers/C003", e.keyA, nil, "", nil); resp.StatusCode != 404 {
		t.Errorf("the skipped red row's customer exists: %d", resp.StatusCode)
	}
	var list struct {
		Items []jobs.Customer `json:"items"`
		Next  *string         `json:"next"`
	}
	if e.do("GET", "/v1/customers", e.keyA, nil, "", &list); len(list.Items) != 2 || list.Next != nil {
		t.Errorf("customers list %+v", list)
	}
}

// frenchCSV is an update of firstImport's customers, as French Excel writes
// CSV: semicolons, Windows-1252 (the é of "Numéro" is byte 0xE9), CRLF.
func frenchCSV(lines ...string) []byte {
	header := "Code client;Nom du client;Num\xe9ro de TVA;Adresse Code;Adresse Nom;Adresse;Ville;Code postal;\xc9tat;Pays;" +
		"Est l'adresse par d\xe9faut;Nom du contact;T\xe9l\xe9phone du contact;Adresse e-mail du contact;Est le contact par d\xe9faut"
	return []byte(header + "\r\n" + strings.Join(lines, "\r\n") + "\r\n")
}

func TestImportFlowCSVUpdate(t *testing.T) {
	e := newEnv(t)
	first := e.upload(e.keyA, "first.xlsx", firstImport(t))
	e.wait(e.keyA, first.ID, jobs.StatusValidated)
	e.do("PUT", "/v1/imports/"+first.ID+"/skips", e.keyA, e.jsonBody(map[string]any{"rows": []int{6}}), "application/json", nil)
	e.do("POST", "/v1/imports/"+first.ID+"/confirm", e.keyA, nil, "", nil)
	e.wait(e.keyA, first.ID, jobs.StatusCompleted)

	imp := e.uploadRaw(e.keyA, "update.csv", frenchCSV(
		"C001;Acme SA;;HQ;;10 rue de la Paix;;;;;;ANN;+33 2;;",
		"C002;;;;;;;;;;;;;;",
		"C004;Delta;;;;;;;;;;;;;",
		";;;;;;;;;;;;;;",
		"C001;;;DEP;;;;;;;Oui;;;;",
	))
	imp = e.wait(e.keyA, imp.ID, jobs.StatusValidated)
	ws := e.warnings(e.keyA, imp.ID, "")
	byRow := codesByRow(ws)
	slices.Sort(byRow[2])
	if !slices.Equal(byRow[2], []string{"address_exists", "contact_exists", "customer_exists"}) {
		t.Fatalf("row 2 codes %v (all %v)", byRow[2], byRow)
	}
	for _, w := range ws {
		if w.Code != "customer_exists" {
			continue
		}
		changes, _ := w.Params["changes"].([]any)
		var fields []string
		for _, c := range changes {
			m := c.(map[string]any)
			fields = append(fields, m["field"].(string))
			if m["field"] == "customer_name" && (m["old"] != "Acme" || m["new"] != "Acme SA") {
				t.Errorf("customer_name change %v", m)
			}
		}
		slices.Sort(fields)
		if !slices.Equal(fields, []string{"customer_name", "default_address"}) {
			t.Errorf("customer_exists changes %v", changes)
		}
	}
	if len(byRow[3]) != 0 || len(byRow[4]) != 0 {
		t.Errorf("an unchanged existing customer and a new one got warnings: %v", byRow)
	}
	e.do("POST", "/v1/imports/"+imp.ID+"/confirm", e.keyA, nil, "", nil)
	done := e.wait(e.keyA, imp.ID, jobs.StatusCompleted)
	if s := done.Summary; s.CustomersNew != 1 || s.CustomersUpdated != 1 || s.CustomersUnchanged != 1 ||
		s.AddressesUpdated != 1 || s.ContactsUpdated != 1 || s.AddressesNew != 0 || s.ContactsNew != 0 {
		t.Fatalf("applied %+v", s)
	}
	var c jobs.Customer
	e.do("GET", "/v1/customers/C001", e.keyA, nil, "", &c)
	if c.Name != "Acme SA" || c.VATNumber != "FR12345678901" || c.Addresses[0].Address != "10 rue de la Paix" ||
		c.Addresses[0].City != "Paris" || c.Addresses[0].IsDefault || !c.Addresses[1].IsDefault ||
		c.Contacts[0].Name != "Ann" || c.Contacts[0].Phone != "+33 2" || c.Contacts[0].Email != "ann@acme.fr" {
		t.Fatalf("C001 after update: %+v", c)
	}
}

func TestConfirmRefusedWhenSkipsLeaveNewCustomerNameless(t *testing.T) {
	e := newEnv(t)
	imp := e.uploadRaw(e.keyA, "n.csv", []byte("Customer code,Customer name,Address code,City\nC010,Epsilon,,\nC010,,A1,Porto\n"))
	e.wait(e.keyA, imp.ID, jobs.StatusValidated)
	if resp := e.do("PUT", "/v1/imports/"+imp.ID+"/skips", e.keyA, e.jsonBody(map[string]any{"rows": []int{2}}), "application/json", nil); resp.StatusCode != 200 {
		t.Fatalf("skips: %d", resp.StatusCode)
	}
	var problem struct {
		Code string `json:"code"`
		Rows []int  `json:"rows"`
	}
	if resp := e.do("POST", "/v1/imports/"+imp.ID+"/confirm", e.keyA, nil, "", &problem); resp.StatusCode != 409 || problem.Code != "name_missing" || !slices.Equal(problem.Rows, []int{3}) {
		t.Fatalf("confirm: %d %+v", resp.StatusCode, problem)
	}
	// Unskipping the naming row makes the confirm possible.
	e.do("PUT", "/v1/imports/"+imp.ID+"/skips", e.keyA, e.jsonBody(map[string]any{"rows": []int{}}), "application/json", nil)
	if resp := e.do("POST", "/v1/imports/"+imp.ID+"/confirm", e.keyA, nil, "", nil); resp.StatusCode != 202 {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	e.wait(e.keyA, imp.ID, jobs.StatusCompleted)
}

func TestCancel(t *testing.T) {
	e := newEnv(t)
	imp := e.uploadRaw(e.keyA, "c.csv", []byte("Customer code,Customer name\nC1,One\n"))
	e.wait(e.keyA, imp.ID, jobs.StatusValidated)
	var got jobs.Import
	if resp := e.do("DELETE", "/v1/imports/"+imp.ID, e.keyA, nil, "", &got); resp.StatusCode != 200 || got.Status != jobs.StatusCancelled {
		t.Fatalf("cancel: %d %s", resp.StatusCode, got.Status)
	}
	var problem struct{ Code string }
	if resp := e.do("POST", "/v1/imports/"+imp.ID+"/confirm", e.keyA, nil, "", &problem); resp.StatusCode != 409 || problem.Code != "invalid_state" {
		t.Fatalf("confirm after cancel: %d %+v", resp.StatusCode, problem)
	}
	if resp := e.do("GET", "/v1/customers/C1", e.keyA, nil, "", nil); resp.StatusCode != 404 {
		t.Fatalf("a cancelled import was applied")
	}
}

func TestFileLevelErrorFailsImport(t *testing.T) {
	e := newEnv(t)
	imp := e.uploadRaw(e.keyA, "x.csv", []byte("Foo,Bar\n1,2\n"))
	got := e.wait(e.keyA, imp.ID, jobs.StatusFailed)
	if got.Error == nil || got.Error.Code != "no_header" {
		t.Fatalf("error %+v", got.Error)
	}
	big := bytes.Repeat([]byte("x"), int(e.cfg.MaxUpload)+1)
	var problem struct{ Code string }
	if resp := e.do("POST", "/v1/imports?filename=big.csv", e.keyA, bytes.NewReader(big), "text/csv", &problem); resp.StatusCode != 413 || problem.Code != "file_too_large" {
		t.Fatalf("too large: %d %+v", resp.StatusCode, problem)
	}
}

func TestAuthAndTenantIsolationOnEveryRoute(t *testing.T) {
	e := newEnv(t)
	imp := e.uploadRaw(e.keyA, "a.csv", []byte("Customer code,Customer name\nC1,One\n"))
	e.wait(e.keyA, imp.ID, jobs.StatusValidated)
	id := imp.ID
	routes := []struct {
		method, path string
		body         string
		crossTenant  int // status for tenant B
	}{
		{"POST", "/v1/imports?filename=x.csv", "Customer code,Customer name\nC9,Nine\n", 202},
		{"GET", "/v1/imports", "", 200},
		{"GET", "/v1/imports/" + id, "", 404},
		{"GET", "/v1/imports/" + id + "/warnings", "", 404},
		{"PUT", "/v1/imports/" + id + "/skips", `{"rows":[]}`, 404},
		{"GET", "/v1/imports/" + id + "/skips", "", 404},
		{"POST", "/v1/imports/" + id + "/confirm", "", 404},
		{"DELETE", "/v1/imports/" + id, "", 404},
		{"GET", "/v1/customers", "", 200},
		{"GET", "/v1/customers/C1", "", 404},
	}
	for _, r := range routes {
		for _, key := range []string{"", "ik_wrong"} {
			if resp := e.do(r.method, r.path, key, strings.NewReader(r.body), "text/csv", nil); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with key %q: %d, want 401", r.method, r.path, key, resp.StatusCode)
			}
		}
		if resp := e.do(r.method, r.path, e.keyB, strings.NewReader(r.body), "text/csv", nil); resp.StatusCode != r.crossTenant {
			t.Errorf("%s %s as tenant B: %d, want %d", r.method, r.path, resp.StatusCode, r.crossTenant)
		}
	}
	var list struct{ Items []jobs.Import }
	e.do("GET", "/v1/imports", e.keyB, nil, "", &list)
	for _, it := range list.Items {
		if it.ID == id {
			t.Error("tenant B lists tenant A's import")
		}
	}
	// Tenant A's import is untouched by B's attempts.
	if got := e.wait(e.keyA, id, jobs.StatusValidated); got.Status != jobs.StatusValidated {
		t.Fatal(got.Status)
	}
}

// checksum digests the customers, addresses and contacts tables.
func (e *env) checksum() string {
	e.t.Helper()
	var sum string
	err := e.d.db.Pool.QueryRow(context.Background(), `SELECT md5(
		coalesce((SELECT string_agg(concat_ws('|', id, tenant_id, code, name, vat_number, updated_at), ',' ORDER BY id) FROM customers), '') ||
		coalesce((SELECT string_agg(concat_ws('|', id, customer_id, code, name, address, city, postal_code, state, country, is_default, updated_at), ',' ORDER BY id) FROM addresses), '') ||
		coalesce((SELECT string_agg(concat_ws('|', id, customer_id, name, phone, email, is_default, updated_at), ',' ORDER BY id) FROM contacts), ''))`).Scan(&sum)
	if err != nil {
		e.t.Fatal(err)
	}
	return sum
}
