package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"intake/jobs"
	"intake/jobs/sheet"
	"intake/storage/postgres"
	"intake/storage/postgres/pgtest"
	"intake/storage/s3"
)

// importFile is one file of a multi-import test.
type importFile struct {
	tenant string // "tenant-a" or "tenant-b"
	name   string
	data   []byte
}

// customersCSV generates rows data rows over a pool of customer codes, so
// that files of one seed family update each other's customers: several
// addresses and contacts per customer, defaults that move, country names
// converted, postal codes padded, and about one row in 400 red (an invalid
// email). Every row names its customer, so skipping the red rows never
// leaves a new customer nameless.
func customersCSV(seed uint64, rows, pool int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	var b bytes.Buffer
	b.WriteString(strings.Join(englishHeaders, ",") + "\n")
	for range rows {
		code := fmt.Sprintf("K%05d", r.IntN(pool))
		email := pick("ann", "bob", "carl", "dan") + "@example.com"
		if r.IntN(400) == 0 {
			email = "not-an-email"
		}
		country := pick("FR", "France", "PT", "Portugal", "DE", "UK", "")
		fields := []string{
			code,
			pick("Acme", "Acme SA", "Beta", "Gamma Ltd", "Delta") + " " + code[1:],
			pick("", "", "FR12345678901", "PT123456789"),
			pick("", "A1", "A2", "A3"),
			pick("", "Head office", "Depot"),
			fmt.Sprintf("%d rue %s", 1+r.IntN(99), pick("de la Paix", "Foch", "Victor Hugo")),
			pick("Paris", "Lyon", "Porto", "Berlin", "London"),
			fmt.Sprint(1000 + r.IntN(98000)),
			"",
			country,
			pick("", "", "Oui", "Yes", "Non"),
			pick("", "Ann", "Bob", "Carl", "Dan"),
			pick("", "+33 1 23 45 67 89", "+351 21 000 00 00"),
			email,
			pick("", "", "Yes"),
		}
		if fields[3] == "" {
			fields[4], fields[5], fields[6], fields[7], fields[9], fields[10] = "", "", "", "", "", ""
		}
		if fields[11] == "" {
			fields[12], fields[13], fields[14] = "", "", ""
		}
		b.WriteString(strings.Join(fields, ",") + "\n")
	}
	return b.Bytes()
}

// dataChecksum digests the customers, addresses and contacts of every
// tenant by their natural keys (tenant name, codes, contact names), never
// by ids or timestamps, so that two schemas that applied the same imports
// compare equal. It also returns the three row counts.
func dataChecksum(t *testing.T, db *postgres.DB) (string, [3]int) {
	t.Helper()
	var sum string
	var n [3]int
	err := db.Pool.QueryRow(context.Background(), `
		WITH c AS (SELECT c.*, t.name AS tenant FROM customers c JOIN tenants t ON t.id = c.tenant_id),
		lines AS (
			SELECT concat_ws('|', 'C', tenant, code, name, vat_number) AS l FROM c
			UNION ALL
			SELECT concat_ws('|', 'A', c.tenant, c.code, a.code, a.name, a.address, a.city, a.postal_code, a.state,
				a.country, a.is_default) FROM addresses a JOIN c ON c.id = a.customer_id
			UNION ALL
			SELECT concat_ws('|', 'P', c.tenant, c.code, p.name, p.phone, p.email, p.is_default)
			FROM contacts p JOIN c ON c.id = p.customer_id)
		SELECT md5(coalesce(string_agg(l, E'\n' ORDER BY l), '')),
			(SELECT count(*) FROM customers), (SELECT count(*) FROM addresses), (SELECT count(*) FROM contacts)
		FROM lines`).Scan(&sum, &n[0], &n[1], &n[2])
	if err != nil {
		t.Fatal(err)
	}
	return sum, n
}

// warningDigest digests the stored warnings of one import and counts them.
func warningDigest(t *testing.T, db *postgres.DB, importID string) (string, int) {
	t.Helper()
	var sum string
	var n int
	err := db.Pool.QueryRow(context.Background(), `
		SELECT md5(coalesce(string_agg(concat_ws('|', row_num, severity, code, col, field, value, params::text),
			E'\n' ORDER BY row_num, seq), '')), count(*)
		FROM import_warnings WHERE import_id = $1`, importID).Scan(&sum, &n)
	if err != nil {
		t.Fatal(err)
	}
	return sum, n
}

// replayImports is the clean single run the multi-import tests compare
// against: in a fresh schema, with no queue, it validates every file (as
// the test did, before any of them was confirmed), then skips the red rows
// and confirms the files one at a time in order. It returns the data
// checksum and the warnings digest of each file, by name.
func replayImports(t *testing.T, files []importFile) (string, map[string]string) {
	t.Helper()
	ctx := context.Background()
	endpoint, access, secret := testS3(t)
	db, err := postgres.Open(ctx, pgtest.NewSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs, err := s3.New(ctx, s3.Config{Endpoint: endpoint, AccessKey: access, SecretKey: secret, Bucket: "intake-test"})
	if err != nil {
		t.Fatal(err)
	}
	svc := &jobs.Service{Store: db, Blobs: blobs, Queue: noQueue{}}
	h := &jobs.Handlers{Store: db, Blobs: blobs, TempDir: t.TempDir(), Limits: sheet.Limits{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tenants := map[string]int64{}
	for _, name := range []string{"tenant-a", "tenant-b"} {
		tn, _, err := db.CreateAPIKey(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		tenants[name] = tn.ID
	}
	ids := make([]string, len(files))
	digests := map[string]string{}
	for i, f := range files {
		imp, err := svc.Upload(ctx, tenants[f.tenant], f.name, bytes.NewReader(f.data), int64(len(f.data)))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Validate(ctx, jobs.NewValidateTask(imp.ID)); err != nil {
			t.Fatalf("replay: validate %s: %v", f.name, err)
		}
		ids[i] = imp.ID
		digests[f.name], _ = warningDigest(t, db, imp.ID)
	}
	for i, f := range files {
		if _, err := svc.ReplaceSkips(ctx, tenants[f.tenant], ids[i], []int{}, true); err != nil {
			t.Fatalf("replay: skips of %s: %v", f.name, err)
		}
		if _, err := svc.Confirm(ctx, tenants[f.tenant], ids[i]); err != nil {
			t.Fatalf("replay: confirm %s: %v", f.name, err)
		}
		if err := h.Confirm(ctx, jobs.NewConfirmTask(ids[i])); err != nil {
			t.Fatalf("replay: apply %s: %v", f.name, err)
		}
	}
	sum, _ := dataChecksum(t, db)
	return sum, digests
}

// postFile uploads a file as multipart and returns the import id; safe to
// call from several goroutines.
func postFile(url, key, name string, data []byte) (string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	var imp jobs.Import
	err := call("POST", url+"/v1/imports", key, &buf, mw.FormDataContentType(), http.StatusAccepted, &imp)
	return imp.ID, err
}

// call sends one request, checks its status and decodes the JSON answer
// into out (when not nil); safe to call from several goroutines.
func call(method, url, key string, body io.Reader, contentType string, want int, out any) error {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := decodeBody(resp, want, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	return nil
}

// decodeBody checks resp's status and decodes its JSON body into out (when
// not nil).
func decodeBody(resp *http.Response, want int, out any) error {
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%d %s", resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// waitStatuses polls the database until every import in ids has one of the
// statuses in want, and fails the test at the deadline or when one ends in
// another final status.
func waitStatuses(t *testing.T, db *postgres.DB, ids []string, timeout time.Duration, want ...jobs.Status) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		pending := 0
		var late []string
		for _, id := range ids {
			imp, err := db.ImportByID(context.Background(), id)
			if err != nil {
				// Postgres may be restarting under the test: retry until the deadline.
				lastErr = err
				pending++
				continue
			}
			ok := false
			for _, s := range want {
				ok = ok || imp.Status == s
			}
			switch {
			case ok:
			case imp.Status == jobs.StatusFailed || imp.Status == jobs.StatusCompleted:
				t.Fatalf("import %s ended %s (%+v), want %v", id, imp.Status, imp.Error, want)
			default:
				pending++
				late = append(late, fmt.Sprintf("%s %s (%d rows read)", imp.ID, imp.Status, imp.Progress.RowsRead))
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d imports are not %v after %v: %v (last error: %v)", pending, len(ids), want, timeout, late, lastErr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
