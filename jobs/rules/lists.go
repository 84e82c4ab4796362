package rules

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Country is one assigned ISO 3166-1 alpha-2 code with its CLDR name.
type Country struct {
	Code string
	Name string
}

// Countries returns the assigned ISO 3166-1 alpha-2 codes the country column
// accepts, sorted by code, each with its CLDR name in lang ("fr", "en" or
// "pt" — European Portuguese, as the template is written; anything else is
// English). It reads the same list and the same CLDR data as the
// Normalizer, so that the template's country list offers exactly what an
// upload accepts.
func Countries(lang string) []Country {
	tag := language.English
	switch lang {
	case "fr":
		tag = language.French
	case "pt":
		tag = language.EuropeanPortuguese
	}
	namer := display.Regions(tag)
	codes := strings.Fields(assignedCountries())
	out := make([]Country, 0, len(codes))
	for _, c := range codes {
		name := ""
		if r, err := language.ParseRegion(c); err == nil {
			name = namer.Name(r)
		}
		out = append(out, Country{Code: c, Name: name})
	}
	return out
}

// YesNo returns the words the template offers for a yes/no cell in lang:
// Oui/Non, Sim/Não, and Yes/No for English and any other value. They are
// among the words the Normalizer reads (SPEC §4; a test checks).
func YesNo(lang string) (yes, no string) {
	switch lang {
	case "fr":
		return "Oui", "Non"
	case "pt":
		return "Sim", "Não"
	}
	return "Yes", "No"
}
