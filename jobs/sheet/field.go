package sheet

// Field is one column of the customer template (SPEC §2, columns A–O).
type Field int

// The template fields, in template order (A–O).
const (
	CustomerCode Field = iota
	CustomerName
	VATNumber
	AddressCode
	AddressName
	Address
	City
	PostalCode
	State
	Country
	AddressIsDefault
	ContactName
	ContactPhone
	ContactEmail
	ContactIsDefault
	// NumFields is the number of template fields.
	NumFields
)

// NoField marks a file column that matches no template field.
const NoField Field = -1

type fieldInfo struct {
	name   string
	maxLen int // in code points; 0 = no length rule
	fr     string
	en     string
	pt     string
}

// fields is indexed by Field: a read-only lookup table, like the tables of
// package unicode (building it per call cost most of validation's allocations).
var fields = [NumFields]fieldInfo{
	CustomerCode:     {"customer_code", 64, "Code client", "Customer code", "Código do cliente"},
	CustomerName:     {"customer_name", 200, "Nom du client", "Customer name", "Nome do cliente"},
	VATNumber:        {"vat_number", 32, "Numéro de TVA", "VAT number", "Número de contribuinte"},
	AddressCode:      {"address_code", 64, "Adresse Code", "Address code", "Código da morada"},
	AddressName:      {"address_name", 200, "Adresse Nom", "Address name", "Nome da morada"},
	Address:          {"address", 500, "Adresse", "Address", "Morada"},
	City:             {"city", 100, "Ville", "City", "Localidade"},
	PostalCode:       {"postal_code", 20, "Code postal", "Postal code", "Código postal"},
	State:            {"state", 100, "État", "State", "Estado"},
	Country:          {"country", 0, "Pays", "Country", "País"},
	AddressIsDefault: {"address_is_default", 0, "Est l'adresse par défaut", "Is default address", "Morada por defeito"},
	ContactName:      {"contact_name", 200, "Nom du contact", "Contact name", "Nome do contacto"},
	ContactPhone:     {"contact_phone", 40, "Téléphone du contact", "Contact phone", "Telefone do contacto"},
	ContactEmail:     {"contact_email", 254, "Adresse e-mail du contact", "Contact email", "Email do contacto"},
	ContactIsDefault: {"contact_is_default", 0, "Est le contact par défaut", "Is default contact", "Contacto por defeito"},
}

// Name is the field's stable name, used in warnings and the API ("vat_number").
func (f Field) Name() string {
	if f < 0 || f >= NumFields {
		return ""
	}
	return fields[f].name
}

// MaxLen is the field's maximum length in Unicode code points after trimming,
// or 0 when the field has no length rule (country and the yes/no columns).
func (f Field) MaxLen() int {
	if f < 0 || f >= NumFields {
		return 0
	}
	return fields[f].maxLen
}

// Header is the field's canonical header in lang ("fr", "en" or "pt"; any
// other value gives French, the canonical template language).
func (f Field) Header(lang string) string {
	if f < 0 || f >= NumFields {
		return ""
	}
	fi := fields[f]
	switch lang {
	case "en":
		return fi.en
	case "pt":
		return fi.pt
	}
	return fi.fr
}

// FieldLabel is the canonical header in lang of the field named name
// ("contact_phone"), or "" for a name that is no field: it names fields in
// the messages people read (warning.LabeledMessage).
func FieldLabel(lang, name string) string {
	for f := Field(0); f < NumFields; f++ {
		if fields[f].name == name {
			return f.Header(lang)
		}
	}
	return ""
}

// TemplateLetter is the field's column letter in the template (A–O). Warnings
// use the letter of the column in the uploaded file instead (see Header.Letter).
func (f Field) TemplateLetter() string {
	if f < 0 || f >= NumFields {
		return ""
	}
	return string(rune('A' + int(f)))
}
