-- +goose Up
CREATE TABLE tenants (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- API keys are stored as the SHA-256 of the key; the key itself is shown once.
CREATE TABLE api_keys (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_hash   bytea NOT NULL UNIQUE,
    prefix     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE imports (
    id              uuid PRIMARY KEY,
    tenant_id       bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    filename        text NOT NULL,
    object_key      text NOT NULL,
    size_bytes      bigint NOT NULL,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN
                    ('queued', 'validating', 'validated', 'confirming', 'completed', 'failed', 'cancelled', 'expired')),
    rows_read       bigint NOT NULL DEFAULT 0,
    percent         int NOT NULL DEFAULT 0,
    summary         jsonb,
    error_code      text,
    error_message   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    file_deleted_at timestamptz
);
CREATE INDEX imports_tenant_created ON imports (tenant_id, created_at DESC, id DESC);
CREATE INDEX imports_status_updated ON imports (status, updated_at);

-- Normalized rows staged by validate; confirm applies them set-based.
-- *_key columns are the case-folded identities computed by jobs/rules.
CREATE TABLE import_rows (
    import_id       uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_num         int NOT NULL,
    red             boolean NOT NULL,
    cust_key        text NOT NULL,
    code            text NOT NULL,
    name            text NOT NULL,
    vat_number      text NOT NULL,
    addr_key        text,
    addr_code       text,
    addr_name       text,
    address         text,
    city            text,
    postal_code     text,
    state           text,
    country         text,
    addr_default    boolean,
    contact_key     text,
    contact_name    text,
    phone           text,
    email           text,
    contact_default boolean,
    PRIMARY KEY (import_id, row_num)
);

CREATE TABLE import_warnings (
    import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_num   int NOT NULL,
    seq       int NOT NULL,
    severity  text NOT NULL,
    code      text NOT NULL,
    col       text NOT NULL DEFAULT '',
    field     text NOT NULL DEFAULT '',
    value     text NOT NULL DEFAULT '',
    params    jsonb,
    PRIMARY KEY (import_id, row_num, seq)
);
CREATE INDEX import_warnings_severity ON import_warnings (import_id, severity, row_num);

CREATE TABLE import_skips (
    import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_num   int NOT NULL,
    PRIMARY KEY (import_id, row_num)
);

-- Codes are unique per tenant ignoring case; an address code per customer
-- ignoring case; a contact name per customer ignoring case.
CREATE TABLE customers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    code       text NOT NULL,
    name       text NOT NULL,
    vat_number text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customers_tenant_code ON customers (tenant_id, lower(code));

CREATE TABLE addresses (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    code        text NOT NULL,
    name        text NOT NULL DEFAULT '',
    address     text NOT NULL DEFAULT '',
    city        text NOT NULL DEFAULT '',
    postal_code text NOT NULL DEFAULT '',
    state       text NOT NULL DEFAULT '',
    country     text NOT NULL DEFAULT '',
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX addresses_customer_code ON addresses (customer_id, lower(code));
-- At most one default address per customer, enforced by the schema.
CREATE UNIQUE INDEX addresses_one_default ON addresses (customer_id) WHERE is_default;

CREATE TABLE contacts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name        text NOT NULL,
    phone       text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_customer_name ON contacts (customer_id, lower(name));
CREATE UNIQUE INDEX contacts_one_default ON contacts (customer_id) WHERE is_default;

-- +goose Down
DROP TABLE contacts, addresses, customers, import_skips, import_warnings, import_rows, imports, api_keys, tenants;
