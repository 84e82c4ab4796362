package rules

import (
	"context"

	"intake/jobs/warning"
)

// Address is the address part of a row, normalized.
type Address struct {
	Code       string `json:"code"`
	Name       string `json:"name,omitempty"`
	Address    string `json:"address,omitempty"`
	City       string `json:"city,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	State      string `json:"state,omitempty"`
	Country    string `json:"country,omitempty"` // ISO 3166-1 alpha-2, upper case
	// IsDefault is true when the row marks this address as the default. A
	// false value asserts nothing: a blank flag never unsets a stored default.
	IsDefault bool `json:"is_default,omitempty"`
}

// Contact is the contact part of a row, normalized.
type Contact struct {
	Name      string `json:"name"`
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
	IsDefault bool   `json:"is_default,omitempty"`
}

// Record is one data row, normalized: values trimmed (NBSP as space),
// countries as codes, postal codes padded. Blank values are "" and never erase
// stored or earlier values.
type Record struct {
	Row  int    `json:"row"`
	Code string `json:"code"` // as written (trimmed)
	// Key is the customer's identity: Code folded for case-insensitive
	// matching. Address codes and contact names match by the same folding.
	Key     string   `json:"key"`
	Name    string   `json:"name,omitempty"`
	VAT     string   `json:"vat_number,omitempty"`
	Address *Address `json:"address,omitempty"`
	Contact *Contact `json:"contact,omitempty"`
	// Red is true when the row holds a red code known when the record is
	// emitted. name_missing can only be decided at the end of the file, so a
	// record may turn red later through a warning from Finish.
	Red bool `json:"red,omitempty"`
}

// StoredCustomer is a customer as it is in the database.
type StoredCustomer struct {
	Code      string
	Name      string
	VAT       string
	Addresses []Address // IsDefault marks the stored default
	Contacts  []Contact
}

// Existing gives the rules access to stored customers. Customers returns the
// stored customers among keys (folded codes), keyed by folded code; keys that
// do not exist are absent. It is called once per batch of rows, never once
// per row.
type Existing interface {
	Customers(ctx context.Context, keys []string) (map[string]*StoredCustomer, error)
}

// Sink receives the validator's output. Record is called once per data row in
// file order, with the warnings known for it then; Late is called from Finish
// with warnings decided only at the end of the file (name_missing,
// customer_exists), in row order.
type Sink interface {
	Record(ctx context.Context, rec Record, ws []warning.Warning) error
	Late(ctx context.Context, ws []warning.Warning) error
}

// Summary counts what the file holds and what confirm would do with no rows
// skipped (SPEC §4 "Precise points", §7).
type Summary struct {
	RowsTotal          int `json:"rows_total"`
	RowsOK             int `json:"rows_ok"`
	RowsWarning        int `json:"rows_warning"`
	RowsError          int `json:"rows_error"`
	CustomersNew       int `json:"customers_new"`
	CustomersUpdated   int `json:"customers_updated"`
	CustomersUnchanged int `json:"customers_unchanged"`
	AddressesNew       int `json:"addresses_new"`
	AddressesUpdated   int `json:"addresses_updated"`
	ContactsNew        int `json:"contacts_new"`
	ContactsUpdated    int `json:"contacts_updated"`
}
