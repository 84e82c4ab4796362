package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5"

	"intake/jobs"
	"intake/jobs/rules"
	"intake/jobs/warning"
	"intake/storage/postgres"
)

// TestSkipPreviewIsExact validates random files over random stored
// customers with the real Validator and staging, then replaces the skip list
// again and again, and wants after each change the preview that confirm's
// statements give over the whole import with that list. The validation's
// summary must be that preview for an empty list; a list of red rows must
// change nothing and run nothing; other changes run confirm's statements
// over the customers they touch only.
func TestSkipPreviewIsExact(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	wholeAtStart, partialAtStart := db.Previews()
	scenarios := 40
	if testing.Short() {
		scenarios = 10
	}
	for seed := range scenarios {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		pick := func(vals ...string) string { return vals[rng.IntN(len(vals))] }
		tn, imp, st := beginStaging(t, db, fmt.Sprintf("tenant-%d", seed))
		for c := range rng.IntN(6) {
			var cid int64
			if err := db.Pool.QueryRow(ctx, `INSERT INTO customers (tenant_id, code, name, vat_number)
				VALUES ($1, $2, $3, $4) RETURNING id`, tn.ID, fmt.Sprintf("C%d", c), pick("N1", "N2"), pick("", "V1")).Scan(&cid); err != nil {
				t.Fatal(err)
			}
			def := rng.IntN(4) - 1
			for a := range rng.IntN(4) {
				if _, err := db.Pool.Exec(ctx, `INSERT INTO addresses (customer_id, code, city, country, is_default)
					VALUES ($1, $2, $3, $4, $5)`, cid, fmt.Sprintf("A%d", a), pick("Paris", "Lyon"), pick("FR", ""), a == def); err != nil {
					t.Fatal(err)
				}
			}
			def = rng.IntN(3) - 1
			for k := range rng.IntN(3) {
				if _, err := db.Pool.Exec(ctx, `INSERT INTO contacts (customer_id, name, phone, is_default)
					VALUES ($1, $2, $3, $4)`, cid, fmt.Sprintf("P%d", k), pick("01", "02", ""), k == def); err != nil {
					t.Fatal(err)
				}
			}
		}
		v := rules.NewValidator(db.Existing(tn.ID), st, rules.Options{BatchSize: 7})
		for row := 2; row < 3+rng.IntN(40); row++ {
			code := pick("C0", "c0", "C1", "C2", "c3", "C4", "C5", "C6", "c7", "C8")
			rec := rules.Record{Row: row, Code: code, Key: rules.Fold(code), Name: pick("", "", "N1", "N3"), VAT: pick("", "V1", "V2")}
			if rng.IntN(4) > 0 {
				rec.Address = &rules.Address{Code: pick("A0", "a1", "A2", "A3", "a4"), Name: pick("", "Depot"),
					City: pick("", "Paris", "Nice"), Country: pick("", "FR"), IsDefault: rng.IntN(3) == 0}
			}
			if rng.IntN(3) > 0 {
				rec.Contact = &rules.Contact{Name: pick("P0", "p1", "P2", "P3"), Phone: pick("", "01", "03"), IsDefault: rng.IntN(3) == 0}
			}
			var ws []warning.Warning
			if rng.IntN(8) == 0 {
				rec.Red = true
				ws = append(ws, warning.Warning{Row: row, Column: "N", Field: "contact_email", Code: warning.EmailInvalid, Value: "x"})
			}
			if err := v.Add(ctx, rec, ws); err != nil {
				t.Fatal(err)
			}
		}
		sum, err := v.Finish(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := st.Commit(ctx, jobs.Summary{Summary: sum}); err != nil || !ok {
			t.Fatal(ok, err)
		}
		validated := jobs.Summary{Summary: sum}
		// Rows turned red at the end (name_missing) are red in the table.
		rows, err := db.Pool.Query(ctx, `SELECT row_num FROM import_rows WHERE import_id = $1 AND NOT red ORDER BY row_num`, imp.ID)
		if err != nil {
			t.Fatal(err)
		}
		nonRed, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			t.Fatal(err)
		}

		// check replaces the skip list and wants the exact preview, after
		// computing what it must: nothing, the touched customers, or the
		// whole import.
		const none, part, whole = 0, 1, 2
		check := func(rows []int, allErrors bool, computed int) {
			t.Helper()
			wholeBefore, partBefore := db.Previews()
			got, err := db.ReplaceSkips(ctx, tn.ID, imp.ID, rows, allErrors)
			if err != nil {
				t.Fatalf("seed %d: skips %v: %v", seed, rows, err)
			}
			did := none
			switch wholeNow, partNow := db.Previews(); {
			case wholeNow > wholeBefore:
				did = whole
			case partNow > partBefore:
				did = part
			}
			if computed >= 0 && did != computed {
				t.Fatalf("seed %d: skips %v all_errors=%v: computed %d, want %d (0 nothing, 1 customers, 2 whole)", seed, rows, allErrors, did, computed)
			}
			want, err := db.ExactPreview(ctx, tn.ID, imp.ID, validated)
			if err != nil {
				t.Fatal(err)
			}
			want.RowsApplied = 0
			if *got.Summary != want {
				logImport(t, db, tn.ID, imp.ID)
				t.Fatalf("seed %d: skips %v all_errors=%v:\n got  %+v\n want %+v", seed, rows, allErrors, *got.Summary, want)
			}
		}
		check(nil, true, none) // the validation's summary is the exact preview
		if len(nonRed) == 0 {
			continue
		}
		check(nonRed[:1], true, -1)
		check(nil, true, -1)
		check(nil, false, none)
		for range 6 {
			var rows []int
			for _, r := range nonRed {
				if rng.IntN(4) == 0 {
					rows = append(rows, r)
				}
			}
			check(rows, rng.IntN(2) == 0, -1)
		}
	}
	if wholeNow, partNow := db.Previews(); partNow == partialAtStart || wholeNow == wholeAtStart {
		t.Errorf("%d per-customer and %d whole previews: both ways must have been checked",
			partNow-partialAtStart, wholeNow-wholeAtStart)
	}
}

// logImport logs the tenant's stored customers, the import's staged rows and
// its warnings: what a failed comparison needs to be understood.
func logImport(t *testing.T, db *postgres.DB, tenant int64, id string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`SELECT c.code, c.name, c.vat_number, a.code, a.city, a.country, a.is_default FROM customers c LEFT JOIN addresses a ON a.customer_id = c.id WHERE c.tenant_id = $1 ORDER BY 1, 4`,
		`SELECT c.code, k.name, k.phone, k.is_default FROM customers c JOIN contacts k ON k.customer_id = c.id WHERE c.tenant_id = $1 ORDER BY 1, 2`,
	} {
		rows, _ := db.Pool.Query(ctx, q, tenant)
		for rows.Next() {
			v, _ := rows.Values()
			t.Log(v...)
		}
		rows.Close()
	}
	rows, _ := db.Pool.Query(ctx, `SELECT row_num, red, code, name, vat_number, addr_code, city, country, addr_default, contact_name, phone, contact_default FROM import_rows WHERE import_id = $1 ORDER BY 1`, id)
	for rows.Next() {
		v, _ := rows.Values()
		t.Log(v...)
	}
	rows.Close()
	rows, _ = db.Pool.Query(ctx, `SELECT row_num, code, params FROM import_warnings WHERE import_id = $1 ORDER BY 1`, id)
	for rows.Next() {
		v, _ := rows.Values()
		t.Log(v...)
	}
	rows.Close()
}
