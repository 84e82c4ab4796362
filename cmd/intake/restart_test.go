package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"intake/jobs"
)

// fastJanitor makes the janitor look every 2s for imports stuck 5s, so
// that a task Redis lost is enqueued again within seconds.
func fastJanitor() []string {
	return []string{"INTAKE_RETENTION_EVERY=2s", "INTAKE_STALE_AFTER=5s"}
}

// TestRedisRestartDuringValidate restarts a private Redis, which keeps
// nothing on disk, while a file of 100,000 rows validates, another waits in the queue
// and a third is uploaded during the outage: the restart loses every queued
// task. The validate in progress finishes; the janitor enqueues the lost
// ones again; all three validate and confirm, and the data equals a clean run.
func TestRedisRestartDuringValidate(t *testing.T) {
	t.Parallel()
	rd := startPrivateRedis(t)
	c := newCluster(t, clusterOpts{workers: 1, redisURL: rd.url(0),
		env: append(fastJanitor(), "INTAKE_WORKER_CONCURRENCY=1")})
	files := []importFile{
		{tenant: "tenant-a", name: "big.csv", data: customersCSV(7, 100000, 5000)},
		{tenant: "tenant-a", name: "queued.csv", data: customersCSV(8, 2000, 5000)},
		{tenant: "tenant-a", name: "during.csv", data: customersCSV(9, 2000, 5000)},
	}
	ids := make([]string, len(files))
	var err error
	for i := range 2 {
		if ids[i], err = postFile(c.http.url, c.http.keyA, files[i].name, files[i].data); err != nil {
			t.Fatal(err)
		}
	}
	waitProgress(t, c, ids[0])
	rd.stop()
	// Uploads go on while Redis is down: the import is stored, its enqueue fails.
	if ids[2], err = postFile(c.http.url, c.http.keyA, files[2].name, files[2].data); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	rd.start()
	back := time.Now()
	imp, err := c.db.ImportByID(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	waitStatuses(t, c.db, ids, 2*time.Minute, jobs.StatusValidated)
	t.Logf("the large file was %s (%d rows read) when Redis came back; all three validated %v later",
		imp.Status, imp.Progress.RowsRead, time.Since(back).Round(100*time.Millisecond))
	confirmAll(t, c, files, ids)
	waitStatuses(t, c.db, ids, 2*time.Minute, jobs.StatusCompleted)
	compareWithReplay(t, c, files, ids)
}

// TestPostgresRestartDuringConfirm runs three confirms against a private
// Postgres cluster, each caught inside its transaction:
//
//   - a worker stopped (SIGTERM) while its confirm waits for the tenant
//     lock: asynq requeues the task at the end of the shutdown timeout and
//     the other worker applies it, once;
//   - Postgres crashed (stop -m immediate) while a confirm applies: the
//     transaction is lost whole and the retry, seconds later, applies it;
//   - Postgres down longer than all the retries: the import fails with
//     internal, nothing applied, and is confirmed again successfully.
//
// The data then equals a clean run of the three files in confirm order.
func TestPostgresRestartDuringConfirm(t *testing.T) {
	t.Parallel()
	pg := startPrivatePostgres(t)
	rd := startPrivateRedis(t)
	c := newCluster(t, clusterOpts{dsn: pg.dsn(), redisURL: rd.url(0),
		env: append(fastJanitor(), "INTAKE_WORKER_SHUTDOWN_TIMEOUT=1s", "INTAKE_MAX_RETRY_DELAY=1s")})
	ctx := context.Background()
	tenant, err := c.db.TenantByAPIKey(ctx, c.http.keyA)
	if err != nil {
		t.Fatal(err)
	}
	files := []importFile{
		{tenant: "tenant-a", name: "sigterm.csv", data: customersCSV(21, 3000, 800)},
		{tenant: "tenant-a", name: "crash.csv", data: customersCSV(22, 30000, 8000)},
		{tenant: "tenant-a", name: "outage.csv", data: customersCSV(23, 3000, 800)},
	}
	ids := make([]string, len(files))
	for i, f := range files {
		if ids[i], err = postFile(c.http.url, c.http.keyA, f.name, f.data); err != nil {
			t.Fatal(err)
		}
	}
	waitStatuses(t, c.db, ids, 2*time.Minute, jobs.StatusValidated)
	for i, f := range files {
		if err := call("PUT", c.http.url+"/v1/imports/"+ids[i]+"/skips", c.http.keyA, strings.NewReader(`{"rows":[],"all_errors":true}`),
			"application/json", http.StatusOK, nil); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
	}
	confirm := func(id string) {
		t.Helper()
		if err := call("POST", c.http.url+"/v1/imports/"+id+"/confirm", c.http.keyA, nil, "", http.StatusAccepted, nil); err != nil {
			t.Fatal(err)
		}
	}

	// 1. SIGTERM mid-confirm.
	release := holdTenantLock(t, pg.dsn(), tenant.ID)
	confirm(ids[0])
	w := waitLockWait(t, c)
	start := time.Now()
	if !c.terminate(c.workers[w], 20*time.Second) {
		t.Fatalf("worker %d did not exit cleanly after SIGTERM: %v", w+1, c.workers[w].err)
	}
	t.Logf("worker %d exited %v after SIGTERM, its confirm requeued", w+1, time.Since(start).Round(time.Millisecond))
	release()
	waitStatuses(t, c.db, ids[:1], time.Minute, jobs.StatusCompleted)
	if info, err := c.tasks.GetTaskInfo("default", jobs.ConfirmTaskID(ids[0], 1)); err != nil || info.Retried != 0 {
		t.Errorf("the requeued confirm task: %+v, %v", info, err)
	}
	c.run(c.workers[w])

	// 2. Postgres crashes while a confirm applies.
	release = holdTenantLock(t, pg.dsn(), tenant.ID)
	confirm(ids[1])
	waitLockWait(t, c)
	release()
	applying := waitApplying(t, c)
	pg.stop("immediate")
	time.Sleep(500 * time.Millisecond)
	pg.start()
	back := time.Now()
	waitStatuses(t, c.db, ids[:2], time.Minute, jobs.StatusCompleted)
	t.Logf("Postgres crashed while the confirm was %s; applied %v after Postgres was back",
		applying, time.Since(back).Round(100*time.Millisecond))

	// 3. Postgres down through every retry: failed, then confirmed again.
	release = holdTenantLock(t, pg.dsn(), tenant.ID)
	confirm(ids[2])
	waitLockWait(t, c)
	before, _ := dataChecksum(t, c.db)
	pg.stop("fast")
	time.Sleep(25 * time.Second)
	pg.start()
	back = time.Now()
	// Its session died with the server; calling it keeps the connection
	// reachable until now (a collected socket would close, releasing the lock).
	release()
	waitStatuses(t, c.db, ids[2:], time.Minute, jobs.StatusFailed)
	failedAfter := time.Since(back)
	imp, err := c.db.ImportByID(ctx, ids[2])
	if err != nil || imp.Error == nil || imp.Error.Code != jobs.ErrCodeInternal || !imp.CanConfirmAgain() {
		t.Fatalf("after the outage: %+v %v", imp, err)
	}
	if after, _ := dataChecksum(t, c.db); after != before {
		t.Fatal("a confirm that failed changed the data")
	}
	again := time.Now()
	confirm(ids[2])
	waitStatuses(t, c.db, ids, time.Minute, jobs.StatusCompleted)
	t.Logf("after 25s without Postgres: failed (internal) %v after it was back; confirmed again and applied in %v",
		failedAfter.Round(100*time.Millisecond), time.Since(again).Round(100*time.Millisecond))
	compareWithReplay(t, c, files, ids)
}

// holdTenantLock takes the tenant's confirm lock in a transaction of the
// test's own and returns the function that releases it.
func holdTenantLock(t *testing.T, dsn string, tenantID int64) func() {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7411, $1::int)`, tenantID); err != nil {
		t.Fatal(err)
	}
	return func() {
		_ = tx.Commit(ctx)
		_ = conn.Close(ctx)
	}
}

// waitLockWait waits until a worker's session waits for an advisory lock
// (a confirm blocked on the tenant lock) and returns that worker's index.
func waitLockWait(t *testing.T, c *cluster) int {
	t.Helper()
	return waitSession(t, c, "waiting for the tenant lock", `wait_event_type = 'Lock' AND wait_event = 'advisory'`)
}

// waitApplying waits until a worker's session runs the apply statements of
// a confirm and returns the statement's beginning; "" if the confirm ended
// before it could be seen.
func waitApplying(t *testing.T, c *cluster) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var q string
		err := c.db.Pool.QueryRow(context.Background(), `SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 60)
			FROM pg_stat_activity WHERE application_name LIKE $1 AND state = 'active' AND query ~ 't_(cust|addr|contact)'
			LIMIT 1`, "intake-"+c.id+"-worker-%").Scan(&q)
		if err == nil {
			return fmt.Sprintf("running %q", q)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return "not seen applying"
}

// waitSession waits up to 30s for a worker session matching cond.
func waitSession(t *testing.T, c *cluster, what, cond string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for i := range c.workers {
			var n int
			if err := c.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
				WHERE application_name = $1 AND `+cond, c.session(i)).Scan(&n); err == nil && n > 0 {
				return i
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no worker session %s within 30s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitProgress waits until the import validates and has read some rows.
func waitProgress(t *testing.T, c *cluster, id string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		imp, err := c.db.ImportByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if imp.Status == jobs.StatusValidating && imp.Progress.RowsRead > 0 {
			return
		}
		if imp.Status != jobs.StatusQueued && imp.Status != jobs.StatusValidating || time.Now().After(deadline) {
			t.Fatalf("import %s is %s (%d rows read), want validating", id, imp.Status, imp.Progress.RowsRead)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// confirmAll skips the red rows of every import and confirms it.
func confirmAll(t *testing.T, c *cluster, files []importFile, ids []string) {
	t.Helper()
	keys := map[string]string{"tenant-a": c.http.keyA, "tenant-b": c.http.keyB}
	for i, id := range ids {
		key := keys[files[i].tenant]
		if err := call("PUT", c.http.url+"/v1/imports/"+id+"/skips", key, strings.NewReader(`{"rows":[],"all_errors":true}`),
			"application/json", http.StatusOK, nil); err != nil {
			t.Fatal(err)
		}
		if err := call("POST", c.http.url+"/v1/imports/"+id+"/confirm", key, nil, "", http.StatusAccepted, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// compareWithReplay checks the cluster's data and warnings against a clean
// run of the files applied in the order the cluster applied them, and
// returns the data checksum, the customer/address/contact counts and the
// number of warnings stored.
func compareWithReplay(t *testing.T, c *cluster, files []importFile, ids []string) (string, [3]int, int) {
	t.Helper()
	order, _ := confirmOrder(t, c, ids)
	byID := map[string]importFile{}
	for i, id := range ids {
		byID[id] = files[i]
	}
	var replay []importFile
	for _, id := range order {
		replay = append(replay, byID[id])
	}
	want, digests := replayImports(t, replay)
	got, n := dataChecksum(t, c.db)
	if got != want {
		t.Errorf("the data differs from a clean run applied in confirm order (%d customers, %d addresses, %d contacts)", n[0], n[1], n[2])
	}
	warnings := 0
	for _, id := range ids {
		d, nw := warningDigest(t, c.db, id)
		warnings += nw
		if d != digests[byID[id].name] {
			t.Errorf("%s: its warnings differ from the clean run's", byID[id].name)
		}
	}
	return got, n, warnings
}
