package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"intake/jobs"
)

// keyPrefix marks Intake API keys so that they are recognisable in a secret scanner.
const keyPrefix = "ik_"

// hashKey is the stored form of an API key. Keys carry 256 random bits, so a
// plain SHA-256 (no salt, no stretching) is enough and allows a unique index.
func hashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// CreateAPIKey creates a key for the tenant named name, creating the tenant
// if new, and returns the key. Only its hash is stored.
func (db *DB) CreateAPIKey(ctx context.Context, name string) (jobs.Tenant, string, error) {
	var t jobs.Tenant
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return t, "", err
	}
	key := keyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	err := db.Pool.QueryRow(ctx, `
		WITH t AS (
			INSERT INTO tenants (name) VALUES ($1)
			ON CONFLICT (name) DO UPDATE SET name = excluded.name
			RETURNING id, name
		), k AS (
			INSERT INTO api_keys (tenant_id, key_hash, prefix) SELECT id, $2, $3 FROM t
		)
		SELECT id, name FROM t`, name, hashKey(key), key[:len(keyPrefix)+6]).Scan(&t.ID, &t.Name)
	if err != nil {
		return t, "", fmt.Errorf("create api key: %w", err)
	}
	return t, key, nil
}

// TenantByAPIKey returns the tenant that owns key, or jobs.ErrNotFound.
func (db *DB) TenantByAPIKey(ctx context.Context, key string) (jobs.Tenant, error) {
	var t jobs.Tenant
	err := db.Pool.QueryRow(ctx, `
		SELECT t.id, t.name FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
		WHERE k.key_hash = $1`, hashKey(key)).Scan(&t.ID, &t.Name)
	return t, notFound(err)
}
