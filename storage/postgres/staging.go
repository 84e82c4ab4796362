package postgres

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/jackc/pgx/v5"

	"intake/jobs"
	"intake/jobs/rules"
	"intake/jobs/warning"
)

var importRowColumns = []string{"import_id", "row_num", "red", "cust_key", "code", "name", "vat_number",
	"addr_key", "addr_code", "addr_name", "address", "city", "postal_code", "state", "country", "addr_default",
	"contact_key", "contact_name", "phone", "email", "contact_default"}

var importWarningColumns = []string{"import_id", "row_num", "seq", "severity", "code", "col", "field", "value", "params"}

// Staging writes one validation run: normalized rows stream into import_rows
// with COPY while the file is still being read, warnings are spilled to a
// temp file (a connection runs one COPY at a time) and copied after the rows,
// all in one transaction. A run that dies leaves nothing; Commit makes the
// run visible together with the validated status, so two runs of the same
// validation can never both be stored.
type Staging struct {
	tx       pgx.Tx
	importID string
	rows     chan []any
	copyDone chan struct{} // closed when the rows' COPY has returned
	copyErr  error
	cancel   context.CancelFunc
	spill    *os.File
	w        *bufio.Writer
	enc      *json.Encoder
	seq      int
	closed   bool
}

// BeginStaging opens the transaction of a validation run of import id and
// clears anything an earlier run could have left.
func (db *DB) BeginStaging(ctx context.Context, importID string) (jobs.Staging, error) {
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
	spill, err := os.CreateTemp("", "intake-warnings-*.jsonl")
	if err != nil {
		_ = tx.Rollback(ctx)
		return nil, fmt.Errorf("warnings spill file: %w", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	s := &Staging{tx: tx, importID: importID, rows: make(chan []any, 1024), copyDone: make(chan struct{}),
		cancel: cancel, spill: spill}
	s.w = bufio.NewWriterSize(spill, 256<<10)
	s.enc = json.NewEncoder(s.w)
	go func() {
		_, s.copyErr = tx.CopyFrom(cctx, pgx.Identifier{"import_rows"}, importRowColumns, &chanSource{ctx: cctx, ch: s.rows})
		close(s.copyDone)
	}()
	return s, nil
}

// Record stages one row and its warnings (rules.Sink).
func (s *Staging) Record(ctx context.Context, rec rules.Record, ws []warning.Warning) error {
	v := []any{s.importID, rec.Row, rec.Red, rec.Key, rec.Code, rec.Name, rec.VAT,
		nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}
	if a := rec.Address; a != nil {
		v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15] =
			rules.Fold(a.Code), a.Code, a.Name, a.Address, a.City, a.PostalCode, a.State, a.Country, a.IsDefault
	}
	if c := rec.Contact; c != nil {
		v[16], v[17], v[18], v[19], v[20] = rules.Fold(c.Name), c.Name, c.Phone, c.Email, c.IsDefault
	}
	select {
	case s.rows <- v:
	case <-s.copyDone:
		err := s.copyErr
		if err == nil {
			err = errors.New("copy ended early")
		}
		return fmt.Errorf("stage rows: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Late(ctx, ws)
}

// Late spills warnings decided at the end of the file (rules.Sink).
func (s *Staging) Late(_ context.Context, ws []warning.Warning) error {
	for i := range ws {
		if err := s.enc.Encode(&ws[i]); err != nil {
			return fmt.Errorf("spill warnings: %w", err)
		}
	}
	return nil
}

// Commit finishes the run: waits for the rows' COPY, copies the warnings,
// marks rows that turned red at the end of the file, and moves the import
// from validating to validated with summary. It returns false (and rolls
// back) when the import was no longer validating, e.g. cancelled meanwhile.
func (s *Staging) Commit(ctx context.Context, summary jobs.Summary) (bool, error) {
	defer s.Rollback(context.WithoutCancel(ctx))
	close(s.rows)
	s.closed = true
	<-s.copyDone
	if s.copyErr != nil {
		return false, fmt.Errorf("copy rows: %w", s.copyErr)
	}
	if err := s.w.Flush(); err != nil {
		return false, fmt.Errorf("spill warnings: %w", err)
	}
	if _, err := s.spill.Seek(0, io.SeekStart); err != nil {
		return false, err
	}
	src := &warningSource{importID: s.importID, dec: json.NewDecoder(bufio.NewReaderSize(s.spill, 256<<10))}
	if _, err := s.tx.CopyFrom(ctx, pgx.Identifier{"import_warnings"}, importWarningColumns, src); err != nil {
		return false, fmt.Errorf("copy warnings: %w", err)
	}
	if _, err := s.tx.Exec(ctx, `UPDATE import_rows r SET red = true FROM import_warnings w
		WHERE r.import_id = $1 AND w.import_id = $1 AND w.row_num = r.row_num AND w.severity = 'error' AND NOT r.red`,
		s.importID); err != nil {
		return false, fmt.Errorf("mark red rows: %w", err)
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

// Rollback abandons the run; it is safe after Commit.
func (s *Staging) Rollback(ctx context.Context) {
	if !s.closed {
		close(s.rows)
		s.closed = true
	}
	s.cancel()
	<-s.copyDone
	_ = s.tx.Rollback(ctx)
	if s.spill != nil {
		s.spill.Close()
		os.Remove(s.spill.Name())
		s.spill = nil
	}
}

// chanSource feeds CopyFrom from a channel of rows.
type chanSource struct {
	ctx context.Context
	ch  <-chan []any
	cur []any
}

func (c *chanSource) Next() bool {
	select {
	case v, ok := <-c.ch:
		c.cur = v
		return ok
	case <-c.ctx.Done():
		return false
	}
}
func (c *chanSource) Values() ([]any, error) { return c.cur, nil }
func (c *chanSource) Err() error             { return c.ctx.Err() }

// warningSource feeds CopyFrom from the spilled warnings.
type warningSource struct {
	importID string
	dec      *json.Decoder
	seq      int
	cur      []any
	err      error
}

func (w *warningSource) Next() bool {
	var x warning.Warning
	if err := w.dec.Decode(&x); err != nil {
		if err != io.EOF {
			w.err = err
		}
		return false
	}
	w.seq++
	var params any
	if len(x.Params) > 0 || len(x.Changes) > 0 {
		params = paramsJSON(x)
	}
	w.cur = []any{w.importID, x.Row, w.seq, string(x.Severity()), string(x.Code), x.Column, x.Field, x.Value, params}
	return true
}
func (w *warningSource) Values() ([]any, error) { return w.cur, nil }
func (w *warningSource) Err() error             { return w.err }

// paramsJSON is the stored form of a warning's parameters: the scalar params
// plus "changes" for old → new values.
func paramsJSON(w warning.Warning) map[string]any {
	m := make(map[string]any, len(w.Params)+1)
	for k, v := range w.Params {
		m[k] = v
	}
	if len(w.Changes) > 0 {
		m["changes"] = w.Changes
	}
	return m
}
