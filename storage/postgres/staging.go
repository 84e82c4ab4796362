package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"intake/jobs"
	"intake/jobs/rules"
	"intake/jobs/warning"
)

var importRowColumns = []string{"import_id", "row_num", "red", "cust_key", "code", "name", "vat_number",
	"addr_key", "addr_code", "addr_name", "address", "city", "postal_code", "state", "country", "addr_default",
	"contact_key", "contact_name", "phone", "email", "contact_default"}

var importWarningColumns = []string{"import_id", "row_num", "seq", "severity", "code", "col", "field", "value", "params"}

// The COPY statements of a validation run, by copyStreams index.
const (
	copyRows = iota
	copyWarnings
)

// warningsChunkBytes is how many encoded warnings wait before they are sent:
// each send ends the rows' COPY and starts one of warnings, so fewer,
// larger sends cost fewer statements.
const warningsChunkBytes = 1 << 20

// Staging writes one validation run in one transaction: normalized rows and
// their warnings are encoded as binary COPY tuples while the file is still
// being read and stream to import_rows and import_warnings through one
// COPY goroutine, which alternates between the two tables (a connection
// runs one COPY at a time). A run that dies leaves nothing; Commit makes the
// run visible together with the validated status, so two runs of the same
// validation can never both be stored.
type Staging struct {
	tx       pgx.Tx
	importID string
	uuid     [16]byte
	copies   *copyStreams
	cancel   context.CancelFunc
	rows     copyBin
	warns    copyBin
	seq      int
	// lateRed lists rows that get a red warning after they were staged as
	// not red (name_missing is decided at the end of the file).
	lateRed []int32
	// olds lists the changes whose old side is still to be read from an
	// earlier staged row (warning.Change.OldRow).
	olds   oldRefs
	closed bool
}

// oldRefs are changes whose Old is read from a staged row at Commit: the
// warning (row and seq), the change's index in it, the row to read and the
// column (an index into oldColumns). Kept as columns, they go to Postgres
// as five arrays.
type oldRefs struct {
	row, seq, idx, from, col []int32
}

// oldColumns are the staged columns an Old can come from, by the field
// names of warning.Change.
var oldColumns = []struct{ field, column string }{
	{"customer_name", "name"}, {"vat_number", "vat_number"},
	{"address_name", "addr_name"}, {"address", "address"}, {"city", "city"}, {"postal_code", "postal_code"},
	{"state", "state"}, {"country", "country"},
	{"contact_phone", "phone"}, {"contact_email", "email"},
}

// oldColumn returns the index in oldColumns of field, or -1.
func oldColumn(field string) int {
	for i, c := range oldColumns {
		if c.field == field {
			return i
		}
	}
	return -1
}

// BeginStaging opens the transaction of a validation run of import id and
// clears anything an earlier run could have left.
func (db *DB) BeginStaging(ctx context.Context, importID string) (jobs.Staging, error) {
	u, err := parseUUID(importID)
	if err != nil {
		return nil, err
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin staging: %w", err)
	}
	for _, q := range []string{`DELETE FROM import_warnings WHERE import_id = $1`, `DELETE FROM import_rows WHERE import_id = $1`,
		`DELETE FROM import_skips WHERE import_id = $1`} {
		if _, err := tx.Exec(ctx, q, importID); err != nil {
			_ = tx.Rollback(ctx)
			return nil, fmt.Errorf("clear staging: %w", err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	s := &Staging{tx: tx, importID: importID, uuid: u, cancel: cancel}
	s.copies = startCopyStreams(cctx, tx.Conn().PgConn(), []string{
		copyRows:     copySQL("import_rows", importRowColumns),
		copyWarnings: copySQL("import_warnings", importWarningColumns)})
	s.rows.b = s.copies.buffer()
	s.warns.b = s.copies.buffer()
	return s, nil
}

// Record stages one row and its warnings (rules.Sink).
func (s *Staging) Record(ctx context.Context, rec rules.Record, ws []warning.Warning) error {
	c := &s.rows
	c.tuple(len(importRowColumns))
	c.bytes(s.uuid[:])
	c.int4(rec.Row)
	c.bool(rec.Red)
	c.text(rec.Key)
	c.text(rec.Code)
	c.text(rec.Name)
	c.text(rec.VAT)
	if a := rec.Address; a != nil {
		c.text(rules.Fold(a.Code))
		for _, v := range [...]string{a.Code, a.Name, a.Address, a.City, a.PostalCode, a.State, a.Country} {
			c.text(v)
		}
		c.bool(a.IsDefault)
	} else {
		for range 9 {
			c.null()
		}
	}
	if k := rec.Contact; k != nil {
		c.text(rules.Fold(k.Name))
		c.text(k.Name)
		c.text(k.Phone)
		c.text(k.Email)
		c.bool(k.IsDefault)
	} else {
		for range 5 {
			c.null()
		}
	}
	if len(c.b) >= copyChunkBytes {
		if err := s.flushRows(ctx); err != nil {
			return err
		}
	}
	return s.warnings(ctx, ws, !rec.Red)
}

// Late stages warnings decided at the end of the file (rules.Sink).
func (s *Staging) Late(ctx context.Context, ws []warning.Warning) error {
	return s.warnings(ctx, ws, true)
}

// warnings encodes ws; with trackRed, the rows of red ones are remembered
// to be marked red at Commit.
func (s *Staging) warnings(ctx context.Context, ws []warning.Warning, trackRed bool) error {
	for i := range ws {
		w := &ws[i]
		s.seq++
		sev := w.Severity()
		if trackRed && sev == warning.SeverityError {
			s.lateRed = append(s.lateRed, int32(w.Row))
		}
		c := &s.warns
		c.tuple(len(importWarningColumns))
		c.bytes(s.uuid[:])
		c.int4(w.Row)
		c.int4(s.seq)
		c.text(string(sev))
		c.text(string(w.Code))
		c.text(w.Column)
		c.text(w.Field)
		c.text(w.Value)
		for j, ch := range w.Changes {
			if col := oldColumn(ch.Field); ch.OldRow > 0 && ch.Old == "" && col >= 0 {
				o := &s.olds
				o.row, o.seq, o.idx = append(o.row, int32(w.Row)), append(o.seq, int32(s.seq)), append(o.idx, int32(j))
				o.from, o.col = append(o.from, int32(ch.OldRow)), append(o.col, int32(col))
			}
		}
		if len(w.Params) > 0 || len(w.Changes) > 0 {
			js, err := json.Marshal(paramsJSON(*w))
			if err != nil {
				return fmt.Errorf("warning params: %w", err)
			}
			c.jsonb(js)
		} else {
			c.null()
		}
	}
	if len(s.warns.b) >= warningsChunkBytes {
		return s.flushWarnings(ctx)
	}
	return nil
}

// flushRows hands the encoded rows to the COPY goroutine.
func (s *Staging) flushRows(ctx context.Context) error {
	if len(s.rows.b) == 0 {
		return nil
	}
	if err := s.copies.send(ctx, copyRows, s.rows.b); err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	s.rows.b = s.copies.buffer()
	return nil
}

// flushWarnings hands the encoded warnings to the COPY goroutine, after the
// rows encoded so far.
func (s *Staging) flushWarnings(ctx context.Context) error {
	if err := s.flushRows(ctx); err != nil {
		return err
	}
	if len(s.warns.b) == 0 {
		return nil
	}
	if err := s.copies.send(ctx, copyWarnings, s.warns.b); err != nil {
		return fmt.Errorf("stage warnings: %w", err)
	}
	s.warns.b = s.copies.buffer()
	return nil
}

// Commit finishes the run: ends the COPYs, marks rows that turned red at
// the end of the file, and moves the import from validating to validated
// with summary. It returns false (and rolls back) when the import was no
// longer validating, e.g. cancelled meanwhile.
func (s *Staging) Commit(ctx context.Context, summary jobs.Summary) (bool, error) {
	defer s.Rollback(context.WithoutCancel(ctx))
	if err := s.flushWarnings(ctx); err != nil {
		return false, err
	}
	s.closed = true
	if err := s.copies.close(); err != nil {
		return false, fmt.Errorf("copy rows: %w", err)
	}
	if len(s.lateRed) > 0 {
		if _, err := s.tx.Exec(ctx, `UPDATE import_rows SET red = true
			WHERE import_id = $1 AND row_num = ANY($2) AND NOT red`, s.importID, s.lateRed); err != nil {
			return false, fmt.Errorf("mark red rows: %w", err)
		}
	}
	if err := s.fillOlds(ctx); err != nil {
		return false, err
	}
	sum, err := json.Marshal(summary)
	if err != nil {
		return false, err
	}
	tag, err := s.tx.Exec(ctx, `UPDATE imports SET status = 'validated', summary = $2, percent = 100,
		rows_read = $3, updated_at = now() WHERE id = $1 AND status = 'validating'`, s.importID, sum, summary.RowsTotal)
	if err != nil {
		return false, fmt.Errorf("mark validated: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if err := s.tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("commit staging: %w", err)
	}
	return true, nil
}

// fillOlds sets the old side of the changes listed in s.olds from the staged
// rows they name, one statement per change index (an UPDATE … FROM sets a
// row once, whatever the number of its matches).
func (s *Staging) fillOlds(ctx context.Context) error {
	o := &s.olds
	if len(o.row) == 0 {
		return nil
	}
	value := "CASE b.col"
	for i, c := range oldColumns {
		value += fmt.Sprintf(" WHEN %d THEN r.%s", i, c.column)
	}
	value += " END"
	maxIdx := int32(0)
	for _, i := range o.idx {
		maxIdx = max(maxIdx, i)
	}
	for idx := range maxIdx + 1 {
		if _, err := s.tx.Exec(ctx, `UPDATE import_warnings w
			SET params = jsonb_set(w.params, ARRAY['changes', $7::int::text, 'old'], to_jsonb(coalesce(`+value+`, '')))
			FROM unnest($2::int[], $3::int[], $4::int[], $5::int[], $6::int[]) AS b(row_num, seq, idx, from_row, col)
			JOIN import_rows r ON r.import_id = $1 AND r.row_num = b.from_row
			WHERE b.idx = $7::int AND w.import_id = $1 AND w.row_num = b.row_num AND w.seq = b.seq`,
			s.importID, o.row, o.seq, o.idx, o.from, o.col, idx); err != nil {
			return fmt.Errorf("fill old values: %w", err)
		}
	}
	return nil
}

// Rollback abandons the run; it is safe after Commit.
func (s *Staging) Rollback(ctx context.Context) {
	if !s.closed {
		s.closed = true
		s.cancel()
		_ = s.copies.close()
	}
	s.cancel()
	_ = s.tx.Rollback(ctx)
}

// paramsJSON is the stored form of a warning's parameters: the scalar params
// plus "changes" for old → new values.
func paramsJSON(w warning.Warning) map[string]any {
	m := make(map[string]any, len(w.Params)+1)
	for k, v := range w.Params {
		m[k] = pgText(v)
	}
	if len(w.Changes) > 0 {
		changes := make([]warning.Change, len(w.Changes))
		for i, ch := range w.Changes {
			changes[i] = warning.Change{Field: ch.Field, Old: pgText(ch.Old), New: pgText(ch.New)}
		}
		m["changes"] = changes
	}
	return m
}
