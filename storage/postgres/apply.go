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
// DESC) of the non-blank values, whose ORDER BY made Postgres 15 sort every
// group of every aggregate apart: that was most of a confirm's time.
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

// applyStatements apply import @import_id of tenant @tenant_id set-based:
// aggregate the rows per customer, address and contact (later non-blank
// values win, a blank never erases), insert what is new, update only what
// differs (an unconditional ON CONFLICT DO UPDATE would rewrite every
// unchanged row), move defaults (unset before set: the schema allows one
// default), and give a customer without a default its first address /
// contact as default. Temp tables are analyzed once filled: autovacuum never
// sees them, and the planner would otherwise guess their size.
func applyStatements() []string {
	stmts := []string{
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
	stmts = append(stmts, childStatements("addr", "addresses", "addr_key", "addr_code", "code",
		[]string{"addr_name:name", "address:address", "city:city", "postal_code:postal_code", "state:state", "country:country"}, "addr_default")...)
	stmts = append(stmts, childStatements("contact", "contacts", "contact_key", "contact_name", "name",
		[]string{"phone:phone", "email:email"}, "contact_default")...)
	stmts = append(stmts, `UPDATE customers c SET updated_at = now() FROM t_cust t
		WHERE t.id = c.id AND t.existed AND t.changed AND c.updated_at < now()`)
	return stmts
}

// childStatements upsert one kind of child row (addresses or contacts) from
// the staged rows. fields are "staged_column:table_column" pairs.
//
// Defaults are decided before anything is written, so that a new child is
// inserted with its final is_default instead of being updated right after
// (an UPDATE of every new row doubled the cost of an import of new
// customers): the file's default of a customer (the last row marking one)
// moves the stored default away first; a new child is inserted as default
// when it is the file's default, or when its customer has no default at all
// — no stored child and none marked — and it is the customer's first.
func childStatements(tag, table, keyCol, identCol, identField string, fields []string, defaultCol string) []string {
	tt := "t_" + tag
	var aggs, insCols, insVals, sets, differs []string
	for _, f := range fields {
		staged, col, _ := strings.Cut(f, ":")
		aggs = append(aggs, lastNonBlank(staged)+" AS "+col)
		insCols = append(insCols, col)
		insVals = append(insVals, "coalesce("+col+", '')")
		sets = append(sets, col+" = coalesce(t."+col+", x."+col+")")
		differs = append(differs, "(t."+col+" IS NOT NULL AND t."+col+" <> x."+col+")")
	}
	return []string{
		`CREATE TEMP TABLE ` + tt + ` ON COMMIT DROP AS
		SELECT a.*, coalesce(c.id, n.id) AS customer_id, c.existed AS customer_existed, x.id, x.id IS NOT NULL AS existed,
			a.default_row IS NOT NULL AND a.default_row = max(a.default_row) OVER w AS is_def,
			x.id IS NULL AND max(a.default_row) OVER w IS NULL
				AND a.first_row = min(a.first_row) FILTER (WHERE x.id IS NULL) OVER w
				AND (NOT c.existed OR NOT EXISTS (SELECT 1 FROM ` + table + ` z WHERE z.customer_id = c.id)) AS first_new,
			false AS changed FROM (
			SELECT ` + cKey("cust_key") + ` AS cust_key, ` + cKey(keyCol) + ` AS k, min(row_num) AS first_row,
				` + firstValue(identCol) + ` AS ident, ` + strings.Join(aggs, ", ") + `,
				max(row_num) FILTER (WHERE ` + defaultCol + `) AS default_row
			` + applyRows + ` AND ` + keyCol + ` IS NOT NULL GROUP BY 1, 2) a
		JOIN t_cust c ON c.cust_key = a.cust_key
		LEFT JOIN t_cust_new n ON n.cust_key = a.cust_key
		LEFT JOIN ` + table + ` x ON x.customer_id = c.id AND lower(x.` + identField + `) = a.k COLLATE "default"
		WINDOW w AS (PARTITION BY a.cust_key)`,
		`ANALYZE ` + tt,
		// A stored default that the file's default replaces is unset first.
		`WITH un AS (
			UPDATE ` + table + ` x SET is_default = false, updated_at = now() FROM ` + tt + ` d
			WHERE d.is_def AND d.customer_existed AND x.customer_id = d.customer_id AND x.is_default
				AND x.id IS DISTINCT FROM d.id
			RETURNING x.customer_id)
		UPDATE t_cust t SET changed = true FROM un WHERE t.id = un.customer_id`,
		// New children need no id here: what follows reads only stored ones.
		// In customer order, index entries and foreign-key look-ups come in
		// key order; a customer's children still get ids in file order.
		`INSERT INTO ` + table + ` (customer_id, ` + identField + `, ` + strings.Join(insCols, ", ") + `, is_default)
		SELECT customer_id, ident, ` + strings.Join(insVals, ", ") + `, is_def OR first_new FROM ` + tt + `
		WHERE NOT existed ORDER BY customer_id, first_row`,
		`WITH upd AS (
			UPDATE ` + table + ` x SET ` + strings.Join(sets, ", ") + `, updated_at = now()
			FROM ` + tt + ` t WHERE t.existed AND x.id = t.id AND (` + strings.Join(differs, " OR ") + `)
			RETURNING x.id)
		UPDATE ` + tt + ` t SET changed = true FROM upd WHERE t.id = upd.id`,
		`UPDATE ` + table + ` x SET is_default = true, updated_at = now() FROM ` + tt + ` t
		WHERE t.is_def AND t.existed AND x.id = t.id AND NOT x.is_default`,
		// A stored customer that ends with children but no default (none
		// stored, none marked) gets its first as default.
		`UPDATE ` + table + ` x SET is_default = true FROM (
			SELECT DISTINCT ON (y.customer_id) y.id FROM ` + table + ` y
			WHERE y.customer_id IN (SELECT customer_id FROM ` + tt + ` WHERE customer_existed)
				AND NOT EXISTS (SELECT 1 FROM ` + table + ` z WHERE z.customer_id = y.customer_id AND z.is_default)
			ORDER BY y.customer_id, y.id) f
		WHERE x.id = f.id`,
		`UPDATE t_cust t SET changed = true FROM ` + tt + ` c
		WHERE c.customer_id = t.id AND t.existed AND (NOT c.existed OR c.changed)`,
	}
}

// applyCounts reads what the statements did.
const applyCounts = `SELECT
	(SELECT count(*) FROM t_cust WHERE NOT existed),
	(SELECT count(*) FROM t_cust WHERE existed AND changed),
	(SELECT count(*) FROM t_cust WHERE existed AND NOT changed),
	(SELECT count(*) FROM t_addr WHERE NOT existed),
	(SELECT count(*) FROM t_addr WHERE existed AND changed),
	(SELECT count(*) FROM t_contact WHERE NOT existed),
	(SELECT count(*) FROM t_contact WHERE existed AND changed),
	(SELECT count(*) ` + applyRows + `),
	(SELECT count(*) FROM import_skips WHERE import_id = @import_id)`

// apply runs the confirm of import id inside tx and returns the summary of
// what it did, on top of the validated row counts in base.
func apply(ctx context.Context, tx pgx.Tx, id string, tenantID int64, base jobs.Summary) (jobs.Summary, error) {
	args := pgx.NamedArgs{"import_id": id, "tenant_id": tenantID}
	// The aggregates of a large import would spill to disk at the default
	// 4 MB; this transaction runs one at a time per tenant.
	if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
		return base, fmt.Errorf("apply: %w", err)
	}
	for _, q := range applyStatements() {
		if _, err := tx.Exec(ctx, q, args); err != nil {
			return base, fmt.Errorf("apply: %w", err)
		}
	}
	s := base
	err := tx.QueryRow(ctx, applyCounts, args).Scan(&s.CustomersNew, &s.CustomersUpdated, &s.CustomersUnchanged,
		&s.AddressesNew, &s.AddressesUpdated, &s.ContactsNew, &s.ContactsUpdated, &s.RowsApplied, &s.RowsSkipped)
	if err != nil {
		return base, fmt.Errorf("apply counts: %w", err)
	}
	return s, nil
}
