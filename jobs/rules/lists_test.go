package rules

import (
	"slices"
	"strings"
	"testing"
)

func TestYesNoWordsAreRead(t *testing.T) {
	words := flagWords()
	for _, lang := range []string{"fr", "en", "pt"} {
		yes, no := YesNo(lang)
		if v, ok := words[foldWords(yes)]; !ok || !v {
			t.Errorf("%s: %q is not read as yes", lang, yes)
		}
		if v, ok := words[foldWords(no)]; !ok || v {
			t.Errorf("%s: %q is not read as no", lang, no)
		}
	}
}

func TestCountriesAreAcceptedCodes(t *testing.T) {
	table := newCountryTable()
	for _, lang := range []string{"fr", "en", "pt"} {
		cs := Countries(lang)
		if len(cs) != len(table.codes) {
			t.Fatalf("%s: %d countries, the table has %d codes", lang, len(cs), len(table.codes))
		}
		if !slices.IsSortedFunc(cs, func(a, b Country) int { return strings.Compare(a.Code, b.Code) }) {
			t.Errorf("%s: not sorted by code", lang)
		}
		for _, c := range cs {
			if code, converted, ok := table.resolve(c.Code); !ok || converted || code != c.Code {
				t.Errorf("%s: %s is not accepted as a code", lang, c.Code)
			}
			if c.Name == "" {
				continue
			}
			if code, _, ok := table.resolve(c.Name); ok && code != c.Code {
				t.Errorf("%s: the name %q of %s converts to %s", lang, c.Name, c.Code, code)
			}
		}
	}
	names := map[string]string{"fr": "Allemagne", "en": "Germany", "pt": "Alemanha"}
	for lang, want := range names {
		for _, c := range Countries(lang) {
			if c.Code == "DE" && c.Name != want {
				t.Errorf("%s: DE is %q, want %q", lang, c.Name, want)
			}
		}
	}
}
