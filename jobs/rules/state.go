package rules

import (
	"hash/maphash"

	"intake/jobs/sheet"
)

// hasher turns values into the 64-bit fingerprints the cross-row state keeps
// instead of strings. The seed is made per Validator, so fingerprints mean
// nothing outside one validation run. Blank is 0; a value never is.
type hasher struct{ seed maphash.Seed }

func (h hasher) sum(s string) uint64 {
	if s == "" {
		return 0
	}
	if x := maphash.String(h.seed, s); x != 0 {
		return x
	}
	return 1
}

// Row classes, as counted by the summary.
const (
	classOK uint32 = iota
	classWarning
	classError
)

// rowClass packs a row number with its class; rows fit in 30 bits.
func rowClass(row int, class uint32) uint32 { return uint32(row)<<2 | class }

// customer flags.
const (
	custExists uint8 = 1 << iota // the customer is stored
	custFed                      // a non-red row of the customer was seen
)

// customer is the cross-row state of one customer code: fingerprints and
// row numbers, never rows. The Validator keys it by the folded code.
type customer struct {
	name, vat       uint64 // fingerprints of the winning values; 0 = none yet
	nameRow, vatRow int32  // the row that set the winning value
	first           uint32 // rowClass of the first non-red row
	addrDefRow      int32  // first row marking a default address; 0 = none
	contactDefRow   int32  // first row marking a default contact; 0 = none
	flags           uint8
	addrs           []addrEntry
	contacts        []contactEntry
	more            *customerMore // nil for most customers
}

// customerMore holds what few customers need.
type customerMore struct {
	// pending lists, as rowClass, the rows without a name seen while no
	// non-red row had named the customer; it is dropped once one does.
	pending []uint32
	// stored is kept only for a stored customer that the file feeds.
	stored *storedState
	// addrIdx and contactIdx index the entries of customers with many
	// addresses or contacts, which a linear search would make quadratic.
	addrIdx, contactIdx map[uint64]int32
}

// storedState is what customer_exists needs about a stored customer: the
// stored spelling of its code, old and new values of the customer fields the
// file changes, and the default address and contact before and after.
type storedState struct {
	code                 string
	nameChanged          bool
	vatChanged           bool
	oldName, newName     string
	oldVAT, newVAT       string
	addrDef, contactDef  defaultTrack
	hasAddrs, hasContact bool // the stored customer has addresses / contacts
}

// defaultTrack follows which address (or contact) is the default.
type defaultTrack struct {
	storedKey uint64 // fingerprint of the folded stored default; 0 = none
	stored    string
	markedKey uint64 // the last default marked in the file; 0 = none
	marked    string
	firstKey  uint64 // the first one the file adds when none is stored
	first     string
}

// final returns the default after the import: the last one marked, else the
// stored one, else the first one added (SPEC §4: a customer that ends with
// addresses but no default gets its first one).
func (d *defaultTrack) final() (uint64, string) {
	switch {
	case d.markedKey != 0:
		return d.markedKey, d.marked
	case d.storedKey != 0:
		return d.storedKey, d.stored
	}
	return d.firstKey, d.first
}

// entry flags.
const (
	entryStored  uint8 = 1 << iota // the address or contact is stored
	entryUpdated                   // the file's values differ from the stored ones
)

// addrEntry is one address code of a customer: the fingerprint of its folded
// code and, per detail field (addressDetails), the fingerprint of the value
// that wins so far with the row that gave it. Per-field fingerprints are what
// let a blank never count as a difference.
type addrEntry struct {
	key    uint64
	val    [6]uint64
	valRow [6]int32
	row    int32 // first row of this address
	flags  uint8
}

// contactEntry is addrEntry for a contact, keyed by its folded name.
type contactEntry struct {
	key    uint64
	val    [2]uint64
	valRow [2]int32
	row    int32
	flags  uint8
}

// indexAfter is the number of entries beyond which a customer's entries get a
// map index.
const indexAfter = 16

// addr returns the entry of key, or nil.
func (c *customer) addr(key uint64) *addrEntry {
	if c.more != nil && c.more.addrIdx != nil {
		if i, ok := c.more.addrIdx[key]; ok {
			return &c.addrs[i]
		}
		return nil
	}
	for i := range c.addrs {
		if c.addrs[i].key == key {
			return &c.addrs[i]
		}
	}
	return nil
}

// addAddr appends a new entry and returns it.
func (c *customer) addAddr(key uint64, row int) *addrEntry {
	c.addrs = append(c.addrs, addrEntry{key: key, row: int32(row)})
	if len(c.addrs) > indexAfter {
		m := c.extra()
		if m.addrIdx == nil {
			m.addrIdx = make(map[uint64]int32, 2*len(c.addrs))
			for i := range c.addrs {
				m.addrIdx[c.addrs[i].key] = int32(i)
			}
		}
		m.addrIdx[key] = int32(len(c.addrs) - 1)
	}
	return &c.addrs[len(c.addrs)-1]
}

// contact returns the entry of key, or nil.
func (c *customer) contact(key uint64) *contactEntry {
	if c.more != nil && c.more.contactIdx != nil {
		if i, ok := c.more.contactIdx[key]; ok {
			return &c.contacts[i]
		}
		return nil
	}
	for i := range c.contacts {
		if c.contacts[i].key == key {
			return &c.contacts[i]
		}
	}
	return nil
}

// addContact appends a new entry and returns it.
func (c *customer) addContact(key uint64, row int) *contactEntry {
	c.contacts = append(c.contacts, contactEntry{key: key, row: int32(row)})
	if len(c.contacts) > indexAfter {
		m := c.extra()
		if m.contactIdx == nil {
			m.contactIdx = make(map[uint64]int32, 2*len(c.contacts))
			for i := range c.contacts {
				m.contactIdx[c.contacts[i].key] = int32(i)
			}
		}
		m.contactIdx[key] = int32(len(c.contacts) - 1)
	}
	return &c.contacts[len(c.contacts)-1]
}

// extra returns c.more, making it.
func (c *customer) extra() *customerMore {
	if c.more == nil {
		c.more = &customerMore{}
	}
	return c.more
}

// storedData returns the stored-customer state, or nil for a new customer.
func (c *customer) storedData() *storedState {
	if c.more == nil {
		return nil
	}
	return c.more.stored
}

// addressValues returns the details of a in addressDetails order.
func addressValues(a *Address) [6]string {
	return [6]string{a.Name, a.Address, a.City, a.PostalCode, a.State, a.Country}
}

// contactValues returns the details of c in contactDetails order.
func contactValues(c *Contact) [2]string { return [2]string{c.Phone, c.Email} }

// fieldValue returns rec's value of a template field, for the old side of a
// change recalled from an earlier row.
func fieldValue(rec *Record, f sheet.Field) string {
	switch f {
	case sheet.CustomerName:
		return rec.Name
	case sheet.VATNumber:
		return rec.VAT
	}
	if a := rec.Address; a != nil {
		for i, d := range addressDetails() {
			if d == f {
				return addressValues(a)[i]
			}
		}
	}
	if c := rec.Contact; c != nil {
		for i, d := range contactDetails() {
			if d == f {
				return contactValues(c)[i]
			}
		}
	}
	return ""
}
