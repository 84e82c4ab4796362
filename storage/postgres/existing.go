package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"intake/jobs/rules"
)

// existing answers the rules' questions about stored customers for one tenant.
type existing struct {
	db       *DB
	tenantID int64
}

// Existing returns the rules.Existing of a tenant: one query per batch of
// keys, customers with their addresses and contacts aggregated as JSON.
func (db *DB) Existing(tenantID int64) rules.Existing {
	return &existing{db: db, tenantID: tenantID}
}

func (e *existing) Customers(ctx context.Context, keys []string) (map[string]*rules.StoredCustomer, error) {
	rows, err := e.db.Pool.Query(ctx, `
		SELECT lower(c.code), c.code, c.name, c.vat_number,
			coalesce((SELECT json_agg(json_build_object('code', a.code, 'name', a.name, 'address', a.address,
				'city', a.city, 'postal_code', a.postal_code, 'state', a.state, 'country', a.country,
				'is_default', a.is_default) ORDER BY a.id) FROM addresses a WHERE a.customer_id = c.id), '[]'),
			coalesce((SELECT json_agg(json_build_object('name', k.name, 'phone', k.phone, 'email', k.email,
				'is_default', k.is_default) ORDER BY k.id) FROM contacts k WHERE k.customer_id = c.id), '[]')
		FROM customers c WHERE c.tenant_id = $1 AND lower(c.code) = ANY($2)`, e.tenantID, keys)
	if err != nil {
		return nil, fmt.Errorf("look up customers: %w", err)
	}
	defer rows.Close()
	out := make(map[string]*rules.StoredCustomer)
	for rows.Next() {
		var (
			key            string
			c              rules.StoredCustomer
			addrs, contact []byte
		)
		if err := rows.Scan(&key, &c.Code, &c.Name, &c.VAT, &addrs, &contact); err != nil {
			return nil, fmt.Errorf("look up customers: %w", err)
		}
		if err := json.Unmarshal(addrs, &c.Addresses); err != nil {
			return nil, fmt.Errorf("decode addresses: %w", err)
		}
		if err := json.Unmarshal(contact, &c.Contacts); err != nil {
			return nil, fmt.Errorf("decode contacts: %w", err)
		}
		out[key] = &c
	}
	return out, rows.Err()
}
