package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"intake/jobs"
)

// TestSecurityEndToEnd checks the API's promises to hostile callers on the
// real binary (the cluster also fails the test if any process's log holds
// an API key, after requests with right, wrong and malformed keys):
//
//   - every /v1 route of the OpenAPI document answers 401 without a key or
//     with a wrong one, and 404 for another tenant's import or customer;
//   - keys are stored hashed: no column holds a key;
//   - an object key is built from ids only, whatever the file name;
//   - an upload whose Content-Length is over the limit gets 413 before a
//     byte of its body is sent;
//   - a skip list with row numbers outside int4 is 422, not a 500;
//   - a tenant over its rate gets 429 with Retry-After; another does not.
func TestSecurityEndToEnd(t *testing.T) {
	t.Parallel()
	c := newCluster(t, clusterOpts{workers: 1,
		env: []string{"INTAKE_RATE_LIMIT=20", "INTAKE_MAX_UPLOAD_BYTES=1048576"}})
	e := c.http
	imp := e.uploadRaw(e.keyA, "a.csv", []byte("Customer code,Customer name\nS1,One\n"))
	e.wait(e.keyA, imp.ID, jobs.StatusValidated)
	e.do("POST", "/v1/imports/"+imp.ID+"/confirm", e.keyA, nil, "", nil)
	e.wait(e.keyA, imp.ID, jobs.StatusCompleted)

	t.Run("every /v1 route refuses a missing or wrong key and another tenant", func(t *testing.T) {
		e := &env{t: t, url: e.url, keyA: e.keyA, keyB: e.keyB}
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		if resp := e.do("GET", "/openapi.json", "", nil, "", &doc); resp.StatusCode != 200 {
			t.Fatalf("openapi.json: %d", resp.StatusCode)
		}
		routes := 0
		for path, methods := range doc.Paths {
			if !strings.HasPrefix(path, "/v1/") {
				continue
			}
			concrete := strings.NewReplacer("{id}", imp.ID, "{code}", "S1").Replace(path)
			owned := concrete != path // names one of tenant A's resources
			for method := range methods {
				method = strings.ToUpper(method)
				if !slices.Contains([]string{"GET", "POST", "PUT", "DELETE", "PATCH"}, method) {
					continue
				}
				routes++
				body := func() *strings.Reader { return strings.NewReader(`{"rows":[]}`) }
				for _, key := range []string{"", "ik_wrong", e.keyA + "x", "Basic " + e.keyA} {
					req := method + " " + concrete
					resp := e.doRaw(method, concrete, key, body())
					if resp.StatusCode != http.StatusUnauthorized {
						t.Errorf("%s with key %q: %d, want 401", req, key, resp.StatusCode)
					}
				}
				resp := e.doRaw(method, concrete, "Bearer "+e.keyB, body())
				switch {
				case owned && resp.StatusCode != http.StatusNotFound:
					t.Errorf("%s %s as tenant B: %d, want 404", method, concrete, resp.StatusCode)
				case !owned && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode >= 500):
					t.Errorf("%s %s as tenant B: %d", method, concrete, resp.StatusCode)
				}
			}
		}
		if routes < 10 {
			t.Errorf("only %d /v1 routes in the OpenAPI document", routes)
		}
		var list struct{ Items []jobs.Import }
		e.do("GET", "/v1/imports", e.keyB, nil, "", &list)
		for _, it := range list.Items {
			if it.ID == imp.ID {
				t.Error("tenant B lists tenant A's import")
			}
		}
		if got := e.wait(e.keyA, imp.ID, jobs.StatusCompleted); got.Status != jobs.StatusCompleted {
			t.Errorf("tenant B's attempts changed A's import: %s", got.Status)
		}
	})

	t.Run("keys are stored hashed", func(t *testing.T) {
		var n int
		err := c.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
			WHERE position($1 IN k.key_hash::text || k.prefix || t.name) > 0
				OR position($2 IN k.key_hash::text || k.prefix || t.name) > 0
				OR position(convert_to($1, 'UTF8') IN k.key_hash) > 0`,
			e.keyA[3:], e.keyB[3:]).Scan(&n)
		if err != nil || n != 0 {
			t.Fatalf("%d rows hold a key (%v)", n, err)
		}
	})

	t.Run("object keys are built from ids only", func(t *testing.T) {
		e := &env{t: t, url: e.url, keyA: e.keyA}
		content := []byte("Customer code,Customer name\nS2,Two\n")
		ids := []string{e.upload(e.keyA, "../../etc/passwd.csv", content).ID,
			e.upload(e.keyA, `..\..\windows\evil.csv`, content).ID,
			e.uploadRaw(e.keyA, url.QueryEscape("../../etc/passwd\x00.csv\r\n"), content).ID}
		keyRe := regexp.MustCompile(`^imports/[0-9]+/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
		for _, id := range ids {
			got, err := c.db.ImportByID(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if !keyRe.MatchString(got.ObjectKey) || !strings.HasSuffix(got.ObjectKey, "/"+id) {
				t.Errorf("object key %q", got.ObjectKey)
			}
			if strings.ContainsAny(got.Filename, "/\\\x00\r\n") || strings.Contains(got.Filename, "..") {
				t.Errorf("stored file name %q", got.Filename)
			}
			e.wait(e.keyA, id, jobs.StatusValidated)
		}
	})

	t.Run("413 before the body is sent", func(t *testing.T) {
		status, after := declareHugeUpload(t, e.url, e.keyA)
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", status)
		}
		t.Logf("413 in %v, no body sent", after)
	})

	t.Run("skip rows outside int4 are invalid rows", func(t *testing.T) {
		e := &env{t: t, url: e.url, keyA: e.keyA}
		v := e.uploadRaw(e.keyA, "v.csv", []byte("Customer code,Customer name\nS3,Three\n"))
		e.wait(e.keyA, v.ID, jobs.StatusValidated)
		var p struct {
			Code string
			Rows []int
		}
		resp := e.do("PUT", "/v1/imports/"+v.ID+"/skips", e.keyA,
			strings.NewReader(`{"rows":[2,3000000000,-5,9223372036854775807]}`), "application/json", &p)
		if resp.StatusCode != http.StatusUnprocessableEntity || p.Code != "invalid_rows" ||
			!slices.Equal(p.Rows, []int{-5, 3000000000, 9223372036854775807}) {
			t.Fatalf("%d %+v", resp.StatusCode, p)
		}
	})

	t.Run("rate limit", func(t *testing.T) {
		var mu sync.Mutex
		codes := map[int]int{}
		retryAfter := ""
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 25 {
					req, _ := http.NewRequest("GET", e.url+"/v1/imports?limit=1", nil)
					req.Header.Set("Authorization", "Bearer "+e.keyA)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						continue
					}
					resp.Body.Close()
					mu.Lock()
					codes[resp.StatusCode]++
					if resp.StatusCode == http.StatusTooManyRequests {
						retryAfter = resp.Header.Get("Retry-After")
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if s, err := strconv.Atoi(retryAfter); codes[http.StatusTooManyRequests] == 0 || err != nil || s < 1 {
			t.Fatalf("200 requests at once: %v, Retry-After %q", codes, retryAfter)
		}
		if resp := (&env{t: t, url: e.url}).doRaw("GET", "/v1/imports", "Bearer "+e.keyB, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("another tenant: %d", resp.StatusCode)
		}
		t.Logf("200 requests at once from one tenant: %v", codes)
	})
}

// doRaw sends a request with the Authorization header exactly as given.
func (e *env) doRaw(method, path, authorization string, body *strings.Reader) *http.Response {
	e.t.Helper()
	var req *http.Request
	var err error
	if body == nil {
		req, err = http.NewRequest(method, e.url+path, nil)
	} else {
		req, err = http.NewRequest(method, e.url+path, body)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	if authorization != "" {
		if !strings.Contains(authorization, " ") {
			authorization = "Bearer " + authorization
		}
		req.Header.Set("Authorization", authorization)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// declareHugeUpload sends the head of an upload declaring 300 MiB and no
// body at all, and returns the status the server answers with, and when.
func declareHugeUpload(t *testing.T, base, key string) (int, time.Duration) {
	t.Helper()
	u, _ := url.Parse(base)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /v1/imports?filename=big.csv HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: text/csv\r\nContent-Length: %d\r\n\r\n", u.Host, key, 300<<20)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}
