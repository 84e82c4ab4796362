package jobs

import "time"

// Customer is a stored customer with its addresses and contacts (SPEC §7).
type Customer struct {
	Code      string            `json:"code"`
	Name      string            `json:"name"`
	VATNumber string            `json:"vat_number"`
	Addresses []CustomerAddress `json:"addresses"`
	Contacts  []CustomerContact `json:"contacts"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// CustomerAddress is one stored address.
type CustomerAddress struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Address    string `json:"address"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
	State      string `json:"state"`
	Country    string `json:"country"`
	IsDefault  bool   `json:"is_default"`
}

// CustomerContact is one stored contact.
type CustomerContact struct {
	Name      string `json:"name"`
	Phone     string `json:"phone"`
	Email     string `json:"email"`
	IsDefault bool   `json:"is_default"`
}
