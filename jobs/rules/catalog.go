package rules

import (
	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// catalog holds, for one Normalizer or Validator, what the sheet and warning
// packages compute on each call (field names, lengths, column letters, code
// severities), so that the per-row path does not rebuild their tables.
type catalog struct {
	name     [sheet.NumFields]string
	maxLen   [sheet.NumFields]int
	letter   [sheet.NumFields]string
	severity map[warning.Code]warning.Severity
	// addr and contact are what the rules of addresses and of contacts
	// differ by (see childRules).
	addr, contact childKind
}

// childKind is what the rules of addresses and of contacts differ by.
type childKind struct {
	ident, flag                       sheet.Field // identity and default columns
	details                           []sheet.Field
	repeated, exists, multipleDefault warning.Code
	storedFlag                        uint8 // the storedState flag: the stored customer has children of the kind
	// links returns where c's entries of the kind start and its first row
	// marking a default; index, the customer's index of its entries; def,
	// the stored customer's default of the kind.
	links func(c *customer) (head *uint32, defRow *int32)
	index func(m *customerMore) *map[uint64]uint32
	def   func(ss *storedState) *defaultTrack
}

// newCatalog reads the tables once; h gives the file's column letters (nil:
// the template's).
func newCatalog(h *sheet.Header) *catalog {
	ad, cd := addressDetails(), contactDetails()
	c := &catalog{severity: make(map[warning.Code]warning.Severity),
		addr: childKind{ident: sheet.AddressCode, flag: sheet.AddressIsDefault, details: ad[:],
			repeated: warning.AddressRepeated, exists: warning.AddressExists, multipleDefault: warning.MultipleDefaultAddresses,
			storedFlag: hasAddrs,
			links:      func(c *customer) (*uint32, *int32) { return &c.addrs, &c.addrDefRow },
			index:      func(m *customerMore) *map[uint64]uint32 { return &m.addrIdx },
			def:        func(ss *storedState) *defaultTrack { return &ss.addrDef }},
		contact: childKind{ident: sheet.ContactName, flag: sheet.ContactIsDefault, details: cd[:],
			repeated: warning.ContactRepeated, exists: warning.ContactExists, multipleDefault: warning.MultipleDefaultContacts,
			storedFlag: hasContact,
			links:      func(c *customer) (*uint32, *int32) { return &c.contacts, &c.contactDefRow },
			index:      func(m *customerMore) *map[uint64]uint32 { return &m.contactIdx },
			def:        func(ss *storedState) *defaultTrack { return &ss.contactDef }},
	}
	for f := sheet.Field(0); f < sheet.NumFields; f++ {
		c.name[f], c.maxLen[f], c.letter[f] = f.Name(), f.MaxLen(), f.TemplateLetter()
		if h != nil {
			c.letter[f] = h.Letter(f)
		}
	}
	for _, e := range warning.Catalog() {
		c.severity[e.Code] = e.Severity
	}
	return c
}

// red reports whether ws holds a red code.
func (c *catalog) red(ws []warning.Warning) bool {
	for i := range ws {
		if c.severity[ws[i].Code] == warning.SeverityError {
			return true
		}
	}
	return false
}

// class returns the class of a row from all its warnings.
func (c *catalog) class(ws []warning.Warning) uint32 {
	class := classOK
	for i := range ws {
		switch c.severity[ws[i].Code] {
		case warning.SeverityError:
			return classError
		case warning.SeverityWarning:
			class = classWarning
		}
	}
	return class
}
