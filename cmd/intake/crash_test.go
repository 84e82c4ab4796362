package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"intake/jobs"
)

// crashScale is the size of the crash test: small in CI, large for the
// recorded run of docs/reliability.md:
//
//	INTAKE_CRASH_ROWS=50000 INTAKE_CRASH_FILES=3 INTAKE_CRASH_KILLS=12 INTAKE_CRASH_KILL_WINDOW=0 \
//	  go test -count=1 -run TestCrash -timeout 60m -v ./cmd/intake
type crashScale struct {
	rows  int    // data rows per file (INTAKE_CRASH_ROWS, default 8000)
	files int    // files per tenant (INTAKE_CRASH_FILES, default 4)
	kills int    // SIGKILLs (INTAKE_CRASH_KILLS, default 3)
	seed  uint64 // INTAKE_CRASH_SEED, default random (logged)
	// window is how long after the first kill the next ones may come
	// (INTAKE_CRASH_KILL_WINDOW, default 20s; 0: until all are done). A
	// kill after the killed tasks' recovery costs another 1–2 minutes.
	window time.Duration
}

func crashScaleFromEnv(t *testing.T) crashScale {
	t.Helper()
	s := crashScale{rows: 8000, files: 4, kills: 3, seed: rand.Uint64(), window: 20 * time.Second}
	if v := os.Getenv("INTAKE_CRASH_KILL_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if v == "0" {
			d, err = 0, nil
		}
		if err != nil || d < 0 {
			t.Fatalf("INTAKE_CRASH_KILL_WINDOW=%q: want a duration, or 0", v)
		}
		s.window = d
	}
	for name, dst := range map[string]*int{"INTAKE_CRASH_ROWS": &s.rows, "INTAKE_CRASH_FILES": &s.files, "INTAKE_CRASH_KILLS": &s.kills} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				t.Fatalf("%s=%q: want a positive integer", name, v)
			}
			*dst = n
		}
	}
	if v := os.Getenv("INTAKE_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("INTAKE_CRASH_SEED=%q: %v", v, err)
		}
		s.seed = n
	}
	return s
}

// TestCrashWorkersKilledDuringValidateAndConfirm runs the API and two
// worker processes and SIGKILLs a worker at random moments while it is
// validating or confirming (restarting it at once, as a supervisor would).
// Tenant B's files are validated first; then tenant A's files are uploaded
// while B's are confirmed, under the kills; then A's are confirmed. Every
// import must complete; the customers, addresses and contacts must equal a
// clean run that applies the same files one at a time in the same order (no
// row lost, none applied twice); and each import's warnings must equal the
// clean run's (each stored once). A killed task waits for asynq's
// recoverer: its 30s lease, 30s of allowance for clock skew, and the
// recoverer's one-minute period, so 1–2 minutes; the kills are grouped so
// that the CI-scale run waits for that about once.
func TestCrashWorkersKilledDuringValidateAndConfirm(t *testing.T) {
	t.Parallel()
	sc := crashScaleFromEnv(t)
	t.Logf("scale: %d files of %d rows per tenant, %d kills, seed %d", sc.files, sc.rows, sc.kills, sc.seed)
	c := newCluster(t, clusterOpts{})
	keys := map[string]string{"tenant-a": c.http.keyA, "tenant-b": c.http.keyB}
	var filesA, filesB []importFile
	for i := range sc.files {
		filesA = append(filesA, importFile{tenant: "tenant-a", name: fmt.Sprintf("a-%02d.csv", i),
			data: customersCSV(sc.seed+uint64(2*i), sc.rows, sc.rows/4)})
		filesB = append(filesB, importFile{tenant: "tenant-b", name: fmt.Sprintf("b-%02d.csv", i),
			data: customersCSV(sc.seed+uint64(2*i+1), sc.rows, sc.rows/4)})
	}
	upload := func(files []importFile) []string {
		ids := make([]string, len(files))
		parallel(t, len(files), func(i int) error {
			var err error
			ids[i], err = postFile(c.http.url, keys[files[i].tenant], files[i].name, files[i].data)
			return err
		})
		return ids
	}
	// skip skips every red row; it takes the tenant's lock (the preview).
	skip := func(files []importFile, ids []string) error {
		for i, id := range ids {
			if err := call("PUT", c.http.url+"/v1/imports/"+id+"/skips", keys[files[i].tenant],
				strings.NewReader(`{"rows":[],"all_errors":true}`), "application/json", http.StatusOK, nil); err != nil {
				return err
			}
		}
		return nil
	}
	confirm := func(files []importFile, ids []string) error {
		for i, id := range ids {
			if err := call("POST", c.http.url+"/v1/imports/"+id+"/confirm", keys[files[i].tenant], nil, "",
				http.StatusAccepted, nil); err != nil {
				return err
			}
		}
		return nil
	}
	wait := max(5*time.Minute, time.Duration(sc.rows*sc.files/1000)*30*time.Second)

	start := time.Now()
	idsB := upload(filesB)
	waitStatuses(t, c.db, idsB, wait, jobs.StatusValidated)
	if err := skip(filesB, idsB); err != nil {
		t.Fatal(err)
	}

	k := &killer{c: c, r: rand.New(rand.NewPCG(sc.seed, 1)), want: sc.kills, window: sc.window}
	// Phase 1: A's files validate while B's confirm, under the kills.
	kctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); k.run(kctx) }()
	// A's validates are queued first, so that they take the workers' slots
	// before B's confirms, which hold theirs while they wait for B's lock.
	// The test holds that lock itself until a confirm has been killed (or
	// 30s): however fast confirms get, one is caught inside its transaction.
	idsA := upload(filesA)
	tenantB, err := c.db.TenantByAPIKey(context.Background(), c.http.keyB)
	if err != nil {
		t.Fatal(err)
	}
	release := holdTenantLock(t, c.dsn, tenantB.ID)
	go func() {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && k.killed("confirm") == 0; {
			time.Sleep(20 * time.Millisecond)
		}
		release()
	}()
	if err := confirm(filesB, idsB); err != nil {
		t.Fatal(err)
	}
	waitStatuses(t, c.db, idsA, wait, jobs.StatusValidated)
	waitStatuses(t, c.db, idsB, wait, jobs.StatusCompleted)
	phase1 := time.Since(start)
	// Phase 2: A's confirms, under the kills that remain.
	if err := skip(filesA, idsA); err != nil {
		t.Fatal(err)
	}
	if err := confirm(filesA, idsA); err != nil {
		t.Fatal(err)
	}
	waitStatuses(t, c.db, idsA, wait, jobs.StatusCompleted)
	stop()
	<-done
	total := time.Since(start)

	byKind := map[string]int{}
	for _, kl := range k.log {
		byKind[kl.kind]++
	}
	if byKind["validate"] == 0 || byKind["confirm"] == 0 {
		t.Errorf("kills by kind %v: want at least one during validate and one during confirm", byKind)
	}
	if sc.window == 0 && len(k.log) < sc.kills {
		t.Errorf("%d kills, want %d", len(k.log), sc.kills)
	}
	recovered := k.recovered(t, append(slices.Clone(idsB), idsA...))

	// B's files were all confirmed before A's; the replay follows the order
	// the confirms were applied in.
	got, n, warnings := compareWithReplay(t, c, append(slices.Clone(filesB), filesA...), append(slices.Clone(idsB), idsA...))
	t.Logf("kills: %d (%v) at %s; tasks recovered after a lease expiry: %s; phase 1 (validate A + confirm B) %v, total %v; "+
		"%d customers, %d addresses, %d contacts, %d warnings; checksum %s equals the clean run's",
		len(k.log), byKind, k.times(start), recovered, phase1.Round(time.Second), total.Round(time.Second),
		n[0], n[1], n[2], warnings, got)
}

// killer SIGKILLs the cluster's workers while they are in a validate or a
// confirm transaction, alternating between the two (validate first), and
// restarts each killed worker at once. The first two kills wait for their
// kind; the next ones take the other kind when theirs is not running.
type killer struct {
	c      *cluster
	r      *rand.Rand
	want   int
	window time.Duration // after the first kill; 0: no limit
	mu     sync.Mutex
	log    []kill
}

// killed counts the kills of a kind so far; safe while run runs.
func (k *killer) killed(kind string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.count(kind)
}

// strictKills is how many kills wait for the kind they want.
const strictKills = 2

// kill is one SIGKILL: when, which worker, and what it was doing.
type kill struct {
	at     time.Time
	worker int
	kind   string // "validate" or "confirm"
}

// run kills until it has killed want times or ctx is done.
func (k *killer) run(ctx context.Context) {
	for len(k.log) < k.want {
		if k.window > 0 && len(k.log) > 0 && time.Since(k.log[0].at) > k.window {
			return
		}
		// A random moment: 0.1 to 1.5 s on; 50 to 300 ms for the kills that
		// wait for their kind, which small files keep running only briefly.
		pause := time.Duration(100+k.r.IntN(1400)) * time.Millisecond
		if len(k.log) < strictKills {
			pause = time.Duration(50+k.r.IntN(250)) * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		prefer := "validate"
		if len(k.log)%2 == 1 {
			prefer = "confirm"
		}
		w, kind := k.busy(ctx, prefer, len(k.log) < strictKills)
		if w < 0 {
			continue
		}
		k.c.kill(k.c.workers[w])
		k.mu.Lock()
		k.log = append(k.log, kill{at: time.Now(), worker: w, kind: kind})
		k.mu.Unlock()
		k.c.run(k.c.workers[w])
	}
}

func (k *killer) count(kind string) int {
	n := 0
	for _, kl := range k.log {
		if kl.kind == kind {
			n++
		}
	}
	return n
}

// busy waits for a worker in a transaction of kind prefer and returns it:
// up to a minute when strict, else up to 2s, then a worker busy with the
// other kind, if any.
func (k *killer) busy(ctx context.Context, prefer string, strict bool) (int, string) {
	deadline := time.Now().Add(2 * time.Second)
	if strict {
		deadline = time.Now().Add(time.Minute)
	}
	for {
		got := k.activity(ctx)
		for w, kind := range got {
			if kind == prefer {
				return w, kind
			}
		}
		if strict && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			for w, kind := range got {
				return w, kind
			}
			return -1, ""
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// activity reads pg_stat_activity: which worker is in a validate (staging
// rows with COPY) or a confirm (the tenant lock, the apply statements)
// transaction right now.
func (k *killer) activity(ctx context.Context) map[int]string {
	out := map[int]string{}
	for i := range k.c.workers {
		var validate, confirm bool
		err := k.c.db.Pool.QueryRow(ctx, `SELECT
			coalesce(bool_or(query ILIKE 'copy%import_%'), false),
			coalesce(bool_or(query ILIKE '%advisory%' OR query ~ 't_(cust|addr|contact)' OR query ILIKE '%confirm_started_at%'
				OR query ILIKE '%SELECT tenant_id FROM imports%'), false)
			FROM pg_stat_activity WHERE application_name = $1 AND xact_start IS NOT NULL`, k.c.session(i)).Scan(&validate, &confirm)
		switch {
		case err != nil:
		case validate:
			out[i] = "validate"
		case confirm:
			out[i] = "confirm"
		}
	}
	return out
}

// times lists the kills' offsets from start, with what they interrupted.
func (k *killer) times(start time.Time) string {
	var parts []string
	for _, kl := range k.log {
		parts = append(parts, fmt.Sprintf("%.1fs w%d %s", kl.at.Sub(start).Seconds(), kl.worker+1, kl.kind))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// recovered summarizes the tasks asynq re-ran after a lease expiry (a
// killed worker): how many of each type, and how long after the kill
// before them the recoverer moved them back (their last failure time).
func (k *killer) recovered(t *testing.T, ids []string) string {
	t.Helper()
	count := map[string]int{}
	var delays []time.Duration
	for _, id := range ids {
		for _, tid := range []string{jobs.ValidateTaskID(id), jobs.ConfirmTaskID(id, 1)} {
			info, err := k.c.tasks.GetTaskInfo("default", tid)
			if err != nil {
				t.Errorf("task %s: %v", tid, err)
				continue
			}
			if info.Retried == 0 || !strings.Contains(info.LastErr, asynq.ErrLeaseExpired.Error()) {
				continue
			}
			count[info.Type] += info.Retried
			var before time.Time
			for _, kl := range k.log {
				if kl.at.Before(info.LastFailedAt) {
					before = kl.at
				}
			}
			if !before.IsZero() {
				delays = append(delays, info.LastFailedAt.Sub(before))
			}
		}
	}
	if count[jobs.TypeImportValidate] == 0 || count[jobs.TypeImportConfirm] == 0 {
		t.Errorf("recovered task runs by type %v: want validate and confirm tasks re-run after a kill", count)
	}
	slices.Sort(delays)
	if len(delays) == 0 {
		return fmt.Sprint(count)
	}
	return fmt.Sprintf("%v, recoverer delay after a kill %v–%v", count,
		delays[0].Round(time.Second), delays[len(delays)-1].Round(time.Second))
}
