package api

import (
	"net/http"
	"strings"

	"intake/jobs"
)

// customerView makes the lists of a customer JSON arrays even when empty.
func customerView(c *jobs.Customer) *jobs.Customer {
	if c.Addresses == nil {
		c.Addresses = []jobs.CustomerAddress{}
	}
	if c.Contacts == nil {
		c.Contacts = []jobs.CustomerContact{}
	}
	return c
}

// listCustomers handles GET /v1/customers: the tenant's customers by code,
// ignoring case. The cursor holds the lower-cased code of the last customer,
// which is the store's sort key.
func (s *server) listCustomers(w http.ResponseWriter, r *http.Request, t jobs.Tenant) error {
	limit, err := pageLimit(r, 50, 200)
	if err != nil {
		return err
	}
	var c struct {
		Code string `json:"c"`
	}
	if _, err := decodeCursor(r, &c); err != nil {
		return err
	}
	cs, err := s.svc.Customers(r.Context(), t.ID, c.Code, limit+1)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, paginate(cs, limit, customerView, func(cu *jobs.Customer) any {
		c.Code = strings.ToLower(cu.Code)
		return c
	}))
	return nil
}

// getCustomer handles GET /v1/customers/{code}; the code matches ignoring case.
func (s *server) getCustomer(w http.ResponseWriter, r *http.Request, t jobs.Tenant) error {
	c, err := s.svc.Customer(r.Context(), t.ID, r.PathValue("code"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, customerView(c))
	return nil
}
