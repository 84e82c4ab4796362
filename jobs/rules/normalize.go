package rules

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// Normalizer applies the rules that one row decides alone (SPEC §4): trimming,
// control characters, lengths, the missing customer code, countries, e-mail,
// yes/no cells, the address and contact parts, postal-code padding and the
// VAT shape. Its lookup tables are built once by NewNormalizer; Row is then
// safe to call for every row of a file from one goroutine at a time.
type Normalizer struct {
	h         *sheet.Header
	cat       *catalog
	countries countryTable
	flags     map[string]bool
	vat       vatTable
}

// NewNormalizer returns a Normalizer reading the columns of h.
func NewNormalizer(h *sheet.Header) *Normalizer {
	return &Normalizer{h: h, cat: newCatalog(h), countries: newCountryTable(), flags: flagWords(), vat: newVATTable()}
}

// addressDetails are the address fields other than the code and the flag
// (E–J): the details compared by address_repeated and address_exists.
func addressDetails() [6]sheet.Field {
	return [6]sheet.Field{sheet.AddressName, sheet.Address, sheet.City, sheet.PostalCode, sheet.State, sheet.Country}
}

// contactDetails are the contact fields other than the name and the flag.
func contactDetails() [2]sheet.Field {
	return [2]sheet.Field{sheet.ContactPhone, sheet.ContactEmail}
}

// paddedCountries are the countries whose postal codes are five digits that
// spreadsheets turn into numbers and strip of their leading zeros.
func paddedCountries() [5]string { return [5]string{"FR", "DE", "ES", "IT", "US"} }

// Row normalizes one data row and returns its record with the warnings the
// row decides alone. A row whose cells are all blank after trimming yields a
// record with no key and no warnings; the Validator ignores it, as SPEC §3
// ignores empty rows.
func (n *Normalizer) Row(row sheet.Row) (Record, []warning.Warning) {
	rec := Record{Row: row.Num}
	var val [sheet.NumFields]string
	var ws []warning.Warning
	warn := func(f sheet.Field, code warning.Code, params map[string]string) {
		ws = append(ws, warning.Warning{Row: row.Num, Column: n.cat.letter[f], Field: n.cat.name[f], Code: code,
			Value: n.h.Value(row, f), Params: params})
	}

	for f := sheet.Field(0); f < sheet.NumFields; f++ {
		raw := n.h.Value(row, f)
		if raw == "" {
			continue
		}
		if !cleanText(raw) {
			warn(f, warning.InvalidCharacters, nil)
		}
		val[f] = trimValue(raw)
		if max := n.cat.maxLen[f]; max > 0 && utf8.RuneCountInString(val[f]) > max {
			warn(f, warning.TooLong, map[string]string{"field": n.cat.name[f], "max": strconv.Itoa(max)})
		}
	}
	if val[sheet.CustomerCode] == "" {
		if rowBlank(row) {
			return rec, nil
		}
		warn(sheet.CustomerCode, warning.CodeMissing, nil)
	}
	rec.Code, rec.Key = val[sheet.CustomerCode], Fold(val[sheet.CustomerCode])
	rec.Name, rec.VAT = val[sheet.CustomerName], val[sheet.VATNumber]

	if c := val[sheet.Country]; c != "" {
		code, converted, ok := n.countries.resolve(c)
		switch {
		case !ok:
			warn(sheet.Country, warning.CountryInvalid, nil)
		case converted:
			warn(sheet.Country, warning.CountryConverted, map[string]string{"to": code})
			val[sheet.Country] = code
		default:
			val[sheet.Country] = code
		}
	}
	if p := val[sheet.PostalCode]; len(p) < 5 && allDigits(p) && n.pads(val[sheet.Country]) {
		val[sheet.PostalCode] = strings.Repeat("0", 5-len(p)) + p
		warn(sheet.PostalCode, warning.PostalCodePadded, map[string]string{"to": val[sheet.PostalCode]})
	}
	if prefix, suspect := n.vat.suspect(rec.VAT); suspect {
		warn(sheet.VATNumber, warning.VATFormatSuspect, map[string]string{"country": prefix})
	}
	if e := val[sheet.ContactEmail]; e != "" && !validEmail(e) {
		warn(sheet.ContactEmail, warning.EmailInvalid, nil)
	}
	addrDefault := n.flag(val[sheet.AddressIsDefault], func() { warn(sheet.AddressIsDefault, warning.FlagUnrecognized, nil) })
	contactDefault := n.flag(val[sheet.ContactIsDefault], func() { warn(sheet.ContactIsDefault, warning.FlagUnrecognized, nil) })

	// A yes/no cell alone is not address or contact data unless it says yes
	// (SPEC §4): "Non" or an unrecognised word with nothing else is ignored.
	addrData := addrDefault
	for _, f := range addressDetails() {
		addrData = addrData || val[f] != ""
	}
	if addrData || val[sheet.AddressCode] != "" {
		if val[sheet.AddressCode] == "" {
			warn(sheet.AddressCode, warning.AddressCodeMissing, nil)
		}
		rec.Address = &Address{Code: val[sheet.AddressCode], Name: val[sheet.AddressName], Address: val[sheet.Address],
			City: val[sheet.City], PostalCode: val[sheet.PostalCode], State: val[sheet.State], Country: val[sheet.Country],
			IsDefault: addrDefault}
	}
	contactData := contactDefault || val[sheet.ContactPhone] != "" || val[sheet.ContactEmail] != ""
	if contactData || val[sheet.ContactName] != "" {
		if val[sheet.ContactName] == "" {
			warn(sheet.ContactName, warning.ContactNameMissing, nil)
		}
		rec.Contact = &Contact{Name: val[sheet.ContactName], Phone: val[sheet.ContactPhone], Email: val[sheet.ContactEmail],
			IsDefault: contactDefault}
	}
	rec.Red = n.cat.red(ws)
	return rec, ws
}

// flag reads a yes/no cell; an unrecognised word calls unknown and reads as no.
func (n *Normalizer) flag(v string, unknown func()) bool {
	if v == "" {
		return false
	}
	yes, ok := n.flags[foldWords(v)]
	if !ok {
		unknown()
	}
	return yes
}

// pads reports whether postal codes of country are padded to five digits.
func (n *Normalizer) pads(country string) bool {
	for _, c := range paddedCountries() {
		if c == country {
			return true
		}
	}
	return false
}

// rowBlank reports whether every cell of row, in any column, is blank after
// trimming.
func rowBlank(row sheet.Row) bool {
	for _, c := range row.Cells {
		if trimValue(c) != "" {
			return false
		}
	}
	return true
}

// isTrimmed reports whether r is removed from the ends of a value: Unicode
// white space (NBSP, narrow NBSP, ideographic space…) and the invisible
// zero-width space and byte-order mark that copy-paste leaves behind.
func isTrimmed(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff'
}

// trimValue trims a cell and turns the Unicode space separators left inside
// it (NBSP and the like) into ordinary spaces, so that "12\u00a0rue" and
// "12 rue" are the same value. Tabs and line breaks inside are kept.
func trimValue(s string) string {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] < utf8.RuneSelf
	}
	if ascii {
		return strings.TrimSpace(s)
	}
	s = strings.TrimFunc(s, isTrimmed)
	for _, r := range s {
		if r != ' ' && unicode.Is(unicode.Zs, r) {
			return strings.Map(func(r rune) rune {
				if unicode.Is(unicode.Zs, r) {
					return ' '
				}
				return r
			}, s)
		}
	}
	return s
}

// cleanText reports whether s is valid UTF-8 without control characters:
// U+0000–U+001F other than tab, LF and CR, U+007F and the C1 controls
// U+0080–U+009F (SPEC §4). Invalid UTF-8 counts as control characters: it
// could not be stored.
func cleanText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || (r >= 0x80 && r <= 0x9f) {
			return false
		}
		i += size
	}
	return true
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
