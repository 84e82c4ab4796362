package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"intake/jobs"
)

// run measures every phase, in an order that puts each floor next to what
// is compared with it (the machine is noisy).
func (b *bench) run(ctx context.Context) error {
	o := b.opts
	var primary struct {
		id     string
		key    string
		tenant int64
	}
	for _, f := range o.formats {
		path, err := b.file(f, o.rows, false)
		if err != nil {
			return err
		}
		fr, err := floorRead(ctx, b.exe, path, b.tmpDir, b.env)
		if err != nil {
			return err
		}
		b.add(benchResult{Phase: "floor_read", Format: f, Rows: fr.Rows, Seconds: fr.Seconds, RSS: fr.PeakRSS, RSSWhat: "reader"})
		t, key, err := b.db.CreateAPIKey(ctx, "bench-"+f)
		if err != nil {
			return err
		}
		id, err := b.uploadValidate(ctx, "validate", f, o.rows, path, key)
		if err != nil {
			return err
		}
		if primary.id == "" {
			primary.id, primary.key, primary.tenant = id, key, t.ID
		}
	}

	if err := b.confirm(ctx, "confirm", o.formats[0], o.rows, primary.key, primary.id); err != nil {
		return err
	}
	if err := b.floorCopy(ctx, primary.tenant); err != nil {
		return err
	}
	up, err := b.file("csv", o.rows, true)
	if err != nil {
		return err
	}
	id, err := b.uploadValidate(ctx, "validate_update", "csv", o.rows, up, primary.key)
	if err != nil {
		return err
	}
	if err := b.confirm(ctx, "confirm_update", "csv", o.rows, primary.key, id); err != nil {
		return err
	}

	// Memory against file size: the same validations on a smaller file.
	if o.flatRows > 0 && o.flatRows < o.rows {
		for _, f := range o.formats {
			if f == "xlsx" {
				continue
			}
			path, err := b.file(f, o.flatRows, false)
			if err != nil {
				return err
			}
			_, key, err := b.db.CreateAPIKey(ctx, "bench-small-"+f)
			if err != nil {
				return err
			}
			if _, err := b.uploadValidate(ctx, "validate", f, o.flatRows, path, key); err != nil {
				return err
			}
		}
	}
	if o.uploadMiB > 0 {
		return b.bigUpload(ctx, primary.key)
	}
	return nil
}

// uploadValidate starts a fresh worker, uploads the file (phase upload: the
// API's RSS growth while it streams the file to S3), then measures phase
// from the 202 Accepted to validated, with the pollers running.
func (b *bench) uploadValidate(ctx context.Context, phase, format string, rows int, path, key string) (string, error) {
	w, err := b.startWorker()
	if err != nil {
		return "", err
	}
	defer w.stop(time.Minute)
	if err := b.waitWorker(ctx, w); err != nil {
		return "", err
	}
	rss0, _, err := b.api.memory()
	if err != nil {
		return "", err
	}
	if err := b.api.resetPeak(); err != nil {
		return "", err
	}
	t := time.Now()
	imp, err := b.client.upload(ctx, key, path)
	if err != nil {
		return "", err
	}
	b.objects = append(b.objects, jobs.ObjectKey(imp.TenantID, imp.ID))
	upSecs := time.Since(t).Seconds()
	_, peak, err := b.api.memory()
	if err != nil {
		return "", err
	}
	if phase == "validate" {
		b.add(benchResult{Phase: "upload", Format: format, Rows: rows, Seconds: upSecs, RSS: peak - rss0, RSSWhat: "API growth",
			Note: mib(fileSize(path)) + " file"})
	}

	t = time.Now()
	cpu0 := w.cpuSeconds()
	p := b.client.startPollers(ctx, b.opts.pollers, b.opts.pollEvery, key, imp.ID)
	imp, err = b.client.wait(ctx, key, imp.ID, jobs.StatusValidated, 20*time.Millisecond)
	secs := time.Since(t).Seconds()
	p50, p99, n, errs := p.stop()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", phase, format, err)
	}
	if imp.Summary == nil || imp.Summary.RowsTotal != rows {
		return "", fmt.Errorf("%s %s: summary %+v, want %d rows", phase, format, imp.Summary, rows)
	}
	_, wpeak, err := w.memory()
	if err != nil {
		return "", err
	}
	s := imp.Summary
	b.add(benchResult{Phase: phase, Format: format, Rows: rows, Seconds: secs, RSS: wpeak, RSSWhat: "worker",
		CPU: (w.cpuSeconds() - cpu0) / secs, PollP50: ms(p50), PollP99: ms(p99), Polls: n, PollErrors: errs,
		Note: fmt.Sprintf("%d ok, %d yellow, %d red; %d customers new, %d updated", s.RowsOK, s.RowsWarning, s.RowsError,
			s.CustomersNew, s.CustomersUpdated)})
	return imp.ID, nil
}

// waitWorker waits until a fresh worker has logged its start.
func (b *bench) waitWorker(ctx context.Context, w *benchProc) error {
	return waitFor(ctx, 30*time.Second, 20*time.Millisecond, "worker start", func() (bool, error) {
		if err := w.alive(); err != nil {
			return false, err
		}
		log, err := os.ReadFile(w.log.Name())
		return bytes.Contains(log, []byte("worker started")), err
	})
}

// skips measures three replacements of the skip list of import id: every
// red row (phase skips), then also ten rows that are not red (skips_rows:
// their customers' preview computed again), then the red rows alone again
// (skips_back), which is what the confirm applies.
func (b *bench) skips(ctx context.Context, format string, rows int, key, id string, red int) error {
	put := func(phase, body, note string) (*jobs.Skips, error) {
		var out jobs.Skips
		t := time.Now()
		if err := b.client.do(ctx, "PUT", "/v1/imports/"+id+"/skips", key, strings.NewReader(body), -1, "application/json", &out); err != nil {
			return nil, err
		}
		b.add(benchResult{Phase: phase, Format: format, Rows: rows, Seconds: time.Since(t).Seconds(), Note: note})
		return &out, nil
	}
	all, err := put("skips", `{"rows":[],"all_errors":true}`, fmt.Sprintf("all_errors: %d red rows", red))
	if err != nil {
		return err
	}
	isRed := make(map[int]bool, len(all.Rows))
	for _, r := range all.Rows {
		isRed[r] = true
	}
	var some []string
	for r := 2; len(some) < 10 && r < rows+2; r += rows / 20 {
		if !isRed[r] {
			some = append(some, strconv.Itoa(r))
		}
	}
	if _, err := put("skips_rows", `{"rows":[`+strings.Join(some, ",")+`],"all_errors":true}`,
		fmt.Sprintf("all_errors and %d rows that are not red", len(some))); err != nil {
		return err
	}
	_, err = put("skips_back", `{"rows":[],"all_errors":true}`, "all_errors again")
	return err
}

// confirm replaces the skip list (phases skips*) and measures the confirm
// from its request to completed.
func (b *bench) confirm(ctx context.Context, phase, format string, rows int, key, id string) error {
	w, err := b.startWorker()
	if err != nil {
		return err
	}
	defer w.stop(time.Minute)
	if err := b.waitWorker(ctx, w); err != nil {
		return err
	}
	imp, err := b.client.get(ctx, key, id)
	if err != nil {
		return err
	}
	if imp.Summary != nil && imp.Summary.RowsError > 0 {
		if err := b.skips(ctx, format, rows, key, id, imp.Summary.RowsError); err != nil {
			return err
		}
	}
	t := time.Now()
	if err := b.client.do(ctx, "POST", "/v1/imports/"+id+"/confirm", key, nil, -1, "", nil); err != nil {
		return err
	}
	if imp, err = b.client.wait(ctx, key, id, jobs.StatusCompleted, 20*time.Millisecond); err != nil {
		return fmt.Errorf("%s: %w", phase, err)
	}
	secs := time.Since(t).Seconds()
	_, peak, err := w.memory()
	if err != nil {
		return err
	}
	s := imp.Summary
	b.add(benchResult{Phase: phase, Format: format, Rows: rows, Seconds: secs, RSS: peak, RSSWhat: "worker",
		Note: fmt.Sprintf("customers %d new, %d updated, %d unchanged; addresses %d new, %d updated; contacts %d new, %d updated",
			s.CustomersNew, s.CustomersUpdated, s.CustomersUnchanged, s.AddressesNew, s.AddressesUpdated, s.ContactsNew, s.ContactsUpdated)})
	return nil
}

// floorCopy measures floor_copy with what the confirm stored.
func (b *bench) floorCopy(ctx context.Context, tenantID int64) error {
	d, err := loadFloorData(ctx, b.db, tenantID)
	if err != nil {
		return err
	}
	took, err := floorCopy(ctx, b.dsn, tenantID, d)
	if err != nil {
		return fmt.Errorf("floor_copy: %w", err)
	}
	b.add(benchResult{Phase: "floor_copy", Format: "-", Rows: b.opts.rows, Seconds: took.Seconds(),
		Note: fmt.Sprintf("%d customers, %d addresses, %d contacts", len(d.custs), len(d.addrs), len(d.contacts))})
	return nil
}

// bigUpload measures the API's RSS growth while it receives an upload of
// -upload-mib MiB (no worker runs; the import is cancelled afterwards).
func (b *bench) bigUpload(ctx context.Context, key string) error {
	size := int64(b.opts.uploadMiB) << 20
	path := filepath.Join(b.opts.out, fmt.Sprintf("upload-%dMiB.csv", b.opts.uploadMiB))
	if st, err := os.Stat(path); err != nil || st.Size() != size {
		if err := writeFiller(path, size); err != nil {
			return err
		}
	}
	rss0, _, err := b.api.memory()
	if err != nil {
		return err
	}
	if err := b.api.resetPeak(); err != nil {
		return err
	}
	t := time.Now()
	imp, err := b.client.upload(ctx, key, path)
	if err != nil {
		return err
	}
	secs := time.Since(t).Seconds()
	b.objects = append(b.objects, jobs.ObjectKey(imp.TenantID, imp.ID))
	_, peak, err := b.api.memory()
	if err != nil {
		return err
	}
	b.add(benchResult{Phase: "upload_big", Format: "csv", Seconds: secs, RSS: peak - rss0, RSSWhat: "API growth",
		Note: fmt.Sprintf("%d MiB body, %.0f MiB/s", b.opts.uploadMiB, float64(b.opts.uploadMiB)/secs)})
	return b.client.do(ctx, "DELETE", "/v1/imports/"+imp.ID, key, nil, -1, "", nil)
}

// writeFiller writes a CSV-looking file of exactly size bytes.
func writeFiller(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	line := []byte("CUST0000001;Dupont Martin SARL 1;FR01100000001;ADR1;Siège;12 rue Pasteur;Lyon;69003;;FR;Oui;Marie Martin;+33 6 01 00 00 00;m.martin@c1.example.fr;Oui\r\n")
	for n := int64(0); n < size; n += int64(len(line)) {
		w.Write(line[:min(int64(len(line)), size-n)])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
