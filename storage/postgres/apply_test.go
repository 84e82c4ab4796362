package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"intake/jobs"
	"intake/storage/postgres"
	"intake/storage/postgres/pgtest"
)

// TestApplyMatchesLegacy runs random imports over random stored customers
// through the confirm statements and through the original ones
// (apply_legacy_test.go), and wants the same customers, addresses, contacts,
// defaults, insertion order, updated_at changes and counts.
func TestApplyMatchesLegacy(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tenant int64
	if err := conn.QueryRow(ctx, `INSERT INTO tenants (name) VALUES ('t') RETURNING id`).Scan(&tenant); err != nil {
		t.Fatal(err)
	}
	scenarios := 120
	if testing.Short() {
		scenarios = 20
	}
	for seed := range scenarios {
		rng := rand.New(rand.NewPCG(uint64(seed), 99))
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", seed)
		if err := seedScenario(ctx, tx, rng, tenant, id); err != nil {
			t.Fatal(err)
		}
		// run applies the import in a savepoint, reads the counts and the
		// data, and rolls back.
		run := func(applyFn func() []int) (string, []int) {
			if _, err := tx.Exec(ctx, `SAVEPOINT s`); err != nil {
				t.Fatal(err)
			}
			counts := applyFn()
			snap := snapshot(ctx, t, tx, tenant)
			if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT s`); err != nil {
				t.Fatal(err)
			}
			return snap, counts
		}
		args := pgx.NamedArgs{"import_id": id, "tenant_id": tenant}
		wantSnap, wantCounts := run(func() []int {
			for _, q := range postgres.LegacyApplyStatements() {
				if _, err := tx.Exec(ctx, q, args); err != nil {
					t.Fatalf("seed %d: %v\n%s", seed, err, q)
				}
			}
			counts := make([]int, 9)
			ptrs := make([]any, 9)
			for i := range counts {
				ptrs[i] = &counts[i]
			}
			if err := tx.QueryRow(ctx, postgres.LegacyApplyCounts, args).Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			return counts
		})
		gotSnap, gotCounts := run(func() []int {
			s, err := postgres.Apply(ctx, tx, id, tenant, jobs.Summary{})
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			return []int{s.CustomersNew, s.CustomersUpdated, s.CustomersUnchanged, s.AddressesNew, s.AddressesUpdated,
				s.ContactsNew, s.ContactsUpdated, s.RowsApplied, s.RowsSkipped}
		})
		if !reflect.DeepEqual(gotCounts, wantCounts) {
			t.Errorf("seed %d: counts %v, want %v", seed, gotCounts, wantCounts)
		}
		if gotSnap != wantSnap {
			t.Errorf("seed %d: data differs\n got:\n%s\nwant:\n%s", seed, gotSnap, wantSnap)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			return
		}
	}
}

// seedScenario stores a few customers of tenant (some with children, some
// with no default) and stages an import id of random rows over them and
// new ones, with blanks, repeats, case changes, default marks, red rows and
// skips.
func seedScenario(ctx context.Context, tx pgx.Tx, rng *rand.Rand, tenant int64, id string) error {
	pick := func(vals ...string) string { return vals[rng.IntN(len(vals))] }
	for c := range rng.IntN(6) {
		var cid int64
		if err := tx.QueryRow(ctx, `INSERT INTO customers (tenant_id, code, name, vat_number, updated_at)
			VALUES ($1, $2, $3, $4, now() - interval '1 day') RETURNING id`,
			tenant, fmt.Sprintf("C%d", c), pick("N1", "N2"), pick("", "V1")).Scan(&cid); err != nil {
			return err
		}
		def := rng.IntN(4) - 1 // -1: none
		for a := range rng.IntN(4) {
			if _, err := tx.Exec(ctx, `INSERT INTO addresses (customer_id, code, city, country, is_default, updated_at)
				VALUES ($1, $2, $3, $4, $5, now() - interval '1 day')`,
				cid, fmt.Sprintf("A%d", a), pick("Paris", "Lyon"), pick("FR", ""), a == def); err != nil {
				return err
			}
		}
		def = rng.IntN(3) - 1
		for k := range rng.IntN(3) {
			if _, err := tx.Exec(ctx, `INSERT INTO contacts (customer_id, name, phone, is_default, updated_at)
				VALUES ($1, $2, $3, $4, now() - interval '1 day')`,
				cid, fmt.Sprintf("P%d", k), pick("01", "02", ""), k == def); err != nil {
				return err
			}
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO imports (id, tenant_id, filename, object_key, size_bytes, status)
		VALUES ($1, $2, 'f', 'k', 1, 'confirming')`, id, tenant); err != nil {
		return err
	}
	for row := 2; row < 2+rng.IntN(40); row++ {
		code := pick("C0", "c0", "C1", "C2", "c3", "C4", "C5", "C6", "c7", "C8")
		args := []any{id, row, rng.IntN(10) == 0, strings.ToLower(code), code, pick("", "", "N1", "N3"), pick("", "V1", "V2")}
		if rng.IntN(4) > 0 {
			ac := pick("A0", "a1", "A2", "A3", "a4")
			args = append(args, strings.ToLower(ac), ac, pick("", "Depot"), pick("", "1 rue"), pick("", "Paris", "Nice"),
				pick("", "75001"), "", pick("", "FR"), rng.IntN(3) == 0)
		} else {
			args = append(args, nil, nil, nil, nil, nil, nil, nil, nil, nil)
		}
		if rng.IntN(3) > 0 {
			kn := pick("P0", "p1", "P2", "P3")
			args = append(args, strings.ToLower(kn), kn, pick("", "01", "03"), pick("", "a@b.fr"), rng.IntN(3) == 0)
		} else {
			args = append(args, nil, nil, nil, nil, nil)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO import_rows (import_id, row_num, red, cust_key, code, name, vat_number,
			addr_key, addr_code, addr_name, address, city, postal_code, state, country, addr_default,
			contact_key, contact_name, phone, email, contact_default)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`, args...); err != nil {
			return err
		}
		if rng.IntN(12) == 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO import_skips (import_id, row_num) VALUES ($1, $2)`, id, row); err != nil {
				return err
			}
		}
	}
	return nil
}

// snapshot renders the tenant's data: customers by code with their
// children in id order (insertion order), each with its values, default
// flag and whether this transaction touched its updated_at.
func snapshot(ctx context.Context, t *testing.T, tx pgx.Tx, tenant int64) string {
	t.Helper()
	rows, err := tx.Query(ctx, `SELECT c.code || '|' || c.name || '|' || c.vat_number || '|' || (c.updated_at = now())::text
		|| coalesce((SELECT string_agg(a.code || ':' || a.name || ':' || a.address || ':' || a.city || ':' || a.postal_code
			|| ':' || a.state || ':' || a.country || ':' || a.is_default::text || ':' || (a.updated_at = now())::text, ' ' ORDER BY a.id)
			FROM addresses a WHERE a.customer_id = c.id), '')
		|| ' / ' || coalesce((SELECT string_agg(k.name || ':' || k.phone || ':' || k.email || ':' || k.is_default::text
			|| ':' || (k.updated_at = now())::text, ' ' ORDER BY k.id) FROM contacts k WHERE k.customer_id = c.id), '')
		FROM customers c WHERE c.tenant_id = $1 ORDER BY c.id`, tenant)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
