package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"intake/jobs"
)

// applyRows is the filter of the rows confirm applies: not red, not skipped.
const applyRows = `FROM import_rows r WHERE r.import_id = @import_id AND NOT r.red
	AND NOT EXISTS (SELECT 1 FROM import_skips s WHERE s.import_id = r.import_id AND s.row_num = r.row_num)`

// lastNonBlank is the aggregate of "a later non-blank value wins": the
// greatest of row number (zero-padded) and value, compared bytewise, then
// without the row number. It replaces an array_agg(col ORDER BY row_num
// DESC) of the non-blank values, which sorted every group apart.
func lastNonBlank(col string) string {
	return `substr(max((lpad(row_num::text, 10, '0') || ` + col + `) COLLATE "C") FILTER (WHERE ` + col + ` <> ''), 11)`
}

// cKey is a grouping key in the C collation: grouping is by equality, which
// every deterministic collation defines as the C one does, and C sorts are
// the fastest (no strcoll, abbreviated keys).
func cKey(col string) string { return col + ` COLLATE "C"` }

// firstValue is the value of the group's first row.
func firstValue(col string) string {
	return `substr(min((lpad(row_num::text, 10, '0') || ` + col + `) COLLATE "C"), 11)`
}

// customerStatements aggregate the rows per customer (later non-blank
// values win, a blank never erases), insert the new customers and update
// the stored ones whose values differ (an unconditional ON CONFLICT DO
// UPDATE would rewrite every unchanged row). Temp tables are analyzed once
// filled: autovacuum never sees them.
func customerStatements() []string {
	return []string{
		`CREATE TEMP TABLE t_cust ON COMMIT DROP AS
		SELECT a.cust_key COLLATE "default" AS cust_key, a.first_row, a.code, a.name, a.vat,
			c.id, c.id IS NOT NULL AS existed, false AS changed FROM (
			SELECT ` + cKey("cust_key") + ` AS cust_key, min(row_num) AS first_row, ` + firstValue("code") + ` AS code,
				coalesce(` + lastNonBlank("name") + `, '') AS name,
				coalesce(` + lastNonBlank("vat_number") + `, '') AS vat
			` + applyRows + ` GROUP BY 1) a
		LEFT JOIN customers c ON c.tenant_id = @tenant_id AND lower(c.code) = a.cust_key COLLATE "default"`,
		`ANALYZE t_cust`,
		// The ids of new customers go to a table of their own: an UPDATE of
		// t_cust would rewrite every row of it.
		`CREATE TEMP TABLE t_cust_new (cust_key text, id bigint) ON COMMIT DROP`,
		`WITH ins AS (
			INSERT INTO customers (tenant_id, code, name, vat_number)
			SELECT @tenant_id, code, name, vat FROM t_cust WHERE id IS NULL ORDER BY first_row
			RETURNING id, lower(code) AS k)
		INSERT INTO t_cust_new SELECT k, id FROM ins`,
		`ANALYZE t_cust_new`,
		`WITH upd AS (
			UPDATE customers c SET name = CASE WHEN t.name <> '' THEN t.name ELSE c.name END,
				vat_number = CASE WHEN t.vat <> '' THEN t.vat ELSE c.vat_number END, updated_at = now()
			FROM t_cust t WHERE t.existed AND c.id = t.id
				AND ((t.name <> '' AND t.name <> c.name) OR (t.vat <> '' AND t.vat <> c.vat_number))
			RETURNING c.id)
		UPDATE t_cust t SET changed = true FROM upd WHERE t.id = upd.id`,
	}
}

// child describes one kind of child row (addresses or contacts).
type child struct {
	tag        string   // temp table t_<tag>
	table      string   // addresses, contacts
	keyCol     string   // staged identity, folded
	identCol   string   // staged identity as written
	identField string   // the table's identity column
	fields     []string // "staged_column:table_column" pairs
	defaultCol string   // staged default flag
}

func children() []child {
	return []child{
		{tag: "addr", table: "addresses", keyCol: "addr_key", identCol: "addr_code", identField: "code", defaultCol: "addr_default",
			fields: []string{"addr_name:name", "address:address", "city:city", "postal_code:postal_code", "state:state", "country:country"}},
		{tag: "contact", table: "contacts", keyCol: "contact_key", identCol: "contact_name", identField: "name", defaultCol: "contact_default",
			fields: []string{"phone:phone", "email:email"}},
	}
}

// aggregate is the query of k's rows grouped per customer and identity,
// for the customers of join (a join of the staged rows r with a table of
// customer ids, aliased c): the join comes first, so that the groups come
// out in customer order for the window functions and the inserts after.
func (k child) aggregate(join string) string {
	var aggs []string
	for _, f := range k.fields {
		staged, col, _ := strings.Cut(f, ":")
		aggs = append(aggs, lastNonBlank(staged)+" AS "+col)
	}
	return `SELECT c.id AS customer_id, ` + cKey(k.keyCol) + ` AS k, min(row_num) AS first_row,
			` + firstValue(k.identCol) + ` AS ident, ` + strings.Join(aggs, ", ") + `,
			max(row_num) FILTER (WHERE ` + k.defaultCol + `) AS default_row
		FROM import_rows r ` + join + ` WHERE r.import_id = @import_id AND NOT r.red
			AND NOT EXISTS (SELECT 1 FROM import_skips s WHERE s.import_id = r.import_id AND s.row_num = r.row_num)
			AND ` + k.keyCol + ` IS NOT NULL
		GROUP BY 1, 2`
}

// insertForNew inserts the children of new customers straight from the
// staged rows, with their final default: the file's (the last row marking
// one), else the customer's first child. They need no temp table: a new
// customer's children are all new, and nothing after reads them. Customer
// by customer, a customer's children in file order: index entries and
// foreign-key look-ups come in key order, and ids in file order.
func (k child) insertForNew() string {
	var cols, vals []string
	for _, f := range k.fields {
		_, col, _ := strings.Cut(f, ":")
		cols = append(cols, col)
		vals = append(vals, "coalesce(a."+col+", '')")
	}
	return `INSERT INTO ` + k.table + ` (customer_id, ` + k.identField + `, ` + strings.Join(cols, ", ") + `, is_default)
		SELECT a.customer_id, a.ident, ` + strings.Join(vals, ", ") + `,
			(a.default_row IS NOT NULL AND a.default_row = max(a.default_row) OVER w)
				OR (max(a.default_row) OVER w IS NULL AND a.first_row = min(a.first_row) OVER w)
		FROM (` + k.aggregate("JOIN t_cust_new c ON c.cust_key = r.cust_key") + `) a
		WINDOW w AS (PARTITION BY a.customer_id)
		ORDER BY a.customer_id, a.first_row`
}

// storedStatements upsert the children of stored customers through a temp
// table t_<tag>: insert what is new, update only what differs, move
// defaults (unset before set: the schema allows one default), give a
// customer that ends with children but no default its first as default,
// and mark the customers changed. Defaults are decided before anything is
// written, so that a new child is inserted with its final is_default: the
// file's default (the last row marking one) moves the stored default away
// first; a new child is inserted as default when it is the file's default,
// or when its customer has no child stored, none marked, and it is the
// first.
func (k child) storedStatements() []string {
	tt := "t_" + k.tag
	var insCols, insVals, sets, differs []string
	for _, f := range k.fields {
		_, col, _ := strings.Cut(f, ":")
		insCols = append(insCols, col)
		insVals = append(insVals, "coalesce("+col+", '')")
		sets = append(sets, col+" = coalesce(t."+col+", x."+col+")")
		differs = append(differs, "(t."+col+" IS NOT NULL AND t."+col+" <> x."+col+")")
	}
	return []string{
		`CREATE TEMP TABLE ` + tt + ` ON COMMIT DROP AS
		SELECT a.*, x.id, x.id IS NOT NULL AS existed,
			a.default_row IS NOT NULL AND a.default_row = max(a.default_row) OVER w AS is_def,
			x.id IS NULL AND max(a.default_row) OVER w IS NULL
				AND a.first_row = min(a.first_row) FILTER (WHERE x.id IS NULL) OVER w
				AND NOT EXISTS (SELECT 1 FROM ` + k.table + ` z WHERE z.customer_id = a.customer_id) AS first_new,
			false AS changed
		FROM (` + k.aggregate("JOIN t_cust c ON c.cust_key = r.cust_key AND c.existed") + `) a
		LEFT JOIN ` + k.table + ` x ON x.customer_id = a.customer_id AND lower(x.` + k.identField + `) = a.k COLLATE "default"
		WINDOW w AS (PARTITION BY a.customer_id)`,
		`ANALYZE ` + tt,
		// A stored default that the file's default replaces is unset first.
		`WITH un AS (
			UPDATE ` + k.table + ` x SET is_default = false, updated_at = now() FROM ` + tt + ` d
			WHERE d.is_def AND x.customer_id = d.customer_id AND x.is_default AND x.id IS DISTINCT FROM d.id
			RETURNING x.customer_id)
		UPDATE t_cust t SET changed = true FROM un WHERE t.id = un.customer_id`,
		`INSERT INTO ` + k.table + ` (customer_id, ` + k.identField + `, ` + strings.Join(insCols, ", ") + `, is_default)
		SELECT customer_id, ident, ` + strings.Join(insVals, ", ") + `, is_def OR first_new FROM ` + tt + `
		WHERE NOT existed ORDER BY customer_id, first_row`,
		`WITH upd AS (
			UPDATE ` + k.table + ` x SET ` + strings.Join(sets, ", ") + `, updated_at = now()
			FROM ` + tt + ` t WHERE t.existed AND x.id = t.id AND (` + strings.Join(differs, " OR ") + `)
			RETURNING x.id)
		UPDATE ` + tt + ` t SET changed = true FROM upd WHERE t.id = upd.id`,
		// Marking a stored child default moves the customer's default (from
		// none, when none was stored): the customer is changed (SPEC §4).
		`WITH def AS (
			UPDATE ` + k.table + ` x SET is_default = true, updated_at = now() FROM ` + tt + ` t
			WHERE t.is_def AND t.existed AND x.id = t.id AND NOT x.is_default
			RETURNING x.customer_id)
		UPDATE t_cust t SET changed = true FROM def WHERE t.id = def.customer_id`,
		// A stored customer that ends with children but no default (none
		// stored, none marked) gets its first as default.
		`UPDATE ` + k.table + ` x SET is_default = true FROM (
			SELECT DISTINCT ON (y.customer_id) y.id FROM ` + k.table + ` y
			WHERE y.customer_id IN (SELECT customer_id FROM ` + tt + `)
				AND NOT EXISTS (SELECT 1 FROM ` + k.table + ` z WHERE z.customer_id = y.customer_id AND z.is_default)
			ORDER BY y.customer_id, y.id) f
		WHERE x.id = f.id`,
		`UPDATE t_cust t SET changed = true FROM ` + tt + ` c
		WHERE c.customer_id = t.id AND (NOT c.existed OR c.changed)`,
	}
}

// touchChanged marks the updated_at of stored customers the import changed.
const touchChanged = `UPDATE customers c SET updated_at = now() FROM t_cust t
	WHERE t.id = c.id AND t.existed AND t.changed AND c.updated_at < now()`

// applySettings are the confirm transaction's own: its aggregates sort a
// whole import, which would spill to disk at the default 4 MB; and a
// parallel plan would pass every aggregated row between processes (the
// Gather Merge cost more than the aggregate it parallelized) on a worker
// whose cores are busy anyway. One runs at a time per tenant.
var applySettings = []string{`SET LOCAL work_mem = '128MB'`, `SET LOCAL max_parallel_workers_per_gather = 0`}

// apply runs the confirm of import id inside tx and returns the summary of
// what it did, on top of the validated row counts in base.
func apply(ctx context.Context, tx pgx.Tx, id string, tenantID int64, base jobs.Summary) (jobs.Summary, error) {
	args := pgx.NamedArgs{"import_id": id, "tenant_id": tenantID}
	exec := func(qs ...string) (int64, error) {
		var n int64
		for _, q := range qs {
			tag, err := tx.Exec(ctx, q, args)
			if err != nil {
				return 0, fmt.Errorf("apply: %w", err)
			}
			n += tag.RowsAffected()
		}
		return n, nil
	}
	if _, err := exec(append(applySettings, customerStatements()...)...); err != nil {
		return base, err
	}
	s := base
	err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE NOT existed), count(*) FILTER (WHERE existed) FROM t_cust`).
		Scan(&s.CustomersNew, &s.CustomersUnchanged)
	if err != nil {
		return base, fmt.Errorf("apply counts: %w", err)
	}
	stored := s.CustomersUnchanged > 0
	newChildren := map[string]int64{}
	for _, k := range children() {
		if newChildren[k.tag], err = exec(k.insertForNew()); err != nil {
			return base, err
		}
		if stored {
			if _, err := exec(k.storedStatements()...); err != nil {
				return base, err
			}
		}
	}
	s.AddressesNew, s.ContactsNew = int(newChildren["addr"]), int(newChildren["contact"])
	s.AddressesUpdated, s.ContactsUpdated, s.CustomersUpdated = 0, 0, 0
	if stored {
		if _, err := exec(touchChanged); err != nil {
			return base, err
		}
		var an, cn int
		err := tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM t_cust WHERE existed AND changed),
			(SELECT count(*) FROM t_addr WHERE NOT existed), (SELECT count(*) FROM t_addr WHERE existed AND changed),
			(SELECT count(*) FROM t_contact WHERE NOT existed), (SELECT count(*) FROM t_contact WHERE existed AND changed)`).
			Scan(&s.CustomersUpdated, &an, &s.AddressesUpdated, &cn, &s.ContactsUpdated)
		if err != nil {
			return base, fmt.Errorf("apply counts: %w", err)
		}
		s.CustomersUnchanged -= s.CustomersUpdated
		s.AddressesNew += an
		s.ContactsNew += cn
	}
	err = tx.QueryRow(ctx, `SELECT (SELECT count(*) `+applyRows+`), (SELECT count(*) FROM import_skips WHERE import_id = @import_id)`,
		args).Scan(&s.RowsApplied, &s.RowsSkipped)
	if err != nil {
		return base, fmt.Errorf("apply counts: %w", err)
	}
	return s, nil
}
