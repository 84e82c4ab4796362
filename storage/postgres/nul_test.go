package postgres_test

import (
	"context"
	"strings"
	"testing"

	"intake/jobs"
	"intake/jobs/rules"
	"intake/jobs/warning"
)

// Postgres text cannot hold NUL, which a file's cell can: staging stores it
// as U+FFFD rather than failing the COPY (and the validate task with it, on
// every retry).
func TestStagingStoresNULAsReplacementCharacter(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	_, imp, st := beginStaging(t, db, "nul")
	defer st.Rollback(ctx)
	rec := rules.Record{Row: 2, Red: true, Code: "C\x001", Key: "c\x001", Name: "A\x00B"}
	ws := []warning.Warning{{Row: 2, Column: "B", Field: "customer_name", Code: warning.InvalidCharacters, Value: "A\x00B"}}
	if err := st.Record(ctx, rec, ws); err != nil {
		t.Fatal(err)
	}
	if err := st.Late(ctx, []warning.Warning{{Row: 1, Column: "C", Code: warning.UnknownColumn, Value: "X\x00",
		Params: map[string]string{"header": "X\x00"}}}); err != nil {
		t.Fatal(err)
	}
	ok, err := st.Commit(ctx, jobs.Summary{Summary: rules.Summary{RowsTotal: 1, RowsError: 1}})
	if err != nil || !ok {
		t.Fatalf("commit: %v %v", ok, err)
	}
	got, err := db.Warnings(ctx, imp.ID, "", jobs.WarningCursor{}, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("warnings %+v, %v", got, err)
	}
	for _, w := range got {
		if strings.Contains(w.Value, "\x00") || !strings.Contains(w.Value, "\uFFFD") {
			t.Errorf("warning value %q", w.Value)
		}
	}
	if h := got[0].Params["header"]; h != "X\uFFFD" {
		t.Errorf("header param %q", h)
	}
}
