package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"intake/jobs"
	"intake/storage/s3"
)

// TestRetention runs the periodic task: a validated import older than the
// retention period expires, and the file of a finished one is deleted.
func TestRetention(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	done := e.uploadRaw(e.keyA, "done.csv", []byte("Customer code,Customer name\nR1,One\n"))
	e.wait(e.keyA, done.ID, jobs.StatusValidated)
	e.do("POST", "/v1/imports/"+done.ID+"/confirm", e.keyA, nil, "", nil)
	e.wait(e.keyA, done.ID, jobs.StatusCompleted)
	idle := e.uploadRaw(e.keyA, "idle.csv", []byte("Customer code,Customer name\nR2,Two\n"))
	e.wait(e.keyA, idle.ID, jobs.StatusValidated)

	// Age both imports past a one-hour retention.
	if _, err := e.d.db.Pool.Exec(ctx, `UPDATE imports SET updated_at = now() - interval '2 hours',
		finished_at = CASE WHEN finished_at IS NULL THEN NULL ELSE now() - interval '2 hours' END`); err != nil {
		t.Fatal(err)
	}
	h := *e.h
	h.RetainFor = time.Hour
	if err := h.Retention(ctx, jobs.NewRetentionTask()); err != nil {
		t.Fatal(err)
	}
	if got := e.wait(e.keyA, idle.ID, jobs.StatusExpired); got.Status != jobs.StatusExpired {
		t.Fatal(got.Status)
	}
	var key string
	if err := e.d.db.Pool.QueryRow(ctx, `SELECT object_key FROM imports WHERE id = $1`, done.ID).Scan(&key); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.d.blobs.Open(ctx, key); !errors.Is(err, s3.ErrNotFound) {
		t.Fatalf("the completed import's file is still stored: %v", err)
	}
	var problem struct{ Code string }
	if resp := e.do("POST", "/v1/imports/"+idle.ID+"/confirm", e.keyA, nil, "", &problem); resp.StatusCode != 409 || problem.Code != "invalid_state" {
		t.Fatalf("confirm of an expired import: %d %+v", resp.StatusCode, problem)
	}
}

// TestAPIKeyAndMigrateCommands runs the two admin commands.
func TestAPIKeyAndMigrateCommands(t *testing.T) {
	e := newEnv(t)
	t.Setenv("DATABASE_URL", e.cfg.DatabaseURL)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, &out, os.Stderr); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"apikey", "create", "--tenant", "acme"}, &out, os.Stderr); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	key := lines[len(lines)-1]
	tn, err := e.d.db.TenantByAPIKey(context.Background(), key)
	if err != nil || tn.Name != "acme" {
		t.Fatalf("the printed key %q does not authenticate acme: %v %v", key, tn, err)
	}
	if err := run(context.Background(), []string{"apikey", "create"}, &out, &bytes.Buffer{}); err == nil {
		t.Fatal("apikey create without --tenant succeeded")
	}
}
