package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"intake/jobs"
	"intake/jobs/warning"
)

// decode reads w's JSON body into a T.
func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", w.Body.String(), err)
	}
	return v
}

// wantProblem checks that w is a problem+json of status and code, with every
// member of SPEC §7, and returns it.
func wantProblem(t *testing.T, w *httptest.ResponseRecorder, status int, code string) problem {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q", ct)
	}
	p := decode[problem](t, w)
	if p.Code != code || p.Status != status || p.Title == "" || p.Detail == "" ||
		p.Type != "https://intake.dev/problems/"+code {
		t.Errorf("problem %+v, want code %s status %d", p, code, status)
	}
	return p
}

// concrete fills a route's wildcards.
func concrete(path, id string) string {
	return strings.NewReplacer("{id}", id, "{code}", "C1").Replace(path)
}

func TestEveryV1RouteNeedsAKey(t *testing.T) {
	e := newEnv(t, Config{})
	id := e.store.add(1, jobs.StatusValidated, time.Now())
	n := 0
	for _, rt := range (&server{}).routes() {
		if rt.tenant == nil {
			if strings.HasPrefix(rt.path, "/v1/") {
				t.Errorf("%s %s is public", rt.method, rt.path)
			}
			continue
		}
		n++
		for _, auth := range []string{"", "Bearer", "Bearer ", "Basic a2V5LWE=", "Bearer wrong-key", "Bearer wrapped-not-found", "key-a",
			"Bearer " + strings.Repeat("k", 300)} {
			r := httptest.NewRequest(rt.method, concrete(rt.path, id), strings.NewReader(`{"rows":[]}`))
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			w := e.serve(r)
			wantProblem(t, w, http.StatusUnauthorized, jobs.ErrCodeUnauthorized)
			if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("%s %s: WWW-Authenticate %q", rt.method, rt.path, got)
			}
		}
	}
	if n != 14 {
		t.Errorf("%d /v1 routes, want 14", n)
	}
	if e.store.count() != 1 || len(e.queue.enqueued()) != 0 {
		t.Error("an unauthenticated request changed something")
	}
	// The scheme is case-insensitive.
	if w := e.do("GET", "/v1/imports", "", nil, "Authorization", "bearer key-a"); w.Code != http.StatusOK {
		t.Errorf("lower-case scheme: %d", w.Code)
	}
}

func TestAnotherTenantsImportIsNotFound(t *testing.T) {
	e := newEnv(t, Config{})
	id := e.store.add(1, jobs.StatusValidated, time.Now())
	for _, rt := range (&server{}).routes() {
		if rt.tenant == nil || !strings.Contains(rt.path, "{id}") {
			continue
		}
		w := e.do(rt.method, concrete(rt.path, id), "key-b", strings.NewReader(`{"rows":[]}`))
		wantProblem(t, w, http.StatusNotFound, jobs.ErrCodeNotFound)
		if w := e.do(rt.method, concrete(rt.path, "nope"), "key-a", strings.NewReader(`{"rows":[]}`)); w.Code != http.StatusNotFound {
			t.Errorf("%s %s unknown id: %d", rt.method, rt.path, w.Code)
		}
	}
	if got, _ := e.store.Import(context.Background(), 1, id); got.Status != jobs.StatusValidated {
		t.Errorf("tenant b changed tenant a's import: %s", got.Status)
	}
}

func TestProblemLanguage(t *testing.T) {
	e := newEnv(t, Config{})
	tests := []struct {
		name, accept, query, want string
	}{
		{"default", "", "", "en"},
		{"fr", "fr-FR,fr;q=0.9,en;q=0.5", "", "fr"},
		{"pt", "pt-BR", "", "pt"},
		{"q-values", "fr;q=0.2, pt;q=0.8", "", "pt"},
		{"unknown", "de-DE", "", "en"},
		{"query wins", "fr", "?lang=pt", "pt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do("GET", "/v1/imports/"+jobs.NewID()+tt.query, "key-a", nil, "Accept-Language", tt.accept)
			p := wantProblem(t, w, http.StatusNotFound, jobs.ErrCodeNotFound)
			if p.Detail != warning.ProblemDetail(tt.want, "not_found") || p.Title != warning.ProblemTitle(tt.want, "not_found") {
				t.Errorf("detail %q, title %q; want the %s ones", p.Detail, p.Title, tt.want)
			}
			if got := w.Header().Get("Content-Language"); got != tt.want {
				t.Errorf("Content-Language %q", got)
			}
		})
	}
	fr := decode[problem](t, e.do("GET", "/v1/imports/x", "", nil, "Accept-Language", "fr"))
	en := decode[problem](t, e.do("GET", "/v1/imports/x", "", nil))
	if fr.Detail == en.Detail || fr.Code != en.Code {
		t.Errorf("fr %+v, en %+v: the detail changes, the code does not", fr, en)
	}
}

func TestEveryCodeHasAStatusAndMessages(t *testing.T) {
	want := map[string]int{
		jobs.ErrCodeNotFound: 404, jobs.ErrCodeInvalidState: 409, jobs.ErrCodeUnskippedErrors: 409,
		jobs.ErrCodeNameMissing: 409, jobs.ErrCodeInvalidRows: 422, jobs.ErrCodeInvalidRequest: 400,
		jobs.ErrCodeUnauthorized: 401, jobs.ErrCodeFileTooLarge: 413, jobs.ErrCodeFileDeleted: 410, codeTooManyRequests: 429,
		codeMethodNotAllowed: 405, jobs.ErrCodeInternal: 500, "anything_else": 500,
	}
	for code, status := range want {
		if got := statusOf(code); got != status {
			t.Errorf("statusOf(%s) = %d, want %d", code, got, status)
		}
		if code != "anything_else" && !slices.Contains(warning.ProblemCodes(), code) {
			t.Errorf("%s has no title and detail in jobs/warning", code)
		}
	}
}

func TestInternalErrorsAreOpaqueAndLogged(t *testing.T) {
	e := newEnv(t, Config{})
	e.store.failWith = errors.New("dial tcp 10.0.0.7:5432: password=hunter2")
	w := e.do("GET", "/v1/imports/"+jobs.NewID(), "key-a", nil)
	wantProblem(t, w, http.StatusInternalServerError, jobs.ErrCodeInternal)
	if strings.Contains(w.Body.String(), "hunter2") || strings.Contains(w.Body.String(), "10.0.0.7") {
		t.Errorf("the answer shows internals: %s", w.Body)
	}
	if !strings.Contains(e.logBuf.String(), "hunter2") {
		t.Error("the internal error is not logged")
	}
}

func TestPanicIsA500Problem(t *testing.T) {
	e := newEnv(t, Config{})
	e.store.panicOn = "boom-id"
	w := e.do("GET", "/v1/imports/boom-id", "key-a", nil)
	wantProblem(t, w, http.StatusInternalServerError, "internal")
	if strings.Contains(w.Body.String(), "boom") {
		t.Errorf("the answer shows the panic: %s", w.Body)
	}
	if log := e.logBuf.String(); !strings.Contains(log, "fake store: boom") || !strings.Contains(log, `"status":500`) {
		t.Errorf("panic not logged: %s", log)
	}
	// The server goes on.
	if w := e.do("GET", "/healthz", "", nil); w.Code != http.StatusOK {
		t.Errorf("after a panic: %d", w.Code)
	}
}

func TestUnknownRouteAndWrongMethod(t *testing.T) {
	e := newEnv(t, Config{})
	wantProblem(t, e.do("GET", "/v2/nothing", "key-a", nil), http.StatusNotFound, jobs.ErrCodeNotFound)
	wantProblem(t, e.do("GET", "/v1/imports/a/b/c", "", nil), http.StatusNotFound, jobs.ErrCodeNotFound)
	w := e.do("PATCH", "/v1/imports", "key-a", nil, "Accept-Language", "pt")
	p := wantProblem(t, w, http.StatusMethodNotAllowed, codeMethodNotAllowed)
	if allow := w.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Errorf("Allow %q", allow)
	}
	if p.Detail != warning.ProblemDetail("pt", codeMethodNotAllowed) {
		t.Errorf("detail %q", p.Detail)
	}
	wantProblem(t, e.do("POST", "/healthz", "", nil), http.StatusMethodNotAllowed, codeMethodNotAllowed)
}

func TestRateLimitPerTenant(t *testing.T) {
	e := newEnv(t, Config{RateLimit: 0.5, RateBurst: 2})
	for i := range 2 {
		if w := e.do("GET", "/v1/imports", "key-a", nil); w.Code != http.StatusOK {
			t.Fatalf("request %d: %d", i, w.Code)
		}
	}
	w := e.do("GET", "/v1/imports", "key-a", nil, "Accept-Language", "fr")
	p := wantProblem(t, w, http.StatusTooManyRequests, codeTooManyRequests)
	if p.Detail != warning.ProblemDetail("fr", codeTooManyRequests) {
		t.Errorf("detail %q", p.Detail)
	}
	if s, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || s < 1 || s > 2 {
		t.Errorf("Retry-After %q", w.Header().Get("Retry-After"))
	}
	// Another tenant has its own bucket; a refused request took no token.
	if w := e.do("GET", "/v1/imports", "key-b", nil); w.Code != http.StatusOK {
		t.Errorf("tenant b: %d", w.Code)
	}
	// Unauthenticated requests never reach a bucket.
	if w := e.do("GET", "/v1/imports", "wrong", nil); w.Code != http.StatusUnauthorized {
		t.Errorf("wrong key: %d", w.Code)
	}

	off := newEnv(t, Config{})
	for i := range 300 {
		if w := off.do("GET", "/v1/imports", "key-a", nil); w.Code != http.StatusOK {
			t.Fatalf("without a limit, request %d: %d", i, w.Code)
		}
	}
}

func TestRequestLogHasNoKey(t *testing.T) {
	e := newEnv(t, Config{})
	e.do("GET", "/v1/imports", "key-a", nil)
	e.do("GET", "/v1/imports", "key-zzz-unknown", nil)
	log := e.logBuf.String()
	if strings.Contains(log, "key-a") || strings.Contains(log, "key-zzz") || strings.Contains(log, "Bearer") {
		t.Errorf("the log holds a key: %s", log)
	}
	for _, want := range []string{`"route":"GET /v1/imports"`, `"tenant":1`, `"status":200`, `"status":401`, `"method":"GET"`, `"duration"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %s: %s", want, log)
		}
	}
}

func TestHealthz(t *testing.T) {
	e := newEnv(t, Config{})
	w := e.do("GET", "/healthz", "", nil)
	if w.Code != http.StatusOK || decode[map[string]string](t, w)["status"] != "ok" {
		t.Errorf("healthz: %d %s", w.Code, w.Body)
	}
}

func TestReadyz(t *testing.T) {
	var deadline time.Duration
	ok := Check{Name: "postgres", Func: func(ctx context.Context) error {
		d, _ := ctx.Deadline()
		deadline = time.Until(d)
		return nil
	}}
	e := newEnv(t, Config{Ready: []Check{ok, {Name: "redis", Func: func(context.Context) error { return nil }}}})
	w := e.do("GET", "/readyz", "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("all ready: %d %s", w.Code, w.Body)
	}
	if deadline <= 0 || deadline > 2*time.Second {
		t.Errorf("a check's deadline is %v away, want at most 2s", deadline)
	}

	e = newEnv(t, Config{Ready: []Check{ok, {Name: "s3", Func: func(context.Context) error {
		return errors.New("dial tcp 10.1.2.3:9000: connection refused")
	}}}})
	w = e.do("GET", "/readyz", "", nil)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("s3 down: %d %s", w.Code, w.Body)
	}
	got := decode[struct {
		Status string
		Checks map[string]string
	}](t, w)
	if got.Status != "unavailable" || got.Checks["s3"] != "failed" || got.Checks["postgres"] != "ok" {
		t.Errorf("readyz %+v", got)
	}
	if strings.Contains(w.Body.String(), "10.1.2.3") || !strings.Contains(e.logBuf.String(), "10.1.2.3") {
		t.Error("the check's error belongs in the log, not the answer")
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, Config{})
	e.do("GET", "/healthz", "", nil)
	e.do("GET", "/v1/imports/"+jobs.NewID(), "key-a", nil)
	e.do("GET", "/no/such/path/"+jobs.NewID(), "", nil)
	body := e.do("GET", "/metrics", "", nil).Body.String()
	for _, want := range []string{
		`intake_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`,
		`intake_http_requests_total{code="404",method="GET",route="GET /v1/imports/{id}"} 1`,
		`intake_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`intake_http_request_duration_seconds_bucket{method="GET",route="GET /healthz",le="0.005"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
	// A second API on the same registry reuses the collectors.
	New(&jobs.Service{Store: e.store, Blobs: e.blobs, Queue: e.queue}, Config{Registry: e.reg})
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	e := newEnv(t, Config{})
	w := e.do("GET", "/openapi.json", "", nil)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("openapi.json: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	routes := map[string]bool{}
	for _, rt := range (&server{}).routes() {
		routes[rt.method+" "+rt.path] = true
		op, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]
		if !ok {
			t.Errorf("%s %s is not in openapi.json", rt.method, rt.path)
			continue
		}
		var o struct {
			Responses map[string]json.RawMessage
			Security  *[]any
		}
		if err := json.Unmarshal(op, &o); err != nil {
			t.Fatal(err)
		}
		if rt.tenant != nil && o.Responses["401"] == nil {
			t.Errorf("%s %s: no 401 response", rt.method, rt.path)
		}
		if rt.tenant == nil && (o.Security == nil || len(*o.Security) != 0) {
			t.Errorf("%s %s: a public route must have security: []", rt.method, rt.path)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" && !routes[strings.ToUpper(method)+" "+path] {
				t.Errorf("openapi.json describes %s %s, which is not a route", method, path)
			}
		}
	}
	// Every $ref points into components.
	var all map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &all)
	for _, ref := range refs(all) {
		parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		var node any = all
		for _, p := range parts {
			m, _ := node.(map[string]any)
			node = m[p]
		}
		if node == nil {
			t.Errorf("dangling $ref %s", ref)
		}
	}
}

// refs returns every "$ref" in a decoded JSON document.
func refs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				out = append(out, s)
			}
			out = append(out, refs(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, refs(x)...)
		}
	}
	return out
}
