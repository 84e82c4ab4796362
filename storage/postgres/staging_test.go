package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"intake/jobs"
	"intake/jobs/rules"
	"intake/jobs/warning"
)

// TestStagingRoundTrip stages rows and warnings through the binary COPY
// streams (enough of both to switch tables many times), commits, and reads
// them back; deleting the import deletes them.
func TestStagingRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	_, imp, st := beginStaging(t, db, "acme")
	const n = 30000
	for i := range n {
		rec := rules.Record{Row: i + 2, Code: fmt.Sprintf("C%d", i/2), Key: fmt.Sprintf("c%d", i/2), Name: "Société «Ünïcode»",
			Red: i%100 == 7}
		if i%3 == 0 {
			rec.Address = &rules.Address{Code: "HQ", City: "Lyon", Country: "FR", IsDefault: true}
		}
		if i%5 == 0 {
			rec.Contact = &rules.Contact{Name: "Ann", Email: "ann@x.fr"}
		}
		var ws []warning.Warning
		if i%10 == 0 {
			ws = append(ws, warning.Warning{Row: i + 2, Column: "J", Field: "country", Code: warning.CountryConverted,
				Value: "France", Params: map[string]string{"code": "FR"}})
		}
		if rec.Red {
			ws = append(ws, warning.Warning{Row: i + 2, Column: "N", Field: "contact_email", Code: warning.EmailInvalid, Value: "x"})
		}
		if err := st.Record(ctx, rec, ws); err != nil {
			t.Fatal(err)
		}
	}
	// name_missing, decided at the end, turns row 3 red.
	if err := st.Late(ctx, []warning.Warning{{Row: 3, Column: "B", Field: "customer_name", Code: warning.NameMissing}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.Commit(ctx, jobs.Summary{Summary: rules.Summary{RowsTotal: n}}); err != nil || !ok {
		t.Fatal(ok, err)
	}

	var rows, red, addrs, contacts, warns, params int
	var name string
	err := db.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE red), count(addr_key), count(contact_key),
		(SELECT count(*) FROM import_warnings WHERE import_id = $1),
		(SELECT count(*) FROM import_warnings WHERE import_id = $1 AND params->>'code' = 'FR'),
		(SELECT name FROM import_rows WHERE import_id = $1 AND row_num = 2)
		FROM import_rows WHERE import_id = $1`, imp.ID).Scan(&rows, &red, &addrs, &contacts, &warns, &params, &name)
	if err != nil {
		t.Fatal(err)
	}
	if rows != n || red != n/100+1 || addrs != n/3 || contacts != n/5 || warns != n/10+n/100+1 || params != n/10 || name != "Société «Ünïcode»" {
		t.Errorf("staged %d rows (%d red, %d addresses, %d contacts), %d warnings (%d with params), name %q",
			rows, red, addrs, contacts, warns, params, name)
	}
	var seqs, distinct int
	if err := db.Pool.QueryRow(ctx, `SELECT max(seq), count(DISTINCT seq) FROM import_warnings WHERE import_id = $1`, imp.ID).Scan(&seqs, &distinct); err != nil || seqs != warns || distinct != warns {
		t.Errorf("warning seq: max %d, %d distinct, want 1..%d (%v)", seqs, distinct, warns, err)
	}

	if _, err := db.Pool.Exec(ctx, `DELETE FROM imports WHERE id = $1`, imp.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM import_rows WHERE import_id = $1)
		+ (SELECT count(*) FROM import_warnings WHERE import_id = $1)`, imp.ID).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("%d staged rows and warnings left after the import was deleted (%v)", rows, err)
	}
}

// TestStagingFillsOldValuesOfFarRows validates a customer whose second row
// comes many batches after its first: the Validator no longer holds the
// first row's values, and the staging reads them back from the staged row at
// commit, so every change of the conflict and the repeats has its old side.
func TestStagingFillsOldValuesOfFarRows(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	tn, imp, st := beginStaging(t, db, "acme")
	v := rules.NewValidator(db.Existing(tn.ID), st, rules.Options{BatchSize: 2})
	recs := []rules.Record{{Code: "C1", Name: "Acme", VAT: "V1",
		Address: &rules.Address{Code: "A1", City: "Paris", PostalCode: "75001"},
		Contact: &rules.Contact{Name: "Ann", Phone: "01", Email: "ann@acme.fr"}}}
	for i := range 10 {
		recs = append(recs, rules.Record{Code: fmt.Sprintf("F%d", i), Name: "Filler"})
	}
	recs = append(recs, rules.Record{Code: "c1", Name: "Acme 2", VAT: "V2",
		Address: &rules.Address{Code: "a1", City: "Lyon", PostalCode: "75001"},
		Contact: &rules.Contact{Name: "ann", Phone: "02", Email: "ann@acme.com"}})
	for i, rec := range recs {
		rec.Row, rec.Key = i+2, rules.Fold(rec.Code)
		if err := v.Add(ctx, rec, nil); err != nil {
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
	ws, err := db.Warnings(ctx, imp.ID, "", jobs.WarningCursor{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []warning.Change
	for _, w := range ws {
		if w.Row == 13 {
			got = append(got, w.Changes...)
		}
	}
	want := []warning.Change{
		{Field: "customer_name", Old: "Acme", New: "Acme 2"},
		{Field: "vat_number", Old: "V1", New: "V2"},
		{Field: "city", Old: "Paris", New: "Lyon"},
		{Field: "contact_phone", Old: "01", New: "02"},
		{Field: "contact_email", Old: "ann@acme.fr", New: "ann@acme.com"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes of row 13:\n got  %+v\n want %+v", got, want)
	}
}
