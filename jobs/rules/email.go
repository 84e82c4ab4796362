package rules

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// validEmail reports whether s is one bare address user@domain.tld: what
// net/mail accepts, without a display name, comment, quoting, spaces or a
// list, and with a domain of at least two dot-separated labels whose last
// is not numeric.
func validEmail(s string) bool {
	if strings.ContainsAny(s, ",;<>()\"[]\\") || strings.Count(s, "@") != 1 {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	domain := s[strings.IndexByte(s, '@')+1:]
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if utf8.RuneCountInString(tld) < 2 || allDigits(tld) {
		return false
	}
	return true
}
