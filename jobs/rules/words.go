package rules

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// foldWords is the form in which words typed by people are compared: accents
// removed, lower case, dots dropped ("R.A.S." = "RAS"), and every other run
// of punctuation, apostrophes, hyphens and spaces made one space. So
// "Royaume-Uni", "royaume uni" and "ROYAUME  UNI" match, as do "Não" and
// "nao", or "Côte d’Ivoire" and "Cote d'Ivoire".
func foldWords(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	sep := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r) || r == '.':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if sep && b.Len() > 0 {
				b.WriteByte(' ')
			}
			sep = false
			b.WriteRune(unicode.ToLower(r))
		default:
			sep = true
		}
	}
	return b.String()
}
