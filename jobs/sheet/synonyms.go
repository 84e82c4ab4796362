package sheet

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"intake/jobs/warning"
)

// synonyms lists, per field, the headers accepted besides the canonical
// French, English and Portuguese ones of SPEC §2 and the field's own name
// ("vat_number"). A synonym must name its field without doubt in a customer
// file: "Code" and "Client" are the customer code, "Nom" and "Name" the
// customer name, "Contact" the contact name, "Adresse" the address line (F).
// A test checks that no folded synonym names two fields.
func synonyms() *[NumFields][]string {
	return &[NumFields][]string{
		CustomerCode: {
			"Code", "Client", "Customer", "Cliente", "Customer ID", "Customer number", "Customer no",
			"Customer ref", "Customer reference", "Client code", "Client ID", "Client number",
			"Code du client", "N° client", "Numéro client", "Numéro de client", "Référence client",
			"Réf client", "ID client", "Identifiant client", "Code tiers", "Account code",
			"Account number", "Código cliente", "Código de cliente", "Cód cliente", "N° cliente",
			"Número de cliente", "Número do cliente",
		},
		CustomerName: {
			"Name", "Nom", "Nome", "Company", "Company name", "Client name", "Business name",
			"Legal name", "Raison sociale", "Société", "Entreprise", "Nom client", "Nom de la société",
			"Nom de l'entreprise", "Dénomination", "Dénomination sociale", "Nome cliente",
			"Empresa", "Nome da empresa", "Denominação", "Denominação social", "Designação social",
		},
		VATNumber: {
			"VAT", "VAT ID", "VAT no", "VAT code", "VAT reg no", "VAT registration number",
			"VAT ID number", "Intracom VAT", "TVA", "Code TVA", "N° TVA", "N° de TVA", "Numéro TVA",
			"Identifiant TVA", "TVA intracommunautaire", "N° TVA intracommunautaire",
			"Numéro de TVA intracommunautaire", "Numéro TVA intracommunautaire", "NIF", "NIPC",
			"NIF/NIPC", "Contribuinte", "N° contribuinte", "Número contribuinte",
			"Número de identificação fiscal", "Tax ID", "Tax number", "Tax identification number",
			"TIN", "IVA", "Número de IVA", "USt-IdNr",
		},
		AddressCode: {
			"Code adresse", "Code de l'adresse", "Address ID", "Address ref", "Address reference",
			"Référence adresse", "Código morada", "Código de morada", "Código do endereço",
			"Código endereço",
		},
		AddressName: {
			"Nom adresse", "Nom de l'adresse", "Libellé adresse", "Address label", "Address description",
			"Nome morada", "Nome do endereço", "Designação da morada",
		},
		Address: {
			"Address line", "Address line 1", "Address 1", "Street", "Street address", "Rue",
			"Rua", "Adresse ligne 1", "Ligne d'adresse", "Adresse postale", "Endereço",
			"Endereço postal",
		},
		City: {
			"Town", "Commune", "Cidade", "Localité", "Locality", "Town/City", "City/Town",
			"Ville/Commune",
		},
		PostalCode: {
			"Zip", "Zip code", "ZIP/Postal code", "Postal code/ZIP", "Postcode", "Post code", "CP",
		},
		State: {
			"Province", "Region", "Région", "Distrito", "State/Province", "State/Region", "County",
			"Département", "Província", "Região",
		},
		Country: {
			"Country code", "Pays (code)", "Code pays", "Code ISO pays", "ISO country code",
			"Country ISO", "Código do país", "Código país",
		},
		AddressIsDefault: {
			"Default address", "Adresse par défaut", "Adresse principale", "Main address",
			"Primary address", "Morada principal", "Morada predefinida", "Endereço principal",
		},
		ContactName: {
			"Contact", "Contacto", "Contato", "Interlocuteur", "Nom contact", "Contact person",
			"Personne de contact", "Pessoa de contacto", "Nome do contato",
		},
		ContactPhone: {
			"Phone", "Phone number", "Telephone", "Telephone number", "Téléphone", "Tel", "Tél",
			"N° de téléphone", "Numéro de téléphone", "Telefone", "Telemóvel", "Mobile",
			"Mobile phone", "Portable", "Contact telephone", "Téléphone contact",
			"Telefone do contato",
		},
		ContactEmail: {
			"E-mail", "Email", "Mail", "Courriel", "Correio eletrónico", "Correio electrónico",
			"Email address", "E-mail address", "Adresse e-mail", "Adresse mail",
			"Adresse électronique", "Contact e-mail", "Endereço de email", "Email do contato",
		},
		ContactIsDefault: {
			"Default contact", "Contact par défaut", "Contact principal", "Main contact",
			"Primary contact", "Contacto principal", "Contato principal", "Contacto predefinido",
		},
	}
}

// FoldHeader reduces a header to the key it is matched by: compatibility
// decomposition (NFKD), combining marks dropped, lower case, and only letters
// and digits kept, so that case, accents, apostrophes (' ’), punctuation and
// white space never matter. The ordinal indicators º and ª count as
// punctuation: "Nº" and "N°" fold alike.
func FoldHeader(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	if isASCII(s) {
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
				b.WriteByte(c)
			case 'A' <= c && c <= 'Z':
				b.WriteByte(c + 'a' - 'A')
			}
		}
		return b.String()
	}
	// Dropped before NFKD, which turns them into o and a.
	s = strings.Map(func(r rune) rune {
		if r == 'º' || r == 'ª' {
			return -1
		}
		return r
	}, s)
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// headerMatcher maps folded headers to fields, and the headers of a
// report's own columns to reportColumn. Build one per header row, not per
// cell.
type headerMatcher map[string]Field

// reportColumn marks, in a headerMatcher, the headers of the columns a
// downloaded report adds (warning.ReportColumnNames).
const reportColumn Field = -2

func newHeaderMatcher() headerMatcher {
	syn := synonyms()
	m := make(headerMatcher, 512)
	for f := Field(0); f < NumFields; f++ {
		for _, n := range headerNames(f, syn) {
			m[FoldHeader(n)] = f
		}
	}
	for _, n := range warning.ReportColumnNames() {
		m[FoldHeader(n)] = reportColumn
	}
	return m
}

// headerNames lists every header accepted for f: its name, its canonical
// headers and its synonyms.
func headerNames(f Field, syn *[NumFields][]string) []string {
	return append([]string{f.Name(), f.Header("fr"), f.Header("en"), f.Header("pt")}, syn[f]...)
}

// match returns the field a header names, or NoField (a report column
// names no field).
func (m headerMatcher) match(s string) Field {
	f, _ := m.lookup(s)
	return f
}

// lookup returns the field a header names, or NoField; report is true when
// the header names a report column instead.
func (m headerMatcher) lookup(s string) (f Field, report bool) {
	f, ok := m[FoldHeader(s)]
	switch {
	case !ok:
		return NoField, false
	case f == reportColumn:
		return NoField, true
	}
	return f, false
}
