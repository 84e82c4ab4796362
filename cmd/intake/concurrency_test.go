package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"intake/jobs"
)

// TestConcurrentImportsTwoTenants uploads 20 imports of two tenants at once
// to the real API and two worker processes, then sends their confirms
// interleaved (A, B, A, B…) all at once. Every import completes; one
// tenant's confirms never overlap in time (the transaction-scoped tenant
// lock; the start and finish are stamped inside the applying transaction);
// and the data equals a clean run that applies the files one at a time in
// the order they were confirmed.
func TestConcurrentImportsTwoTenants(t *testing.T) {
	t.Parallel()
	c := newCluster(t, clusterOpts{})
	const perTenant, rows, pool = 10, 1000, 250
	var files []importFile
	for i := range perTenant {
		for j, tenant := range []string{"tenant-a", "tenant-b"} {
			files = append(files, importFile{tenant: tenant, name: fmt.Sprintf("%s-%02d.csv", tenant, i),
				data: customersCSV(uint64(100+2*i+j), rows, pool)})
		}
	}
	keys := map[string]string{"tenant-a": c.http.keyA, "tenant-b": c.http.keyB}
	ids := make([]string, len(files))
	parallel(t, len(files), func(i int) error {
		var err error
		ids[i], err = postFile(c.http.url, keys[files[i].tenant], files[i].name, files[i].data)
		return err
	})
	waitStatuses(t, c.db, ids, 2*time.Minute, jobs.StatusValidated)
	parallel(t, len(files), func(i int) error {
		return call("PUT", c.http.url+"/v1/imports/"+ids[i]+"/skips", keys[files[i].tenant],
			strings.NewReader(`{"rows":[],"all_errors":true}`), "application/json", http.StatusOK, nil)
	})
	// files alternates tenants: the confirms go out interleaved, all at once.
	parallel(t, len(files), func(i int) error {
		time.Sleep(time.Duration(i) * 5 * time.Millisecond)
		return call("POST", c.http.url+"/v1/imports/"+ids[i]+"/confirm", keys[files[i].tenant], nil, "", http.StatusAccepted, nil)
	})
	waitStatuses(t, c.db, ids, 3*time.Minute, jobs.StatusCompleted)

	_, overlaps := confirmOrder(t, c, ids)
	if overlaps == 0 {
		t.Log("the two tenants' confirms never overlapped in time (the workers were not both busy)")
	}
	_, n, _ := compareWithReplay(t, c, files, ids)
	t.Logf("%d imports of %d rows: %d customers, %d addresses, %d contacts; cross-tenant overlapping confirms: %d",
		len(ids), rows, n[0], n[1], n[2], overlaps)
}

// confirmOrder returns the completed imports in the order they were applied
// and fails the test if two confirms of one tenant overlapped in time; it
// also counts the pairs of confirms of different tenants that did overlap.
func confirmOrder(t *testing.T, c *cluster, ids []string) ([]string, int) {
	t.Helper()
	rows, err := c.db.Pool.Query(context.Background(), `SELECT id::text, tenant_id, confirm_started_at, confirm_finished_at
		FROM imports WHERE id = ANY($1::uuid[]) ORDER BY confirm_finished_at`, ids)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type span struct {
		id         string
		tenant     int64
		start, end time.Time
	}
	var spans []span
	for rows.Next() {
		var s span
		if err := rows.Scan(&s.id, &s.tenant, &s.start, &s.end); err != nil {
			t.Fatal(err)
		}
		spans = append(spans, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var order []string
	overlaps := 0
	for i, a := range spans {
		order = append(order, a.id)
		for _, b := range spans[:i] {
			overlap := a.start.Before(b.end) && b.start.Before(a.end)
			switch {
			case overlap && a.tenant == b.tenant:
				t.Errorf("confirms of one tenant overlapped: %s [%v, %v] and %s [%v, %v]",
					b.id, b.start, b.end, a.id, a.start, a.end)
			case overlap:
				overlaps++
			}
		}
	}
	return order, overlaps
}

// parallel runs f(0…n-1) at once and fails the test with the first error.
func parallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f(i) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
