package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"intake/jobs"
)

// idleQueue returns an asynq client and inspector on a private Redis with
// no worker: tasks stay where the test puts them.
func idleQueue(t *testing.T) (*asynq.Client, *asynq.Inspector) {
	t.Helper()
	url := startPrivateRedis(t).url(0)
	opt, err := asynq.ParseRedisURI(url)
	if err != nil {
		t.Fatal(err)
	}
	c, in := asynq.NewClient(opt), asynq.NewInspector(opt)
	t.Cleanup(func() { c.Close(); in.Close() })
	return c, in
}

// validated uploads a small file as tenant A through the real service but
// validates it synchronously, with no task queued anywhere.
func (e *env) validated(name, content string) *jobs.Import {
	e.t.Helper()
	ctx := context.Background()
	tn, err := e.d.db.TenantByAPIKey(ctx, e.keyA)
	if err != nil {
		e.t.Fatal(err)
	}
	svc := &jobs.Service{Store: e.d.db, Blobs: e.d.blobs, Queue: noQueue{}}
	imp, err := svc.Upload(ctx, tn.ID, name, strings.NewReader(content), int64(len(content)))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.h.Validate(ctx, jobs.NewValidateTask(imp.ID)); err != nil {
		e.t.Fatal(err)
	}
	return e.wait(e.keyA, imp.ID, jobs.StatusValidated)
}

// age moves an import's last update an hour back, past any stale threshold.
func (e *env) age(id string) {
	e.t.Helper()
	if _, err := e.d.db.Pool.Exec(context.Background(),
		`UPDATE imports SET updated_at = now() - interval '1 hour' WHERE id = $1`, id); err != nil {
		e.t.Fatal(err)
	}
}

// A confirm task that asynq gave up on — its recoverer archives a task whose
// worker died once too often, without calling the ErrorHandler — must not
// leave the import confirming forever: the janitor fails it with internal,
// and the import can then be confirmed again, as a new attempt with its own
// task id, and is applied once.
func TestJanitorFailsGivenUpConfirmThenConfirmAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	queue, tasks := idleQueue(t)
	imp := e.validated("again.csv", "Customer code,Customer name\nJ1,One\nJ2,Two\n")
	svc := &jobs.Service{Store: e.d.db, Blobs: e.d.blobs, Queue: queue}
	tn, _ := e.d.db.TenantByAPIKey(ctx, e.keyA)
	if _, err := svc.Confirm(ctx, tn.ID, imp.ID); err != nil {
		t.Fatal(err)
	}
	first := jobs.ConfirmTaskID(imp.ID, 1)
	if err := tasks.ArchiveTask("default", first); err != nil {
		t.Fatalf("archive %s: %v", first, err)
	}
	e.age(imp.ID)
	h := *e.h
	h.Queue, h.Tasks = queue, tasks
	if err := h.Retention(ctx, jobs.NewRetentionTask()); err != nil {
		t.Fatal(err)
	}
	failed := e.wait(e.keyA, imp.ID, jobs.StatusFailed)
	if failed.Error == nil || failed.Error.Code != "internal" {
		t.Fatalf("error %+v", failed.Error)
	}
	if n := e.count("customers"); n != 0 {
		t.Fatalf("%d customers after a confirm that never ran", n)
	}

	var again jobs.Import
	if resp := e.do("POST", "/v1/imports/"+imp.ID+"/confirm", e.keyA, nil, "", &again); resp.StatusCode != http.StatusAccepted ||
		again.Status != jobs.StatusConfirming || again.Error != nil {
		t.Fatalf("confirm again: %d %+v", resp.StatusCode, again)
	}
	done := e.wait(e.keyA, imp.ID, jobs.StatusCompleted)
	// The env's worker ran the second attempt, under its own task id.
	second := jobs.ConfirmTaskID(imp.ID, 2)
	if info, err := e.d.tasks.GetTaskInfo("default", second); second == first || err != nil || info.State != asynq.TaskStateCompleted {
		t.Fatalf("task %s: %+v, %v", second, info, err)
	}
	if done.Summary.CustomersNew != 2 || e.count("customers") != 2 {
		t.Fatalf("summary %+v, %d customers", done.Summary, e.count("customers"))
	}
	// Confirming once more is the repeated-confirm answer; nothing changes.
	if resp := e.do("POST", "/v1/imports/"+imp.ID+"/confirm", e.keyA, nil, "", &again); resp.StatusCode != http.StatusAccepted ||
		again.Status != jobs.StatusCompleted {
		t.Fatalf("repeated confirm: %d %+v", resp.StatusCode, again)
	}
}

// Only a confirm that failed on a transient error may be confirmed again: a
// file-level failure, or a validate that gave up, stays failed (409).
func TestConfirmAgainOnlyAfterATransientConfirmFailure(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bad := e.uploadRaw(e.keyA, "x.csv", []byte("Foo,Bar\n1,2\n"))
	e.wait(e.keyA, bad.ID, jobs.StatusFailed)
	gaveUp := e.validated("v.csv", "Customer code,Customer name\nK1,One\n")
	if _, err := e.d.db.Pool.Exec(ctx, `UPDATE imports SET status = 'validating' WHERE id = $1`, gaveUp.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.d.db.Fail(ctx, gaveUp.ID, []jobs.Status{jobs.StatusValidating}, jobs.ErrCodeInternal, "gave up"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{bad.ID, gaveUp.ID} {
		var problem struct{ Code string }
		if resp := e.do("POST", "/v1/imports/"+id+"/confirm", e.keyA, nil, "", &problem); resp.StatusCode != http.StatusConflict ||
			problem.Code != "invalid_state" {
			t.Errorf("confirm of %s: %d %+v", id, resp.StatusCode, problem)
		}
	}
}

// An import left validating whose task is gone (Redis lost it) gets its
// validate task enqueued again by the janitor; one whose task is still
// known to asynq is left alone.
func TestJanitorRequeuesLostValidate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	queue, tasks := idleQueue(t)
	lost := e.validated("lost.csv", "Customer code,Customer name\nL1,One\n")
	pending := e.validated("pending.csv", "Customer code,Customer name\nL2,Two\n")
	for _, id := range []string{lost.ID, pending.ID} {
		if _, err := e.d.db.Pool.Exec(ctx, `UPDATE imports SET status = 'validating' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		e.age(id)
	}
	if _, err := queue.Enqueue(jobs.NewValidateTask(pending.ID), asynq.ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h := *e.h
	h.Queue, h.Tasks = queue, tasks
	if err := h.Retention(ctx, jobs.NewRetentionTask()); err != nil {
		t.Fatal(err)
	}
	info, err := tasks.GetTaskInfo("default", jobs.ValidateTaskID(lost.ID))
	if err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("the lost validate task: %+v, %v", info, err)
	}
	if info, err := tasks.GetTaskInfo("default", jobs.ValidateTaskID(pending.ID)); err != nil || info.State != asynq.TaskStateScheduled {
		t.Fatalf("the scheduled validate task: %+v, %v", info, err)
	}
	if got, _ := e.d.db.ImportByID(ctx, pending.ID); got.Status != jobs.StatusValidating {
		t.Fatalf("an import whose task is scheduled became %s", got.Status)
	}
}

// count returns the number of rows of a table in the env's schema.
func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.d.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}
