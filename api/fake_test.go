package api

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"intake/jobs"
	"intake/jobs/report"
)

// fakeStore is an in-memory jobs.Store holding what the API reads. The
// embedded interface is nil: a method the service does not call from the
// API panics, which the tests would show.
type fakeStore struct {
	jobs.Store

	mu        sync.Mutex
	keys      map[string]jobs.Tenant
	imports   map[string]*jobs.Import
	warnings  map[string][]jobs.StoredWarning
	dataRows  map[string][]int
	redRows   map[string][]int
	skips     map[string][]int
	customers map[int64][]*jobs.Customer
	// deleted holds the imports whose file retention deleted.
	deleted map[string]bool
	// lastLimit is the limit of the last list call.
	lastLimit int
	// panicOn makes Import panic for that id; failWith makes it fail.
	panicOn  string
	failWith error
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		keys:      map[string]jobs.Tenant{"key-a": {ID: 1, Name: "a"}, "key-b": {ID: 2, Name: "b"}},
		imports:   map[string]*jobs.Import{},
		warnings:  map[string][]jobs.StoredWarning{},
		dataRows:  map[string][]int{},
		redRows:   map[string][]int{},
		skips:     map[string][]int{},
		customers: map[int64][]*jobs.Customer{},
		deleted:   map[string]bool{},
	}
}

func (s *fakeStore) TenantByAPIKey(_ context.Context, key string) (jobs.Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.keys[key]
	if key == "wrapped-not-found" {
		return t, fmt.Errorf("lookup key: %w", jobs.ErrNotFound)
	}
	if !ok {
		return t, jobs.ErrNotFound
	}
	return t, nil
}

func (s *fakeStore) CreateImport(_ context.Context, imp *jobs.Import) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	imp.Status = jobs.StatusQueued
	imp.CreatedAt = time.Now()
	imp.UpdatedAt = imp.CreatedAt
	c := *imp
	s.imports[imp.ID] = &c
	return nil
}

// add stores an import of tenant in status, created at, and returns its id.
func (s *fakeStore) add(tenant int64, status jobs.Status, at time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := jobs.NewID()
	s.imports[id] = &jobs.Import{ID: id, TenantID: tenant, Filename: "f.csv", Status: status,
		Summary: &jobs.Summary{}, CreatedAt: at, UpdatedAt: at}
	return id
}

func (s *fakeStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.imports)
}

func (s *fakeStore) Import(_ context.Context, tenantID int64, id string) (*jobs.Import, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == s.panicOn {
		panic("fake store: boom")
	}
	if s.failWith != nil {
		return nil, s.failWith
	}
	imp, ok := s.imports[id]
	if !ok || imp.TenantID != tenantID {
		return nil, jobs.ErrNotFound
	}
	c := *imp
	return &c, nil
}

func (s *fakeStore) ListImports(_ context.Context, tenantID int64, after *jobs.ImportCursor, limit int) ([]*jobs.Import, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastLimit = limit
	var out []*jobs.Import
	for _, imp := range s.imports {
		if imp.TenantID != tenantID {
			continue
		}
		if after != nil && (imp.CreatedAt.After(after.CreatedAt) ||
			imp.CreatedAt.Equal(after.CreatedAt) && imp.ID >= after.ID) {
			continue
		}
		c := *imp
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *jobs.Import) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
	})
	return out[:min(limit, len(out))], nil
}

func (s *fakeStore) Transition(_ context.Context, id string, from []jobs.Status, to jobs.Status) (*jobs.Import, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	imp, ok := s.imports[id]
	if !ok {
		return nil, false, jobs.ErrNotFound
	}
	moved := slices.Contains(from, imp.Status)
	if moved {
		imp.Status = to
	}
	c := *imp
	return &c, moved, nil
}

func (s *fakeStore) Warnings(_ context.Context, id, severity string, after jobs.WarningCursor, limit int) ([]jobs.StoredWarning, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastLimit = limit
	var out []jobs.StoredWarning
	for _, w := range s.warnings[id] {
		if severity != "" && string(w.Severity()) != severity {
			continue
		}
		if w.Row < after.Row || w.Row == after.Row && w.Seq <= after.Seq {
			continue
		}
		out = append(out, w)
	}
	return out[:min(limit, len(out))], nil
}

// ReportMarks yields the skips and warnings of id by row, as storage does.
func (s *fakeStore) ReportMarks(_ context.Context, id string) iter.Seq2[report.Mark, error] {
	s.mu.Lock()
	var marks []report.Mark
	for _, r := range s.skips[id] {
		marks = append(marks, report.Mark{Row: r, Skipped: true})
	}
	for _, w := range s.warnings[id] {
		marks = append(marks, report.Mark{Row: w.Row, Warning: w.Warning})
	}
	s.mu.Unlock()
	slices.SortStableFunc(marks, func(a, b report.Mark) int { return a.Row - b.Row })
	return func(yield func(report.Mark, error) bool) {
		for _, m := range marks {
			if !yield(m, nil) {
				return
			}
		}
	}
}

func (s *fakeStore) FileDeleted(_ context.Context, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleted[id], nil
}

func (s *fakeStore) Skips(_ context.Context, id string) ([]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.skips[id]), nil
}

func (s *fakeStore) ReplaceSkips(_ context.Context, tenantID int64, id string, rows []int, allErrors bool) (*jobs.Skips, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	imp, ok := s.imports[id]
	if !ok || imp.TenantID != tenantID {
		return nil, jobs.ErrNotFound
	}
	if imp.Status != jobs.StatusValidated {
		return nil, &jobs.Error{Code: jobs.ErrCodeInvalidState, Message: fmt.Sprintf("the skip list of an import that is %s cannot change", imp.Status)}
	}
	var bad []int
	for _, r := range rows {
		if !slices.Contains(s.dataRows[id], r) {
			bad = append(bad, r)
		}
	}
	if len(bad) > 0 {
		return nil, &jobs.Error{Code: jobs.ErrCodeInvalidRows, Rows: bad, Message: "some rows are not data rows"}
	}
	skip := slices.Clone(rows)
	if allErrors {
		skip = append(skip, s.redRows[id]...)
	}
	slices.Sort(skip)
	s.skips[id] = slices.Compact(skip)
	sum := *imp.Summary
	sum.RowsSkipped = len(s.skips[id])
	return &jobs.Skips{Rows: slices.Clone(s.skips[id]), Summary: &sum}, nil
}

func (s *fakeStore) RequestConfirm(_ context.Context, tenantID int64, id string) (*jobs.Import, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	imp, ok := s.imports[id]
	if !ok || imp.TenantID != tenantID {
		return nil, jobs.ErrNotFound
	}
	switch imp.Status {
	case jobs.StatusConfirming, jobs.StatusCompleted:
		c := *imp
		return &c, nil
	case jobs.StatusValidated:
	default:
		return nil, &jobs.Error{Code: jobs.ErrCodeInvalidState, Message: fmt.Sprintf("an import that is %s cannot be confirmed", imp.Status)}
	}
	var red []int
	for _, r := range s.redRows[id] {
		if !slices.Contains(s.skips[id], r) {
			red = append(red, r)
		}
	}
	if len(red) > 0 {
		return nil, &jobs.Error{Code: jobs.ErrCodeUnskippedErrors, Rows: red, Message: "some rows with errors are not skipped"}
	}
	imp.Status = jobs.StatusConfirming
	c := *imp
	return &c, nil
}

func (s *fakeStore) Customers(_ context.Context, tenantID int64, after string, limit int) ([]*jobs.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*jobs.Customer
	for _, c := range s.customers[tenantID] {
		if strings.ToLower(c.Code) > after {
			cc := *c
			out = append(out, &cc)
		}
	}
	slices.SortFunc(out, func(a, b *jobs.Customer) int {
		return strings.Compare(strings.ToLower(a.Code), strings.ToLower(b.Code))
	})
	return out[:min(limit, len(out))], nil
}

func (s *fakeStore) Customer(_ context.Context, tenantID int64, code string) (*jobs.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.customers[tenantID] {
		if strings.EqualFold(c.Code, code) {
			cc := *c
			return &cc, nil
		}
	}
	return nil, jobs.ErrNotFound
}

// fakeBlobs is an in-memory jobs.Blobs.
type fakeBlobs struct {
	mu      sync.Mutex
	objects map[string][]byte
}

func (b *fakeBlobs) Put(_ context.Context, key string, r io.Reader, _ int64) (int64, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, fmt.Errorf("put %s: %w", key, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.objects[key] = data
	return int64(len(data)), nil
}

func (b *fakeBlobs) Open(_ context.Context, key string) (io.ReadCloser, int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.objects[key]
	if !ok {
		return nil, 0, jobs.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(data)), int64(len(data)), nil
}

func (b *fakeBlobs) Delete(_ context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.objects, key)
	return nil
}

func (b *fakeBlobs) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.objects)
}

// fakeQueue records the task types enqueued.
type fakeQueue struct {
	mu    sync.Mutex
	types []string
}

func (q *fakeQueue) EnqueueContext(_ context.Context, t *asynq.Task, _ ...asynq.Option) (*asynq.TaskInfo, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.types = append(q.types, t.Type())
	return &asynq.TaskInfo{}, nil
}

func (q *fakeQueue) enqueued() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.types)
}

// env is the API over a real jobs.Service on the fakes.
type env struct {
	t      *testing.T
	h      http.Handler
	store  *fakeStore
	blobs  *fakeBlobs
	queue  *fakeQueue
	reg    *prometheus.Registry
	logBuf *syncBuffer
}

// newEnv builds the API; cfg's Registry and Logger are set by newEnv.
func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := &env{t: t, store: newFakeStore(), blobs: &fakeBlobs{objects: map[string][]byte{}}, queue: &fakeQueue{},
		reg: prometheus.NewRegistry(), logBuf: &syncBuffer{}}
	cfg.Registry = e.reg
	cfg.Logger = slog.New(slog.NewJSONHandler(e.logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.h = New(&jobs.Service{Store: e.store, Blobs: e.blobs, Queue: e.queue}, cfg)
	return e
}

// do serves one request; key "" sends no Authorization header.
func (e *env) do(method, target, key string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, target, body)
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return e.serve(r)
}

func (e *env) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
