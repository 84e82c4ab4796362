package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"intake/jobs"
)

// FuzzSkipsBody sends arbitrary bodies to PUT /v1/imports/{id}/skips, on a
// validated import of the caller, one being confirmed, another tenant's
// and one that does not exist: the answer is never a 5xx and never a
// panic, only 200, 400, 404, 409 or 422; a problem is problem+json with a
// code; a 200 lists sorted, distinct data rows and a summary.
func FuzzSkipsBody(f *testing.F) {
	for _, s := range []string{
		`{"rows":[2,3],"all_errors":false}`,
		`{"rows":[],"all_errors":true}`,
		`{"rows":[3,3,2,5]}`,
		`{"rows":[1,4,99,-1,0]}`,
		`{"rows":[3000000000,-3000000000,9223372036854775807]}`,
		`{"rows":[2.5]}`,
		`{"rows":[1e3]}`,
		`{"rows":null,"all_errors":null}`,
		`{"rows":"2"}`,
		`{"rows":[2],"unknown":1}`,
		`{"rows":[]} {"rows":[]}`,
		`[1,2]`,
		`null`,
		``,
		"\xff\xfe{",
	} {
		for target := range uint8(4) {
			f.Add([]byte(s), target)
		}
	}
	store := newFakeStore()
	validated := store.add(1, jobs.StatusValidated, time.Now())
	confirming := store.add(1, jobs.StatusConfirming, time.Now())
	other := store.add(2, jobs.StatusValidated, time.Now())
	for _, id := range []string{validated, confirming, other} {
		store.dataRows[id] = []int{2, 3, 5}
		store.redRows[id] = []int{5}
	}
	targets := []string{validated, confirming, other, jobs.NewID()}
	h := New(&jobs.Service{Store: store, Blobs: &fakeBlobs{objects: map[string][]byte{}}, Queue: &fakeQueue{}},
		Config{Registry: prometheus.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

	f.Fuzz(func(t *testing.T, body []byte, target uint8) {
		id := targets[int(target)%len(targets)]
		r := httptest.NewRequest("PUT", "/v1/imports/"+id+"/skips", bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer key-a")
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK:
			var got jobs.Skips
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Summary == nil || got.Rows == nil {
				t.Fatalf("200 with %q (%v)", w.Body, err)
			}
			if !slices.IsSorted(got.Rows) || len(slices.Compact(slices.Clone(got.Rows))) != len(got.Rows) {
				t.Fatalf("rows not sorted and distinct: %v", got.Rows)
			}
			for _, row := range got.Rows {
				if !slices.Contains(store.dataRows[id], row) {
					t.Fatalf("row %d is not a data row", row)
				}
			}
			if id != validated {
				t.Fatalf("200 for import %s, which is not the caller's validated import", id)
			}
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity:
			var p problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Code == "" || p.Status != w.Code ||
				w.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d with %q (%v)", w.Code, w.Body, err)
			}
			if w.Code == http.StatusNotFound && (id == validated || id == confirming) {
				t.Fatalf("404 for the caller's own import: %s", w.Body)
			}
		default:
			t.Fatalf("status %d for body %q: %s", w.Code, body, w.Body)
		}
	})
}
