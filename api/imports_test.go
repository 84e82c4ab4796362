package api

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"intake/jobs"
	"intake/jobs/warning"
)

const csvFile = "Customer code,Customer name\nC1,One\n"

// multipartBody is a multipart form with a "note" field, then the "file" part.
func multipartBody(t *testing.T, filename string, content []byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("note", "before the file"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// wantAccepted checks a 202 upload answer and returns the import.
func wantAccepted(t *testing.T, e *env, w *httptest.ResponseRecorder, filename string, size int) importJSON {
	t.Helper()
	if w.Code != http.StatusAccepted {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	imp := decode[importJSON](t, w)
	if imp.Import == nil || imp.ID == "" || imp.Filename != filename || imp.Status != jobs.StatusQueued || imp.Size != int64(size) {
		t.Fatalf("upload answered %s", w.Body)
	}
	if loc := w.Header().Get("Location"); loc != "/v1/imports/"+imp.ID {
		t.Errorf("Location %q", loc)
	}
	if e.blobs.objects[jobs.ObjectKey(1, imp.ID)] == nil {
		t.Error("the file is not stored")
	}
	if got := e.queue.enqueued(); !slices.Contains(got, jobs.TypeImportValidate) {
		t.Errorf("enqueued %v", got)
	}
	return imp
}

func TestUploadMultipart(t *testing.T) {
	e := newEnv(t, Config{})
	body, ct := multipartBody(t, `C:\Users\me\clients.csv`, []byte(csvFile))
	w := e.do("POST", "/v1/imports", "key-a", body, "Content-Type", ct)
	wantAccepted(t, e, w, "clients.csv", len(csvFile))

	// A request with no "file" part is invalid.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("other", "x")
	mw.Close()
	wantProblem(t, e.do("POST", "/v1/imports", "key-a", &buf, "Content-Type", mw.FormDataContentType()),
		http.StatusBadRequest, jobs.ErrCodeInvalidRequest)
	wantProblem(t, e.do("POST", "/v1/imports", "key-a", strings.NewReader("not multipart"),
		"Content-Type", "multipart/form-data; boundary=zzz"), http.StatusBadRequest, jobs.ErrCodeInvalidRequest)
}

func TestUploadRaw(t *testing.T) {
	e := newEnv(t, Config{})
	w := e.do("POST", "/v1/imports?filename=../../etc/customers.csv", "key-a", strings.NewReader(csvFile), "Content-Type", "text/csv")
	imp := wantAccepted(t, e, w, "customers.csv", len(csvFile))
	if got := string(e.blobs.objects[jobs.ObjectKey(1, imp.ID)]); got != csvFile {
		t.Errorf("stored %q", got)
	}
	// Without a file name, and without Content-Length.
	r := httptest.NewRequest("POST", "/v1/imports", io.MultiReader(strings.NewReader(csvFile)))
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer key-a")
	wantAccepted(t, e, e.serve(r), "upload", len(csvFile))
}

// unreadable is a body that fails the test when read.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("the body was read")
	return 0, io.EOF
}

func TestUploadContentLengthOverLimitIsRefusedUnread(t *testing.T) {
	e := newEnv(t, Config{MaxUploadBytes: 100})
	for _, ct := range []string{"text/csv", "multipart/form-data; boundary=x"} {
		r := httptest.NewRequest("POST", "/v1/imports?filename=big.csv", unreadable{t})
		r.ContentLength = 100 + multipartSlack + 1
		r.Header.Set("Content-Type", ct)
		r.Header.Set("Authorization", "Bearer key-a")
		r.Header.Set("Accept-Language", "fr")
		p := wantProblem(t, e.serve(r), http.StatusRequestEntityTooLarge, jobs.ErrCodeFileTooLarge)
		if p.Detail != warning.ProblemDetail("fr", "file_too_large") {
			t.Errorf("detail %q", p.Detail)
		}
	}
	r := httptest.NewRequest("POST", "/v1/imports?filename=big.csv", unreadable{t})
	r.ContentLength = 101
	r.Header.Set("Authorization", "Bearer key-a")
	wantProblem(t, e.serve(r), http.StatusRequestEntityTooLarge, jobs.ErrCodeFileTooLarge)
	if e.store.count() != 0 || e.blobs.count() != 0 {
		t.Error("an import was created")
	}
}

// chunked is a body of unknown length (no Content-Length).
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestUploadStreamingPastLimit(t *testing.T) {
	const limit = 1000
	e := newEnv(t, Config{MaxUploadBytes: limit})
	big := bytes.Repeat([]byte("x"), limit+1)

	r := httptest.NewRequest("POST", "/v1/imports?filename=big.csv", chunked{bytes.NewReader(big)})
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer key-a")
	wantProblem(t, e.serve(r), http.StatusRequestEntityTooLarge, jobs.ErrCodeFileTooLarge)

	body, ct := multipartBody(t, "big.csv", big)
	r = httptest.NewRequest("POST", "/v1/imports", chunked{body})
	r.ContentLength = -1
	r.Header.Set("Content-Type", ct)
	r.Header.Set("Authorization", "Bearer key-a")
	wantProblem(t, e.serve(r), http.StatusRequestEntityTooLarge, jobs.ErrCodeFileTooLarge)

	if e.store.count() != 0 || e.blobs.count() != 0 || len(e.queue.enqueued()) != 0 {
		t.Errorf("something was created: %d imports, %d objects", e.store.count(), e.blobs.count())
	}

	// Exactly the limit is accepted, multipart or raw.
	body, ct = multipartBody(t, "max.csv", big[:limit])
	r = httptest.NewRequest("POST", "/v1/imports", chunked{body})
	r.ContentLength = -1
	r.Header.Set("Content-Type", ct)
	r.Header.Set("Authorization", "Bearer key-a")
	wantAccepted(t, e, e.serve(r), "max.csv", limit)
	wantAccepted(t, e, e.do("POST", "/v1/imports?filename=max.csv", "key-a", bytes.NewReader(big[:limit])), "max.csv", limit)
}

// broken fails after a few bytes, as a client that hangs up mid-upload.
type broken struct{ n int }

func (b *broken) Read(p []byte) (int, error) {
	if b.n > 0 {
		b.n--
		return copy(p, "x"), nil
	}
	return 0, errors.New("connection reset by peer")
}

func TestUploadBrokenBodyIsABadRequest(t *testing.T) {
	e := newEnv(t, Config{})
	r := httptest.NewRequest("POST", "/v1/imports?filename=a.csv", &broken{n: 3})
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer key-a")
	wantProblem(t, e.serve(r), http.StatusBadRequest, jobs.ErrCodeInvalidRequest)
	if e.store.count() != 0 {
		t.Error("an import was created")
	}
}

func TestListImportsPages(t *testing.T) {
	e := newEnv(t, Config{})
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.store.add(1, jobs.StatusValidated, base.Add(time.Duration(i)*time.Hour)))
	}
	e.store.add(2, jobs.StatusValidated, base)
	slices.Reverse(ids) // newest first

	var got []string
	cursor := ""
	for range 5 {
		w := e.do("GET", "/v1/imports?limit=2"+cursor, "key-a", nil)
		if w.Code != http.StatusOK {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		p := decode[page[importJSON]](t, w)
		for _, it := range p.Items {
			got = append(got, it.ID)
		}
		if p.Next == nil {
			break
		}
		cursor = "&cursor=" + *p.Next
	}
	if !slices.Equal(got, ids) {
		t.Errorf("pages gave %v, want %v", got, ids)
	}
	w := e.do("GET", "/v1/imports", "key-a", nil)
	if !strings.Contains(w.Body.String(), `"next":null`) || e.store.lastLimit != 51 {
		t.Errorf("default page: limit %d, %s", e.store.lastLimit, w.Body)
	}
	e.do("GET", "/v1/imports?limit=5000", "key-a", nil)
	if e.store.lastLimit != 201 {
		t.Errorf("limit not capped at 200: %d", e.store.lastLimit)
	}
	for _, q := range []string{"limit=0", "limit=-3", "limit=ten", "cursor=***", "cursor=bm90IGpzb24"} {
		wantProblem(t, e.do("GET", "/v1/imports?"+q, "key-a", nil), http.StatusBadRequest, jobs.ErrCodeInvalidRequest)
	}
}

func TestImportFailureMessageIsLocalized(t *testing.T) {
	e := newEnv(t, Config{})
	id := e.store.add(1, jobs.StatusFailed, time.Now())
	detail := `row 1 matches none of the template headers (such as "Code client" and "Nom du client")`
	e.store.imports[id].Error = &jobs.Failure{Code: "no_header", Message: detail}
	for lang, want := range map[string]string{"en": detail, "fr": warning.FileMessage("fr", warning.NoHeader, ""),
		"pt": warning.FileMessage("pt", warning.NoHeader, "")} {
		imp := decode[importJSON](t, e.do("GET", "/v1/imports/"+id+"?lang="+lang, "key-a", nil))
		if imp.Error == nil || imp.Error.Code != "no_header" || imp.Error.Message != want {
			t.Errorf("%s: error %+v", lang, imp.Error)
		}
	}
	if w := e.do("GET", "/v1/imports/"+id, "key-a", nil); !strings.Contains(w.Body.String(), `"summary":{`) ||
		!strings.Contains(w.Body.String(), `"progress":{"rows_read":0,"percent":0}`) {
		t.Errorf("import object %s", w.Body)
	}
}

func TestConfirmAndCancel(t *testing.T) {
	e := newEnv(t, Config{})
	id := e.store.add(1, jobs.StatusValidated, time.Now())
	e.store.dataRows[id] = []int{2, 3, 4}
	e.store.redRows[id] = []int{3}

	p := wantProblem(t, e.do("POST", "/v1/imports/"+id+"/confirm", "key-a", nil), http.StatusConflict, jobs.ErrCodeUnskippedErrors)
	if !slices.Equal(p.Rows, []int{3}) {
		t.Errorf("rows %v", p.Rows)
	}
	e.do("PUT", "/v1/imports/"+id+"/skips", "key-a", strings.NewReader(`{"all_errors":true}`))
	for range 2 {
		w := e.do("POST", "/v1/imports/"+id+"/confirm", "key-a", nil)
		if w.Code != http.StatusAccepted || decode[importJSON](t, w).Status != jobs.StatusConfirming {
			t.Fatalf("confirm: %d %s", w.Code, w.Body)
		}
	}
	w := e.do("DELETE", "/v1/imports/"+id, "key-a", nil)
	p = wantProblem(t, w, http.StatusConflict, jobs.ErrCodeInvalidState)
	if p.Detail != "An import that is confirming cannot be cancelled." {
		t.Errorf("an English invalid_state says why: %q", p.Detail)
	}

	id = e.store.add(1, jobs.StatusValidated, time.Now())
	for range 2 {
		w := e.do("DELETE", "/v1/imports/"+id, "key-a", nil)
		if w.Code != http.StatusOK || decode[importJSON](t, w).Status != jobs.StatusCancelled {
			t.Fatalf("cancel: %d %s", w.Code, w.Body)
		}
	}
	p = wantProblem(t, e.do("POST", "/v1/imports/"+id+"/confirm", "key-a", nil, "Accept-Language", "fr"),
		http.StatusConflict, jobs.ErrCodeInvalidState)
	if p.Detail != warning.ProblemDetail("fr", "invalid_state") {
		t.Errorf("fr detail %q", p.Detail)
	}
}
