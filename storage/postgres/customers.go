package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"intake/jobs"
)

const customerSelect = `SELECT c.code, c.name, c.vat_number, c.created_at, c.updated_at,
	coalesce((SELECT json_agg(json_build_object('code', a.code, 'name', a.name, 'address', a.address,
		'city', a.city, 'postal_code', a.postal_code, 'state', a.state, 'country', a.country,
		'is_default', a.is_default) ORDER BY a.id) FROM addresses a WHERE a.customer_id = c.id), '[]'),
	coalesce((SELECT json_agg(json_build_object('name', k.name, 'phone', k.phone, 'email', k.email,
		'is_default', k.is_default) ORDER BY k.id) FROM contacts k WHERE k.customer_id = c.id), '[]')
	FROM customers c`

func scanCustomer(row pgx.Row) (*jobs.Customer, error) {
	var (
		c               jobs.Customer
		addrs, contacts []byte
	)
	if err := row.Scan(&c.Code, &c.Name, &c.VATNumber, &c.CreatedAt, &c.UpdatedAt, &addrs, &contacts); err != nil {
		return nil, notFound(err)
	}
	if err := json.Unmarshal(addrs, &c.Addresses); err != nil {
		return nil, fmt.Errorf("decode addresses: %w", err)
	}
	if err := json.Unmarshal(contacts, &c.Contacts); err != nil {
		return nil, fmt.Errorf("decode contacts: %w", err)
	}
	return &c, nil
}

// Customers returns up to limit of the tenant's customers ordered by code
// (case-insensitively), after the customer whose folded code is after.
func (db *DB) Customers(ctx context.Context, tenantID int64, after string, limit int) ([]*jobs.Customer, error) {
	rows, err := db.Pool.Query(ctx, customerSelect+` WHERE c.tenant_id = $1 AND lower(c.code) > $2
		ORDER BY lower(c.code) LIMIT $3`, tenantID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	defer rows.Close()
	var out []*jobs.Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Customer returns the tenant's customer with code (matched ignoring case).
func (db *DB) Customer(ctx context.Context, tenantID int64, code string) (*jobs.Customer, error) {
	return scanCustomer(db.Pool.QueryRow(ctx, customerSelect+` WHERE c.tenant_id = $1 AND lower(c.code) = lower($2)`, tenantID, code))
}
