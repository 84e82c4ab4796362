package postgres

// The set-based confirm as first written (commit f710265), kept as the
// oracle of TestApplyMatchesLegacy: the faster statements of apply.go must
// leave the same data and counts.

// legacyLastNonBlank is the aggregate of "a later non-blank value wins".
func legacyLastNonBlank(col string) string {
	return `(array_agg(` + col + ` ORDER BY row_num DESC) FILTER (WHERE ` + col + ` <> ''))[1]`
}

// legacyApplyStatements apply import @import_id of tenant @tenant_id set-based: aggregate the rows
// per customer, address and contact (later non-blank values win, a blank
// never erases), insert what is new, update only what differs (an
// unconditional ON CONFLICT DO UPDATE would rewrite every unchanged row),
// move defaults (unset before set: the schema allows one default), and give
// a customer without a default its first address / contact as default.
func legacyApplyStatements() []string {
	stmts := []string{
		`CREATE TEMP TABLE t_cust ON COMMIT DROP AS
		SELECT cust_key, min(row_num) AS first_row, (array_agg(code ORDER BY row_num))[1] AS code,
			coalesce(` + legacyLastNonBlank("name") + `, '') AS name,
			coalesce(` + legacyLastNonBlank("vat_number") + `, '') AS vat,
			NULL::bigint AS id, false AS existed, false AS changed
		` + applyRows + ` GROUP BY cust_key`,
		`UPDATE t_cust t SET id = c.id, existed = true FROM customers c
		WHERE c.tenant_id = @tenant_id AND lower(c.code) = t.cust_key`,
		`WITH ins AS (
			INSERT INTO customers (tenant_id, code, name, vat_number)
			SELECT @tenant_id, code, name, vat FROM t_cust WHERE id IS NULL ORDER BY first_row
			RETURNING id, lower(code) AS k)
		UPDATE t_cust t SET id = ins.id FROM ins WHERE t.cust_key = ins.k`,
		`WITH upd AS (
			UPDATE customers c SET name = CASE WHEN t.name <> '' THEN t.name ELSE c.name END,
				vat_number = CASE WHEN t.vat <> '' THEN t.vat ELSE c.vat_number END, updated_at = now()
			FROM t_cust t WHERE t.existed AND c.id = t.id
				AND ((t.name <> '' AND t.name <> c.name) OR (t.vat <> '' AND t.vat <> c.vat_number))
			RETURNING c.id)
		UPDATE t_cust t SET changed = true FROM upd WHERE t.id = upd.id`,
	}
	stmts = append(stmts, legacyChildStatements("addr", "addresses", "addr_key", "addr_code", "code",
		[]string{"addr_name:name", "address:address", "city:city", "postal_code:postal_code", "state:state", "country:country"}, "addr_default")...)
	stmts = append(stmts, legacyChildStatements("contact", "contacts", "contact_key", "contact_name", "name",
		[]string{"phone:phone", "email:email"}, "contact_default")...)
	stmts = append(stmts, `UPDATE customers c SET updated_at = now() FROM t_cust t
		WHERE t.id = c.id AND t.existed AND t.changed AND c.updated_at < now()`)
	return stmts
}

// legacyChildStatements upsert one kind of child row (addresses or contacts) from
// the staged rows. fields are "staged_column:table_column" pairs.
func legacyChildStatements(tag, table, keyCol, identCol, identField string, fields []string, defaultCol string) []string {
	tt := "t_" + tag
	var aggs, insCols, insVals, sets, differs string
	for _, f := range fields {
		var staged, col string
		for i := range f {
			if f[i] == ':' {
				staged, col = f[:i], f[i+1:]
			}
		}
		aggs += ", " + legacyLastNonBlank(staged) + " AS " + col
		insCols += ", " + col
		insVals += ", coalesce(" + col + ", '')"
		if sets != "" {
			sets += ", "
			differs += " OR "
		}
		sets += col + " = coalesce(t." + col + ", x." + col + ")"
		differs += "(t." + col + " IS NOT NULL AND t." + col + " <> x." + col + ")"
	}
	return []string{
		`CREATE TEMP TABLE ` + tt + ` ON COMMIT DROP AS
		SELECT cust_key, ` + keyCol + ` AS k, min(row_num) AS first_row, (array_agg(` + identCol + ` ORDER BY row_num))[1] AS ident` + aggs + `,
			max(row_num) FILTER (WHERE ` + defaultCol + `) AS default_row,
			NULL::bigint AS customer_id, NULL::bigint AS id, false AS existed, false AS changed
		` + applyRows + ` AND ` + keyCol + ` IS NOT NULL GROUP BY cust_key, ` + keyCol,
		`UPDATE ` + tt + ` t SET customer_id = c.id FROM t_cust c WHERE c.cust_key = t.cust_key`,
		`UPDATE ` + tt + ` t SET id = x.id, existed = true FROM ` + table + ` x
		WHERE x.customer_id = t.customer_id AND lower(x.` + identField + `) = t.k`,
		`WITH ins AS (
			INSERT INTO ` + table + ` (customer_id, ` + identField + insCols + `)
			SELECT customer_id, ident` + insVals + ` FROM ` + tt + ` WHERE id IS NULL ORDER BY first_row
			RETURNING id, customer_id, lower(` + identField + `) AS k)
		UPDATE ` + tt + ` t SET id = ins.id FROM ins WHERE t.customer_id = ins.customer_id AND t.k = ins.k`,
		`WITH upd AS (
			UPDATE ` + table + ` x SET ` + sets + `, updated_at = now()
			FROM ` + tt + ` t WHERE t.existed AND x.id = t.id AND (` + differs + `)
			RETURNING x.id)
		UPDATE ` + tt + ` t SET changed = true FROM upd WHERE t.id = upd.id`,
		// The file's default per customer: the last row that marks one.
		`CREATE TEMP TABLE ` + tt + `_def ON COMMIT DROP AS
		SELECT DISTINCT ON (customer_id) customer_id, id FROM ` + tt + `
		WHERE default_row IS NOT NULL ORDER BY customer_id, default_row DESC`,
		`WITH un AS (
			UPDATE ` + table + ` x SET is_default = false, updated_at = now() FROM ` + tt + `_def d
			WHERE x.customer_id = d.customer_id AND x.is_default AND x.id <> d.id RETURNING x.customer_id)
		UPDATE t_cust t SET changed = true FROM un WHERE t.id = un.customer_id`,
		// (Since: marking a stored child default changes its customer.)
		`WITH def AS (
			UPDATE ` + table + ` x SET is_default = true, updated_at = now() FROM ` + tt + `_def d
			WHERE x.id = d.id AND NOT x.is_default RETURNING x.customer_id)
		UPDATE t_cust t SET changed = true FROM def WHERE t.id = def.customer_id`,
		// A customer that ends with children but no default gets its first.
		`UPDATE ` + table + ` x SET is_default = true FROM (
			SELECT DISTINCT ON (y.customer_id) y.id FROM ` + table + ` y
			WHERE y.customer_id IN (SELECT customer_id FROM ` + tt + `)
				AND NOT EXISTS (SELECT 1 FROM ` + table + ` z WHERE z.customer_id = y.customer_id AND z.is_default)
			ORDER BY y.customer_id, y.id) f
		WHERE x.id = f.id`,
		`UPDATE t_cust t SET changed = true FROM ` + tt + ` c
		WHERE c.customer_id = t.id AND t.existed AND (NOT c.existed OR c.changed)`,
	}
}

// legacyApplyCounts reads what the legacy statements did.
const legacyApplyCounts = `SELECT
	(SELECT count(*) FROM t_cust WHERE NOT existed),
	(SELECT count(*) FROM t_cust WHERE existed AND changed),
	(SELECT count(*) FROM t_cust WHERE existed AND NOT changed),
	(SELECT count(*) FROM t_addr WHERE NOT existed),
	(SELECT count(*) FROM t_addr WHERE existed AND changed),
	(SELECT count(*) FROM t_contact WHERE NOT existed),
	(SELECT count(*) FROM t_contact WHERE existed AND changed),
	(SELECT count(*) ` + applyRows + `),
	(SELECT count(*) FROM import_skips WHERE import_id = @import_id)`

// Exported for the external tests (postgres_test, which can use pgtest).
var (
	Apply                 = apply
	LegacyApplyStatements = legacyApplyStatements
	LegacyApplyCounts     = legacyApplyCounts
)
