package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"intake/jobs"
)

// TestHostileFiles uploads every file of the hostile catalogue (zip bomb,
// 16,384 columns, a 1 MiB cell, deep XML, NUL bytes, bad encodings,
// truncated, encrypted and foreign formats, an empty file, a million blank
// lines, one line of 100 MiB) through the API to a single worker process,
// with ordinary imports queued among them. Each hostile file must end in its
// coded file-level error, or validated with the right number of rows, in
// bounded time; the worker's peak RSS must stay under 300 MiB; and the
// ordinary imports must validate and confirm meanwhile, on the same worker.
func TestHostileFiles(t *testing.T) {
	t.Parallel()
	start := time.Now()
	paths := hostilePaths(t, t.TempDir())
	generated := time.Since(start)
	c := newCluster(t, clusterOpts{workers: 1})
	worker := c.workers[0]
	files := hostileFiles()
	ids := make([]string, len(files))
	parallel(t, len(files), func(i int) error {
		var err error
		ids[i], err = postPath(c.http.url, c.http.keyA, files[i].name, paths[files[i].name])
		return err
	})
	uploaded := time.Now()
	normal, err := postFile(c.http.url, c.http.keyB, "normal.csv", customersCSV(42, 2000, 500))
	if err != nil {
		t.Fatal(err)
	}
	// The ordinary import validates and confirms while the worker chews on
	// the hostile files (it queued behind them).
	waitStatuses(t, c.db, []string{normal}, 2*time.Minute, jobs.StatusValidated)
	confirmAll(t, c, []importFile{{tenant: "tenant-b"}}, []string{normal})
	waitStatuses(t, c.db, []string{normal}, time.Minute, jobs.StatusCompleted)
	normalDone := time.Since(uploaded)

	waitStatuses(t, c.db, ids, 2*time.Minute, jobs.StatusValidated, jobs.StatusFailed)
	var report []string
	for i, f := range files {
		imp, err := c.db.ImportByID(context.Background(), ids[i])
		if err != nil {
			t.Fatal(err)
		}
		took := imp.UpdatedAt.Sub(imp.CreatedAt).Round(10 * time.Millisecond)
		got := string(imp.Status)
		if imp.Error != nil {
			got = imp.Error.Code
		}
		report = append(report, fmt.Sprintf("%s → %s in %v", f.name, got, took))
		switch {
		case got != f.want:
			t.Errorf("%s: %s (%+v), want %s", f.name, got, imp.Error, f.want)
		case got == "validated" && imp.Summary.RowsTotal != f.rows:
			t.Errorf("%s: %d rows, want %d", f.name, imp.Summary.RowsTotal, f.rows)
		case imp.Error != nil && (imp.Error.Message == "" || !strings.Contains(imp.Error.Message, "xlsx") && f.want != "no_data"):
			t.Errorf("%s: the message %q does not say what to upload", f.name, imp.Error.Message)
		}
		if took > time.Minute {
			t.Errorf("%s took %v", f.name, took)
		}
	}
	select {
	case <-worker.exited:
		t.Fatalf("the worker died: %v", worker.err)
	default:
	}
	peak, err := vmHWM(worker.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if peak > 300<<20 {
		t.Errorf("the worker's peak RSS is %d MiB, over 300 MiB", peak>>20)
	}
	// And the worker still completes imports afterwards.
	after, err := postFile(c.http.url, c.http.keyB, "after.csv", customersCSV(43, 500, 500))
	if err != nil {
		t.Fatal(err)
	}
	waitStatuses(t, c.db, []string{after}, time.Minute, jobs.StatusValidated)
	slices.Sort(report)
	t.Logf("generated the large files in %v; worker peak RSS %d MiB; the ordinary import completed %v after the hostile uploads;\n%s",
		generated.Round(time.Millisecond), peak>>20, normalDone.Round(100*time.Millisecond), strings.Join(report, "\n"))
}

// postPath uploads the file at path as a raw body streamed from disk and
// returns the import id; safe to call from several goroutines.
func postPath(base, key, name, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	req, err := http.NewRequest("POST", base+"/v1/imports?filename="+url.QueryEscape(name), f)
	if err != nil {
		return "", err
	}
	req.ContentLength = st.Size()
	if st.Size() == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var imp jobs.Import
	if err := decodeBody(resp, http.StatusAccepted, &imp); err != nil {
		return "", fmt.Errorf("upload %s: %w", name, err)
	}
	return imp.ID, nil
}
