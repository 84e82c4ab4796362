package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"intake/jobs"
	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// withWarnings stores a validated import of tenant 1 with a few warnings.
func withWarnings(e *env) string {
	id := e.store.add(1, jobs.StatusValidated, time.Now())
	e.store.warnings[id] = []jobs.StoredWarning{
		{Seq: 1, Warning: warning.Warning{Row: 1, Column: "P", Code: warning.UnknownColumn, Value: "Fax",
			Params: map[string]string{"header": "Fax"}}},
		{Seq: 1, Warning: warning.Warning{Row: 2, Column: "A", Field: "customer_code", Code: warning.CustomerExists, Value: "C1",
			Changes: []warning.Change{{Field: "customer_name", Old: "Old", New: "New"}}}},
		{Seq: 2, Warning: warning.Warning{Row: 2, Column: "B", Field: "customer_name", Code: warning.TooLong, Value: "x",
			Params: map[string]string{"field": "customer_name", "max": "200"}}},
		{Seq: 1, Warning: warning.Warning{Row: 5, Column: "J", Field: "country", Code: warning.CountryConverted, Value: "Alemanha",
			Params: map[string]string{"to": "DE"}}},
	}
	return id
}

func TestWarnings(t *testing.T) {
	e := newEnv(t, Config{})
	id := withWarnings(e)
	w := e.do("GET", "/v1/imports/"+id+"/warnings", "key-a", nil, "Accept-Language", "pt-PT")
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w.Header().Get("Content-Language") != "pt" {
		t.Errorf("Content-Language %q", w.Header().Get("Content-Language"))
	}
	p := decode[page[map[string]any]](t, w)
	if len(p.Items) != 4 || p.Next != nil {
		t.Fatalf("items %v next %v", p.Items, p.Next)
	}
	exists := p.Items[1]
	for _, k := range []string{"row", "severity", "code", "column", "field", "value", "message", "params"} {
		if _, ok := exists[k]; !ok {
			t.Errorf("item lacks %s: %v", k, exists)
		}
	}
	if exists["severity"] != "warning" || exists["code"] != "customer_exists" || exists["row"] != 2.0 {
		t.Errorf("item %v", exists)
	}
	// People read the template's header in their language; params keep
	// the stable field name.
	wantMsg := warning.LabeledMessage("pt", e.store.warnings[id][1].Warning, sheet.FieldLabel)
	if exists["message"] != wantMsg || !strings.Contains(wantMsg, `Nome do cliente: "Old" → "New"`) {
		t.Errorf("message %q, want %q", exists["message"], wantMsg)
	}
	changes, _ := exists["params"].(map[string]any)["changes"].([]any)
	if len(changes) != 1 || changes[0].(map[string]any)["old"] != "Old" {
		t.Errorf("params %v", exists["params"])
	}
	if tooLong := p.Items[2]; tooLong["params"].(map[string]any)["max"] != "200" || tooLong["severity"] != "error" {
		t.Errorf("too_long %v", tooLong)
	}
	if p.Items[0]["params"].(map[string]any)["header"] != "Fax" || p.Items[3]["field"] != "country" {
		t.Errorf("items %v", p.Items)
	}

	errs := decode[page[warningJSON]](t, e.do("GET", "/v1/imports/"+id+"/warnings?severity=error", "key-a", nil))
	if len(errs.Items) != 1 || errs.Items[0].Code != "too_long" || errs.Items[0].Params == nil {
		t.Errorf("errors only: %+v", errs)
	}
	if ok := decode[page[warningJSON]](t, e.do("GET", "/v1/imports/"+id+"/warnings?severity=error&lang=fr", "key-a", nil)); ok.Items[0].Message != "La valeur de « Nom du client » dépasse 200 caractères." {
		t.Errorf("fr message %q", ok.Items[0].Message)
	}

	// Pages of one, by row then seq.
	var got []string
	cursor := ""
	for range 10 {
		pg := decode[page[warningJSON]](t, e.do("GET", "/v1/imports/"+id+"/warnings?limit=1"+cursor, "key-a", nil))
		for _, it := range pg.Items {
			got = append(got, it.Code)
		}
		if pg.Next == nil {
			break
		}
		cursor = "&cursor=" + *pg.Next
	}
	if want := []string{"unknown_column", "customer_exists", "too_long", "country_converted"}; !slices.Equal(got, want) {
		t.Errorf("pages gave %v", got)
	}
	e.do("GET", "/v1/imports/"+id+"/warnings?limit=9999", "key-a", nil)
	if e.store.lastLimit != 1001 {
		t.Errorf("limit not capped at 1000: %d", e.store.lastLimit)
	}
	for _, q := range []string{"severity=red", "limit=0", "cursor=zz!"} {
		wantProblem(t, e.do("GET", "/v1/imports/"+id+"/warnings?"+q, "key-a", nil), http.StatusBadRequest, jobs.ErrCodeInvalidRequest)
	}
	wantProblem(t, e.do("GET", "/v1/imports/"+id+"/warnings", "key-b", nil), http.StatusNotFound, jobs.ErrCodeNotFound)
}

func TestSkips(t *testing.T) {
	e := newEnv(t, Config{})
	id := e.store.add(1, jobs.StatusValidated, time.Now())
	e.store.dataRows[id] = []int{2, 3, 5}
	e.store.redRows[id] = []int{5}
	path := "/v1/imports/" + id + "/skips"

	if w := e.do("GET", path, "key-a", nil); w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"rows":[]}` {
		t.Errorf("empty skip list: %d %s", w.Code, w.Body)
	}
	w := e.do("PUT", path, "key-a", strings.NewReader(`{"rows":[3],"all_errors":true}`), "Content-Type", "application/json")
	if w.Code != http.StatusOK {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	got := decode[jobs.Skips](t, w)
	if !slices.Equal(got.Rows, []int{3, 5}) || got.Summary == nil || got.Summary.RowsSkipped != 2 {
		t.Errorf("put answered %s", w.Body)
	}
	if got := decode[skipsJSON](t, e.do("GET", path, "key-a", nil)); !slices.Equal(got.Rows, []int{3, 5}) {
		t.Errorf("get %v", got.Rows)
	}

	for _, body := range []string{
		`{"rows":[2],"unknown":1}`, // strict: unknown field
		`{"rows":[2]`,              // truncated
		`{"rows":"2"}`,             // wrong type
		`{"rows":[2.5]}`,           // not an integer
		`{"rows":[]} {"rows":[]}`,  // two values
		``,                         // empty
		`[1,2]`,                    // not an object
		`{"rows":[` + strings.Repeat("2,", 600_000) + `2]}`, // over 1 MiB
	} {
		w := e.do("PUT", path, "key-a", strings.NewReader(body), "Accept-Language", "en")
		p := wantProblem(t, w, http.StatusBadRequest, jobs.ErrCodeInvalidRequest)
		if len(body) < 100 && p.Detail == warning.ProblemDetail("en", "invalid_request") {
			t.Errorf("%s: the English detail does not say what is wrong", body)
		}
	}
	if p := decode[problem](t, e.do("PUT", path, "key-a", strings.NewReader(`{"rows":[2],"unknown":1}`))); !strings.Contains(p.Detail, `"unknown"`) {
		t.Errorf("unknown field detail %q", p.Detail)
	}
	if got := decode[skipsJSON](t, e.do("GET", path, "key-a", nil)); !slices.Equal(got.Rows, []int{3, 5}) {
		t.Errorf("a refused body changed the list: %v", got.Rows)
	}

	p := wantProblem(t, e.do("PUT", path, "key-a", strings.NewReader(`{"rows":[1,2,99]}`)), http.StatusUnprocessableEntity, jobs.ErrCodeInvalidRows)
	if !slices.Equal(p.Rows, []int{1, 99}) {
		t.Errorf("invalid rows %v", p.Rows)
	}
	e.store.imports[id].Status = jobs.StatusCompleted
	wantProblem(t, e.do("PUT", path, "key-a", strings.NewReader(`{"rows":[]}`)), http.StatusConflict, jobs.ErrCodeInvalidState)
}

func TestCustomers(t *testing.T) {
	e := newEnv(t, Config{})
	for _, code := range []string{"b2", "A1", "c3", "B1"} {
		e.store.customers[1] = append(e.store.customers[1], &jobs.Customer{Code: code, Name: "n " + code})
	}
	e.store.customers[1][0].Addresses = []jobs.CustomerAddress{{Code: "HQ", Country: "FR", IsDefault: true}}
	e.store.customers[2] = []*jobs.Customer{{Code: "Z9", Name: "other tenant"}}

	var got []string
	cursor := ""
	for range 5 {
		w := e.do("GET", "/v1/customers?limit=3"+cursor, "key-a", nil)
		if w.Code != http.StatusOK {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		p := decode[page[jobs.Customer]](t, w)
		for _, c := range p.Items {
			got = append(got, c.Code)
		}
		if p.Next == nil {
			break
		}
		cursor = "&cursor=" + *p.Next
	}
	if !slices.Equal(got, []string{"A1", "B1", "b2", "c3"}) {
		t.Errorf("pages gave %v", got)
	}

	w := e.do("GET", "/v1/customers/B2", "key-a", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	for _, want := range []string{`"code":"b2"`, `"addresses":[{"code":"HQ"`, `"is_default":true`, `"contacts":[]`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("customer lacks %s: %s", want, w.Body)
		}
	}
	wantProblem(t, e.do("GET", "/v1/customers/Z9", "key-a", nil), http.StatusNotFound, jobs.ErrCodeNotFound)
	if w := e.do("GET", "/v1/customers/Z9", "key-b", nil); w.Code != http.StatusOK {
		t.Errorf("tenant b's own customer: %d", w.Code)
	}
	// A code with a slash or a space, escaped in the path.
	e.store.customers[1] = append(e.store.customers[1], &jobs.Customer{Code: "X/1 2", Name: "x"})
	if w := e.do("GET", "/v1/customers/x%2F1%202", "key-a", nil); w.Code != http.StatusOK {
		t.Errorf("escaped code: %d %s", w.Code, w.Body)
	}
}
