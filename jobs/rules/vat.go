package rules

import (
	"regexp"
	"strings"
	"unicode"
)

// vatTable holds the compiled VAT shapes by country prefix.
type vatTable map[string]*regexp.Regexp

// vatShapes gives, for each known prefix, the shape of what follows it once
// spaces, dots and dashes are removed and letters upper-cased. The EU member
// states follow the European Commission's VIES list "VAT number format"
// (ec.europa.eu/taxation_customs/vies, FAQ "What is the structure of a VAT
// number?"), Greece under EL as VIES writes it; GB is HMRC's (9 digits, 12
// for a branch, GD/HA for government departments and health authorities),
// CH the UID with its optional MWST/TVA/IVA suffix, NO the organisation
// number with its optional MVA suffix. Only length and digits/letters are
// checked, never check digits (SPEC §4).
func vatShapes() map[string]string {
	return map[string]string{
		"AT": `U[0-9]{8}`,
		"BE": `[01][0-9]{9}`,
		"BG": `[0-9]{9,10}`,
		"CY": `[0-9]{8}[A-Z]`,
		"CZ": `[0-9]{8,10}`,
		"DE": `[0-9]{9}`,
		"DK": `[0-9]{8}`,
		"EE": `[0-9]{9}`,
		"EL": `[0-9]{9}`,
		"ES": `[0-9A-Z][0-9]{7}[0-9A-Z]`,
		"FI": `[0-9]{8}`,
		"FR": `[0-9A-Z]{2}[0-9]{9}`,
		"HR": `[0-9]{11}`,
		"HU": `[0-9]{8}`,
		"IE": `[0-9][0-9A-Z+*][0-9]{5}[A-Z]{1,2}`,
		"IT": `[0-9]{11}`,
		"LT": `[0-9]{9}|[0-9]{12}`,
		"LU": `[0-9]{8}`,
		"LV": `[0-9]{11}`,
		"MT": `[0-9]{8}`,
		"NL": `[0-9]{9}B[0-9]{2}`,
		"PL": `[0-9]{10}`,
		"PT": `[0-9]{9}`,
		"RO": `[0-9]{2,10}`,
		"SE": `[0-9]{12}`,
		"SI": `[0-9]{8}`,
		"SK": `[0-9]{10}`,
		"GB": `[0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3}`,
		"CH": `E[0-9]{9}(?:MWST|TVA|IVA)?`,
		"NO": `[0-9]{9}(?:MVA)?`,
	}
}

// newVATTable compiles vatShapes, anchored.
func newVATTable() vatTable {
	t := make(vatTable, len(vatShapes()))
	for prefix, shape := range vatShapes() {
		t[prefix] = regexp.MustCompile(`^(?:` + shape + `)$`)
	}
	return t
}

// suspect reports whether vat starts with a known country prefix and does not
// fit that country's shape; prefix is the country prefix found. A VAT number
// without a two-letter prefix, or with a prefix not in the table (GR, XI, US…),
// is not checked.
func (t vatTable) suspect(vat string) (prefix string, suspect bool) {
	if vat == "" {
		return "", false
	}
	compact := strings.Map(func(r rune) rune {
		if r == '.' || unicode.Is(unicode.Pd, r) || unicode.IsSpace(r) { // Pd: -, ‐, –, —
			return -1
		}
		return unicode.ToUpper(r)
	}, vat)
	if len(compact) < 2 || !isASCIIUpper(compact[0]) || !isASCIIUpper(compact[1]) {
		return "", false
	}
	prefix = compact[:2]
	re, ok := t[prefix]
	if !ok {
		return "", false
	}
	return prefix, !re.MatchString(compact[2:])
}

func isASCIIUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
