package main

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/hibiken/asynq"

	"intake/jobs"
)

// noQueue drops enqueues, so that the test alone runs the tasks.
type noQueue struct{}

func (noQueue) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	return &asynq.TaskInfo{}, nil
}

// TestValidateTwiceStoresOneRun runs the validate task of one import twice
// at once and once more after: asynq may deliver a task again (a worker
// killed or shut down mid-task). Exactly one run's rows and warnings remain.
func TestValidateTwiceStoresOneRun(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tn, err := e.d.db.TenantByAPIKey(ctx, e.keyA)
	if err != nil {
		t.Fatal(err)
	}
	svc := &jobs.Service{Store: e.d.db, Blobs: e.d.blobs, Queue: noQueue{}}
	file := frenchCSV("C1;Un;;A;;1 rue;Paris;1000;;FR;;;;;", "C1;;;B;;2 rue;Lyon;;;France;Oui;;;;", "C2;Deux;;;;;;;;;;X;;x@;")
	imp, err := svc.Upload(ctx, tn.ID, "twice.csv", bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = e.h.Validate(ctx, jobs.NewValidateTask(imp.ID)) }()
	}
	wg.Wait()
	// One run may lose the race on the staged rows' keys and return an error
	// (asynq would retry it); at least one must succeed.
	if errs[0] != nil && errs[1] != nil {
		t.Fatalf("both runs failed: %v / %v", errs[0], errs[1])
	}
	if err := e.h.Validate(ctx, jobs.NewValidateTask(imp.ID)); err != nil {
		t.Fatalf("a late duplicate run: %v", err)
	}
	got := e.wait(e.keyA, imp.ID, jobs.StatusValidated)
	var rows, warnings, distinct int
	if err := e.d.db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM import_rows WHERE import_id = $1),
		(SELECT count(*) FROM import_warnings WHERE import_id = $1),
		(SELECT count(DISTINCT (row_num, code, field)) FROM import_warnings WHERE import_id = $1)`, imp.ID).Scan(&rows, &warnings, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != 3 || got.Summary.RowsTotal != 3 || warnings != distinct || warnings == 0 {
		t.Fatalf("rows %d, warnings %d (distinct %d), summary %+v", rows, warnings, distinct, got.Summary)
	}
}
