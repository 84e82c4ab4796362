package postgres_test

import (
	"context"
	"testing"

	"intake/jobs"
	"intake/storage/postgres"
	"intake/storage/postgres/pgtest"
)

// beginStaging creates tenant name, an import of it, moves the import to
// validating and opens its staging, as the validate task does.
func beginStaging(t *testing.T, db *postgres.DB, name string) (jobs.Tenant, *jobs.Import, jobs.Staging) {
	t.Helper()
	ctx := context.Background()
	tn, _, err := db.CreateAPIKey(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	imp := &jobs.Import{ID: jobs.NewID(), TenantID: tn.ID, Filename: name + ".csv"}
	imp.ObjectKey = jobs.ObjectKey(tn.ID, imp.ID)
	if err := db.CreateImport(ctx, imp); err != nil {
		t.Fatal(err)
	}
	if _, moved, err := db.Transition(ctx, imp.ID, []jobs.Status{jobs.StatusQueued}, jobs.StatusValidating); err != nil || !moved {
		t.Fatal(moved, err)
	}
	st, err := db.BeginStaging(ctx, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	return tn, imp, st
}

func open(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.NewSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func TestAPIKeysAreHashedAndScopedToTenant(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	a, keyA, err := db.CreateAPIKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	a2, keyA2, err := db.CreateAPIKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != a2.ID || keyA == keyA2 {
		t.Fatalf("second key: tenant %d vs %d, keys equal %v", a.ID, a2.ID, keyA == keyA2)
	}
	got, err := db.TenantByAPIKey(ctx, keyA)
	if err != nil || got.ID != a.ID {
		t.Fatalf("TenantByAPIKey = %v, %v", got, err)
	}
	if _, err := db.TenantByAPIKey(ctx, keyA+"x"); err != jobs.ErrNotFound {
		t.Fatalf("wrong key: %v", err)
	}
	var stored int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE key_hash = convert_to($1, 'UTF8') OR prefix = $1`, keyA).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("the key is stored in clear (%d rows, %v)", stored, err)
	}
}

func TestSchemaAllowsOneDefaultAndCaseInsensitiveCodes(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	tn, _, err := db.CreateAPIKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO customers (tenant_id, code, name) VALUES ($1, 'C1', 'One') RETURNING id`, tn.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO customers (tenant_id, code, name) VALUES ($1, 'c1', 'Dup')`, tn.ID); err == nil {
		t.Error("codes differing only by case were both accepted")
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO addresses (customer_id, code, is_default) VALUES ($1, 'A', true)`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO addresses (customer_id, code, is_default) VALUES ($1, 'B', true)`, id); err == nil {
		t.Error("two default addresses were accepted")
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO contacts (customer_id, name, is_default) VALUES ($1, 'Ann', true)`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO contacts (customer_id, name, is_default) VALUES ($1, 'Bob', true)`, id); err == nil {
		t.Error("two default contacts were accepted")
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO contacts (customer_id, name) VALUES ($1, 'ANN')`, id); err == nil {
		t.Error("contact names differing only by case were both accepted")
	}
}
