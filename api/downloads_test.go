package api

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"intake/jobs"
	"intake/jobs/warning"
)

func TestContentDisposition(t *testing.T) {
	tests := []struct{ name, want string }{
		{"customers-report.xlsx", `attachment; filename="customers-report.xlsx"`},
		{"clients été-rapport.csv", `attachment; filename="clients ete-rapport.csv"; filename*=UTF-8''clients%20%C3%A9t%C3%A9-rapport.csv`},
		{`a"b\c/d.csv`, `attachment; filename="a_b_c_d.csv"`},
		{"evil\r\nSet-Cookie: x=1.csv", `attachment; filename="evilSet-Cookie_ x=1.csv"`},
		{"名前.xlsx", `attachment; filename="__.xlsx"; filename*=UTF-8''%E5%90%8D%E5%89%8D.xlsx`},
		{"100%.csv", `attachment; filename="100_.csv"; filename*=UTF-8''100%25.csv`},
		{"../../etc/passwd", `attachment; filename="_.._etc_passwd"`},
		{".htaccess", `attachment; filename="htaccess"`},
		{"", `attachment; filename="download"`},
		{"a\u202eexe.csv", `attachment; filename="aexe.csv"`},
		{"  trailing dots...  ", `attachment; filename="trailing dots"`},
		{strings.Repeat("é", 300) + ".xlsx", `attachment; filename="` + strings.Repeat("e", 115) + `.xlsx"; filename*=UTF-8''` + strings.Repeat("%C3%A9", 115) + ".xlsx"},
	}
	for _, tt := range tests {
		if got := contentDisposition(tt.name); got != tt.want {
			t.Errorf("contentDisposition(%q)\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestTemplateDownloads(t *testing.T) {
	e := newEnv(t, Config{})
	w := e.do("GET", "/v1/templates/customers.xlsx?lang=pt", "key-a", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("xlsx template: %d %s", w.Code, w.Body)
	}
	h := w.Header()
	if h.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
		h.Get("Content-Disposition") != `attachment; filename="modelo-clientes.xlsx"` ||
		h.Get("Content-Language") != "pt" || h.Get("Content-Length") != strconv.Itoa(w.Body.Len()) || h.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", h)
	}
	f, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("Clientes", "A1"); v != "Código do cliente" {
		t.Errorf("A1 = %q", v)
	}

	w = e.do("GET", "/v1/templates/customers.csv", "key-a", nil, "Accept-Language", "fr-FR,fr;q=0.9")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "\uFEFFCode client;Nom du client;") ||
		w.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		w.Header().Get("Content-Disposition") != `attachment; filename="modele-clients.csv"` {
		t.Errorf("csv template: %d %v %q", w.Code, w.Header(), w.Body)
	}
	if w := e.do("GET", "/v1/templates/customers.csv?lang=de", "key-a", nil); !strings.HasPrefix(w.Body.String(), "\uFEFFCustomer code,Customer name,") {
		t.Errorf("an unknown language gives %q", w.Body)
	}
	if w := e.do("HEAD", "/v1/templates/customers.csv", "key-a", nil); w.Code != http.StatusOK || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: %d %q", w.Code, w.Body)
	}
}

// reportImport stores a validated import of tenant 1 named name, its file,
// a red row 3 and a skipped row 4.
func reportImport(t *testing.T, e *env, name string) string {
	t.Helper()
	id := e.store.add(1, jobs.StatusValidated, time.Now())
	key := jobs.ObjectKey(1, id)
	e.store.mu.Lock()
	e.store.imports[id].ObjectKey, e.store.imports[id].Filename = key, name
	e.store.warnings[id] = []jobs.StoredWarning{
		{Seq: 0, Warning: warning.Warning{Row: 3, Column: "C", Field: "contact_email", Code: warning.EmailInvalid, Value: "bad"}},
	}
	e.store.skips[id] = []int{4}
	e.store.mu.Unlock()
	csv := "Customer code,Customer name,Contact email\nC1,One,a@b.co\nC2,=2+2,bad\nC3,Three,\n"
	if _, err := e.blobs.Put(context.Background(), key, strings.NewReader(csv), int64(len(csv))); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestReportDownloads(t *testing.T) {
	e := newEnv(t, Config{})
	id := reportImport(t, e, "clients été.csv")
	w := e.do("GET", "/v1/imports/"+id+"/report.csv?lang=fr", "key-a", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("report.csv: %d %s", w.Code, w.Body)
	}
	want := "\uFEFFCustomer code;Customer name;Contact email;Statut de l'import;Messages de l'import\n" +
		"C1;One;a@b.co;OK;\n" +
		"C2;'=2+2;bad;Erreur;\"C: " + strings.ReplaceAll(warning.Message("fr", warning.Warning{Code: warning.EmailInvalid, Value: "bad"}), `"`, `""`) + "\"\n" +
		"C3;Three;;Ignorée;\n"
	if got := w.Body.String(); got != want {
		t.Errorf("report.csv\n%q\nwant\n%q", got, want)
	}
	if got := w.Header().Get("Content-Disposition"); got != `attachment; filename="clients ete-rapport.csv"; filename*=UTF-8''clients%20%C3%A9t%C3%A9-rapport.csv` {
		t.Errorf("Content-Disposition %s", got)
	}
	if w.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) || w.Header().Get("Content-Language") != "fr" {
		t.Errorf("headers %v", w.Header())
	}

	w = e.do("GET", "/v1/imports/"+id+"/report.xlsx", "key-a", nil, "Accept-Language", "pt")
	if w.Code != http.StatusOK || w.Header().Get("Content-Disposition") != `attachment; filename="clients ete-relatorio.xlsx"; filename*=UTF-8''clients%20%C3%A9t%C3%A9-relatorio.xlsx` {
		t.Fatalf("report.xlsx: %d %v", w.Code, w.Header())
	}
	f, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("Relatório", "D3"); v != "Erro" {
		t.Errorf("D3 = %q", v)
	}
	if v, _ := f.GetCellValue("Relatório", "B3"); v != "=2+2" {
		t.Errorf("B3 = %q", v)
	}
}

func TestReportRefused(t *testing.T) {
	e := newEnv(t, Config{})
	for _, st := range []jobs.Status{jobs.StatusQueued, jobs.StatusValidating, jobs.StatusFailed, jobs.StatusCancelled, jobs.StatusExpired} {
		id := e.store.add(1, st, time.Now())
		p := wantProblem(t, e.do("GET", "/v1/imports/"+id+"/report.xlsx", "key-a", nil), http.StatusConflict, jobs.ErrCodeInvalidState)
		if !strings.Contains(p.Detail, string(st)) {
			t.Errorf("%s: detail %q", st, p.Detail)
		}
	}
	for _, st := range []jobs.Status{jobs.StatusConfirming, jobs.StatusCompleted} {
		id := reportImport(t, e, "f.csv")
		e.store.mu.Lock()
		e.store.imports[id].Status = st
		e.store.mu.Unlock()
		if w := e.do("GET", "/v1/imports/"+id+"/report.csv", "key-a", nil); w.Code != http.StatusOK {
			t.Errorf("%s: %d", st, w.Code)
		}
	}

	// The file is gone: 410 when retention deleted it, 500 (logged) otherwise.
	id := reportImport(t, e, "f.csv")
	e.blobs.Delete(context.Background(), jobs.ObjectKey(1, id))
	wantProblem(t, e.do("GET", "/v1/imports/"+id+"/report.csv", "key-a", nil), http.StatusInternalServerError, jobs.ErrCodeInternal)
	e.store.mu.Lock()
	e.store.deleted[id] = true
	e.store.mu.Unlock()
	p := wantProblem(t, e.do("GET", "/v1/imports/"+id+"/report.csv", "key-a", nil, "Accept-Language", "fr"), http.StatusGone, jobs.ErrCodeFileDeleted)
	if p.Detail != warning.ProblemDetail("fr", jobs.ErrCodeFileDeleted) {
		t.Errorf("detail %q", p.Detail)
	}
}
