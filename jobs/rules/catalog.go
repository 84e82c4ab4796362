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
}

// newCatalog reads the tables once; h gives the file's column letters (nil:
// the template's).
func newCatalog(h *sheet.Header) *catalog {
	c := &catalog{severity: make(map[warning.Code]warning.Severity)}
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
