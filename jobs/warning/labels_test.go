package warning_test

import (
	"testing"

	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// TestLabeledMessage wants the template's header, in the reader's language,
// where a message names a field or a change, and the stable names with no
// labels.
func TestLabeledMessage(t *testing.T) {
	tooLong := warning.Warning{Code: warning.TooLong, Field: "contact_phone", Params: map[string]string{"field": "contact_phone", "max": "40"}}
	exists := warning.Warning{Code: warning.CustomerExists, Value: "C1", Changes: []warning.Change{
		{Field: "customer_name", Old: "Old", New: "New"}, {Field: "default_address", Old: "HQ", New: "DEPOT"}}}
	unknown := warning.Warning{Code: warning.TooLong, Field: "fax", Params: map[string]string{"max": "9"}}
	for _, tc := range []struct {
		lang string
		w    warning.Warning
		want string
	}{
		{"fr", tooLong, "La valeur de « Téléphone du contact » dépasse 40 caractères."},
		{"en", tooLong, "The value of “Contact phone” is longer than 40 characters."},
		{"pt", tooLong, "O valor de “Telefone do contacto” excede 40 caracteres."},
		{"de", tooLong, "The value of “Contact phone” is longer than 40 characters."},
		{"fr", exists, `Le client "C1" existe déjà et sera mis à jour : Nom du client: "Old" → "New"; Adresse par défaut: "HQ" → "DEPOT".`},
		{"en", exists, `The customer "C1" already exists and will be updated: Customer name: "Old" → "New"; Default address: "HQ" → "DEPOT".`},
		{"en", unknown, "The value of fax is longer than 9 characters."},
	} {
		if got := warning.LabeledMessage(tc.lang, tc.w, sheet.FieldLabel); got != tc.want {
			t.Errorf("%s %s:\n got  %s\n want %s", tc.lang, tc.w.Code, got, tc.want)
		}
	}
	if got, want := warning.Message("en", tooLong), "The value of contact_phone is longer than 40 characters."; got != want {
		t.Errorf("without labels:\n got  %s\n want %s", got, want)
	}
}
