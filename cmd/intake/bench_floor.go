package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"intake/storage/postgres"
)

// floorResult is what a floor_read child reports.
type floorResult struct {
	Rows    int     `json:"rows"`
	Seconds float64 `json:"seconds"`
	PeakRSS int64   `json:"peak_rss"`
}

// runFloorRead is the child side of floor_read: the bare read of a file with
// its parser and nothing else — excelize's streaming Rows + Columns over the
// first sheet with excelize's default options (its temp files in tmpDir), or
// encoding/csv over a buffered file — then one JSON line with the row count,
// the time and the process's peak RSS.
func runFloorRead(path, tmpDir string, stdout io.Writer) error {
	// The reader runs at the workers' priority, so that both meet the
	// machine's other load alike.
	if tuning, err := loadWorkerTuning(); err == nil && tuning.Nice > 0 {
		if err := niceThreads(tuning.Nice); err != nil {
			return err
		}
	}
	t := time.Now()
	rows := 0
	if strings.HasSuffix(path, ".csv") {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
		r.Comma = ';'
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				return err
			}
			rows++
		}
	} else {
		f, err := excelize.OpenFile(path, excelize.Options{TmpDir: tmpDir})
		if err != nil {
			return err
		}
		defer f.Close()
		it, err := f.Rows(f.GetSheetName(0))
		if err != nil {
			return err
		}
		for it.Next() {
			if _, err := it.Columns(); err != nil {
				return err
			}
			rows++
		}
		if err := it.Close(); err != nil {
			return err
		}
	}
	res := floorResult{Rows: rows - 1, Seconds: time.Since(t).Seconds()} // minus the header row
	var err error
	if _, res.PeakRSS, err = procMemory(os.Getpid()); err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

// floorRead runs floor_read in a child process and returns its report.
func floorRead(ctx context.Context, exe, path, tmpDir string, env []string) (floorResult, error) {
	var res floorResult
	cmd := exec.CommandContext(ctx, exe, "bench", "-floor-read", path, "-out", tmpDir)
	cmd.Stderr, cmd.Env = os.Stderr, env
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("floor_read %s: %w", path, err)
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return res, fmt.Errorf("floor_read %s: %q: %w", path, out, err)
	}
	return res, nil
}

// floorData is a tenant's customers, addresses and contacts as stored.
type floorData struct {
	custs    [][5]any  // id, tenant_id, code, name, vat_number
	addrs    [][10]any // id, customer_id, code, name, address, city, postal_code, state, country, is_default
	contacts [][6]any  // id, customer_id, name, phone, email, is_default
}

// loadFloorData reads what confirm stored for a tenant.
func loadFloorData(ctx context.Context, db *postgres.DB, tenantID int64) (*floorData, error) {
	d := &floorData{}
	scan := func(sql string, each func(pgx.Rows) error) error {
		rows, err := db.Pool.Query(ctx, sql, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err := scan(`SELECT id, tenant_id, code, name, vat_number FROM customers WHERE tenant_id = $1 ORDER BY id`, func(r pgx.Rows) error {
		var id, t int64
		var code, name, vat string
		err := r.Scan(&id, &t, &code, &name, &vat)
		d.custs = append(d.custs, [5]any{id, t, code, name, vat})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read customers: %w", err)
	}
	err = scan(`SELECT a.id, a.customer_id, a.code, a.name, a.address, a.city, a.postal_code, a.state, a.country, a.is_default
		FROM addresses a JOIN customers c ON c.id = a.customer_id WHERE c.tenant_id = $1 ORDER BY a.id`, func(r pgx.Rows) error {
		var id, cid int64
		var s [7]string
		var def bool
		err := r.Scan(&id, &cid, &s[0], &s[1], &s[2], &s[3], &s[4], &s[5], &s[6], &def)
		d.addrs = append(d.addrs, [10]any{id, cid, s[0], s[1], s[2], s[3], s[4], s[5], s[6], def})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read addresses: %w", err)
	}
	err = scan(`SELECT k.id, k.customer_id, k.name, k.phone, k.email, k.is_default
		FROM contacts k JOIN customers c ON c.id = k.customer_id WHERE c.tenant_id = $1 ORDER BY k.id`, func(r pgx.Rows) error {
		var id, cid int64
		var name, phone, email string
		var def bool
		err := r.Scan(&id, &cid, &name, &phone, &email, &def)
		d.contacts = append(d.contacts, [6]any{id, cid, name, phone, email, def})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	return d, nil
}

// floorCopy measures floor_copy: one transaction of three plain pgx
// CopyFrom into empty customers, addresses and contacts tables of the
// service's own schema (migrations applied to a scratch schema of the
// benchmark's database: same indexes, same foreign keys).
func floorCopy(ctx context.Context, dsn string, tenantID int64, d *floorData) (time.Duration, error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "floor_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return 0, err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE")
	u, err := url.Parse(dsn)
	if err != nil {
		return 0, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	if err := postgres.Migrate(ctx, u.String()); err != nil {
		return 0, err
	}
	if _, err := conn.Exec(ctx, "SET search_path = "+schema); err != nil {
		return 0, err
	}
	if _, err := conn.Exec(ctx, `INSERT INTO tenants (id, name) OVERRIDING SYSTEM VALUE VALUES ($1, 'floor')`, tenantID); err != nil {
		return 0, err
	}

	t := time.Now()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	copyRows := func(table string, cols []string, n int, row func(i int) []any) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) { return row(i), nil }))
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		return nil
	}
	if err := copyRows("customers", []string{"id", "tenant_id", "code", "name", "vat_number"}, len(d.custs),
		func(i int) []any { return d.custs[i][:] }); err != nil {
		return 0, err
	}
	if err := copyRows("addresses", []string{"id", "customer_id", "code", "name", "address", "city", "postal_code", "state", "country", "is_default"},
		len(d.addrs), func(i int) []any { return d.addrs[i][:] }); err != nil {
		return 0, err
	}
	if err := copyRows("contacts", []string{"id", "customer_id", "name", "phone", "email", "is_default"}, len(d.contacts),
		func(i int) []any { return d.contacts[i][:] }); err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	return time.Since(t), nil
}
