package rules

import "strings"

// Fold is the identity form of a customer code, address code or contact name:
// trimmed and lower-cased, so that identities match ignoring case (SPEC §4).
// Postgres enforces the same uniqueness with unique indexes on lower(...).
func Fold(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}
