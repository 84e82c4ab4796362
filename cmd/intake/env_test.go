package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"intake/jobs"
	"intake/storage/postgres/pgtest"
)

// testRedisURL is the Redis the end-to-end tests use: TEST_REDIS_URL when
// set (the tests flush it), else a redis-server of the test's own, so that
// two test runs on one machine never take each other's tasks.
func testRedisURL(t *testing.T) string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return startPrivateRedis(t).url(0)
}

// testS3 returns the S3 server the tests use: the one .ci/run starts
// (versitygw). Without it the test fails, saying how to start one.
func testS3(t *testing.T) (endpoint, access, secret string) {
	t.Helper()
	endpoint = os.Getenv("TEST_S3_ENDPOINT")
	if endpoint == "" {
		t.Fatal("TEST_S3_ENDPOINT is not set: run the tests with `bash .ci/run`, or start an S3 server, e.g. " +
			"ROOT_ACCESS_KEY=k ROOT_SECRET_KEY=secretsecret versitygw --port 127.0.0.1:7070 posix /tmp/s3 & " +
			"and set TEST_S3_ENDPOINT=127.0.0.1:7070 TEST_S3_ACCESS_KEY=k TEST_S3_SECRET_KEY=secretsecret")
	}
	return endpoint, os.Getenv("TEST_S3_ACCESS_KEY"), os.Getenv("TEST_S3_SECRET_KEY")
}

// env is one running Intake: API on an httptest server and a worker, on
// real Postgres (own schema), Redis and S3.
type env struct {
	t          *testing.T
	url        string
	d          *deps
	h          *jobs.Handlers
	cfg        config
	keyA, keyB string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	endpoint, access, secret := testS3(t)
	redisURL := testRedisURL(t)
	ropt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(ropt)
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("redis is not reachable at %s (%v); start it with: redis-server --daemonize yes --port 6379 --save ''", redisURL, err)
	}
	rdb.Close()
	cfg := config{DatabaseURL: pgtest.NewSchema(t), RedisURL: redisURL, S3Endpoint: endpoint,
		S3AccessKey: access, S3SecretKey: secret, S3Bucket: "intake-test", S3Region: "us-east-1",
		MaxUpload: 8 << 20, MaxRows: 1048575, Retention: 168 * time.Hour, Concurrency: 2, TempDir: t.TempDir()}
	d, err := connect(ctx, cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv := httptest.NewServer(d.api(cfg, log))
	done := make(chan struct{})
	go func() { defer close(done); _ = d.worker(cfg, log).Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close(); d.close() })
	e := &env{t: t, url: srv.URL, d: d, h: d.handlers(cfg, log), cfg: cfg}
	if _, e.keyA, err = d.db.CreateAPIKey(ctx, "tenant-a"); err != nil {
		t.Fatal(err)
	}
	if _, e.keyB, err = d.db.CreateAPIKey(ctx, "tenant-b"); err != nil {
		t.Fatal(err)
	}
	return e
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (e *env) do(method, path, key string, body io.Reader, contentType string, out any) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

func (e *env) jsonBody(v any) io.Reader {
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// upload posts a file as a multipart part "file" and returns the import.
func (e *env) upload(key, name string, content []byte) *jobs.Import {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	var imp jobs.Import
	resp := e.do("POST", "/v1/imports", key, &buf, mw.FormDataContentType(), &imp)
	if resp.StatusCode != http.StatusAccepted || !strings.HasPrefix(resp.Header.Get("Location"), "/v1/imports/") {
		b, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
	return &imp
}

// uploadRaw posts a raw body with ?filename=.
func (e *env) uploadRaw(key, name string, content []byte) *jobs.Import {
	e.t.Helper()
	var imp jobs.Import
	resp := e.do("POST", "/v1/imports?filename="+name, key, bytes.NewReader(content), "text/csv", &imp)
	if resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("upload raw: %d %s", resp.StatusCode, b)
	}
	return &imp
}

// wait polls the import until its status is one of want.
func (e *env) wait(key, id string, want ...jobs.Status) *jobs.Import {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var imp jobs.Import
		resp := e.do("GET", "/v1/imports/"+id, key, nil, "", &imp)
		if resp.StatusCode != 200 {
			e.t.Fatalf("poll: %d", resp.StatusCode)
		}
		for _, s := range want {
			if imp.Status == s {
				return &imp
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("import %s is %s (error %+v), want %v", id, imp.Status, imp.Error, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// warningItem is an item of GET /v1/imports/{id}/warnings.
type warningItem struct {
	Row      int            `json:"row"`
	Severity string         `json:"severity"`
	Code     string         `json:"code"`
	Column   string         `json:"column"`
	Field    string         `json:"field"`
	Value    string         `json:"value"`
	Message  string         `json:"message"`
	Params   map[string]any `json:"params"`
}

// warnings returns every warning of an import, following the cursor.
func (e *env) warnings(key, id, query string) []warningItem {
	e.t.Helper()
	var all []warningItem
	path := "/v1/imports/" + id + "/warnings?limit=2" + query
	for {
		var page struct {
			Items []warningItem `json:"items"`
			Next  *string       `json:"next"`
		}
		if resp := e.do("GET", path, key, nil, "", &page); resp.StatusCode != 200 {
			e.t.Fatalf("warnings: %d", resp.StatusCode)
		}
		all = append(all, page.Items...)
		if page.Next == nil {
			return all
		}
		path = "/v1/imports/" + id + "/warnings?limit=2" + query + "&cursor=" + *page.Next
	}
}

// codesByRow maps row → codes.
func codesByRow(ws []warningItem) map[int][]string {
	m := map[int][]string{}
	for _, w := range ws {
		m[w.Row] = append(m[w.Row], w.Code)
	}
	return m
}
