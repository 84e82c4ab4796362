package rules

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// countryTable resolves what a user writes in the country column: an
// assigned ISO 3166-1 alpha-2 code in any case, the alias UK, or a country
// name in French, English or Portuguese.
type countryTable struct {
	codes map[string]bool   // assigned alpha-2 codes, upper case
	names map[string]string // foldWords(name) → alpha-2 code
}

// assignedCountries lists the 249 officially assigned ISO 3166-1 alpha-2
// codes. User-assigned codes (AA, QM–QZ, XA–XZ such as XK, ZZ) and the
// exceptionally reserved ones (EU, UN, EZ, UK, AC, CP, DG, EA, FX, IC, TA)
// are not countries here: SPEC §4 accepts assigned codes only, UK being an
// alias of GB handled on its own.
func assignedCountries() string {
	return `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER
ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE
IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA
MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR
SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU
WF WS YE YT ZA ZM ZW`
}

// countryNameLanguages are the languages whose CLDR country names convert:
// the template's three, with the European Portuguese and British English
// spellings ("Irão", "Chéquia", "US Virgin Islands") that the base locales
// spell differently.
func countryNameLanguages() []language.Tag {
	return []language.Tag{language.French, language.English, language.BritishEnglish,
		language.Portuguese, language.EuropeanPortuguese}
}

// newCountryTable builds the tables from the code list and the CLDR names
// that golang.org/x/text carries. A name that folds to an alpha-3 code is
// left out, so that alpha-3 codes stay invalid whatever CLDR says.
func newCountryTable() countryTable {
	t := countryTable{codes: make(map[string]bool, 250), names: make(map[string]string, 700)}
	codes := strings.Fields(assignedCountries())
	alpha3 := make(map[string]bool, len(codes))
	regions := make([]language.Region, 0, len(codes))
	for _, c := range codes {
		t.codes[c] = true
		r, err := language.ParseRegion(c)
		if err != nil {
			continue // not in this CLDR version: the code stays valid, without names
		}
		regions = append(regions, r)
		alpha3[strings.ToLower(r.ISO3())] = true
	}
	for _, tag := range countryNameLanguages() {
		namer := display.Regions(tag)
		for _, r := range regions {
			name := foldWords(namer.Name(r))
			if name == "" || alpha3[name] {
				continue
			}
			if _, dup := t.names[name]; !dup {
				t.names[name] = r.String()
			}
		}
	}
	return t
}

// resolve returns the alpha-2 code for v (already trimmed); converted is true
// when v was a name rather than a code or the UK alias; ok is false when v is
// none of them.
func (t countryTable) resolve(v string) (code string, converted, ok bool) {
	if len(v) == 2 {
		up := strings.ToUpper(v)
		if up == "UK" {
			return "GB", false, true
		}
		if t.codes[up] {
			return up, false, true
		}
		return "", false, false
	}
	if code, ok := t.names[foldWords(v)]; ok {
		return code, true, true
	}
	return "", false, false
}
