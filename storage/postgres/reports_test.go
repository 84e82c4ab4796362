package postgres_test

import (
	"context"
	"reflect"
	"testing"

	"intake/jobs"
	"intake/jobs/report"
	"intake/jobs/warning"
)

func TestReportMarksInRowOrder(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	tn, _, err := db.CreateAPIKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	imp := &jobs.Import{ID: jobs.NewID(), TenantID: tn.ID, Filename: "f.csv", ObjectKey: "k"}
	if err := db.CreateImport(ctx, imp); err != nil {
		t.Fatal(err)
	}
	other := &jobs.Import{ID: jobs.NewID(), TenantID: tn.ID, Filename: "g.csv", ObjectKey: "k2"}
	if err := db.CreateImport(ctx, other); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO import_warnings (import_id, row_num, seq, severity, code, col, field, value, params) VALUES
			($1, 7, 0, 'error', 'email_invalid', 'N', 'contact_email', 'x@', NULL),
			($1, 3, 1, 'warning', 'customer_exists', '', '', 'C1', '{"changes":[{"field":"customer_name","old":"A","new":"B"}]}'),
			($1, 3, 0, 'warning', 'country_converted', 'J', 'country', 'France', '{"to":"FR"}'),
			($1, 1, 0, 'warning', 'unknown_column', 'P', '', 'Notes', '{"header":"Notes"}'),
			($2, 3, 0, 'error', 'code_missing', 'A', 'customer_code', '', NULL)`,
		`INSERT INTO import_skips (import_id, row_num) VALUES ($1, 7), ($1, 9), ($2, 3)`,
	} {
		if _, err := db.Pool.Exec(ctx, q, imp.ID, other.ID); err != nil {
			t.Fatal(err)
		}
	}
	var got []report.Mark
	for m, err := range db.ReportMarks(ctx, imp.ID) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	want := []report.Mark{
		{Row: 1, Warning: warning.Warning{Row: 1, Column: "P", Code: warning.UnknownColumn, Value: "Notes", Params: map[string]string{"header": "Notes"}}},
		{Row: 3, Warning: warning.Warning{Row: 3, Column: "J", Field: "country", Code: warning.CountryConverted, Value: "France", Params: map[string]string{"to": "FR"}}},
		{Row: 3, Warning: warning.Warning{Row: 3, Code: warning.CustomerExists, Value: "C1", Changes: []warning.Change{{Field: "customer_name", Old: "A", New: "B"}}}},
		{Row: 7, Skipped: true},
		{Row: 7, Warning: warning.Warning{Row: 7, Column: "N", Field: "contact_email", Code: warning.EmailInvalid, Value: "x@"}},
		{Row: 9, Skipped: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("marks\n%+v\nwant\n%+v", got, want)
	}
	// Stopping early releases the connection.
	for range 20 {
		for range db.ReportMarks(ctx, imp.ID) {
			break
		}
	}
	if n := db.Pool.Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still acquired", n)
	}

	if deleted, err := db.FileDeleted(ctx, imp.ID); err != nil || deleted {
		t.Errorf("FileDeleted before deletion: %v, %v", deleted, err)
	}
	if err := db.MarkFileDeleted(ctx, imp.ID); err != nil {
		t.Fatal(err)
	}
	if deleted, err := db.FileDeleted(ctx, imp.ID); err != nil || !deleted {
		t.Errorf("FileDeleted after deletion: %v, %v", deleted, err)
	}
	if _, err := db.FileDeleted(ctx, jobs.NewID()); jobs.ErrorCode(err) != jobs.ErrCodeNotFound {
		t.Errorf("FileDeleted of an unknown import: %v", err)
	}
}
