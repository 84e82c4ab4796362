package warning

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// The languages messages are written in. Any other value is read as English.
const (
	LangFrench     = "fr"
	LangEnglish    = "en"
	LangPortuguese = "pt"
)

// Langs returns the languages every message exists in, the default first.
func Langs() []string { return []string{LangEnglish, LangFrench, LangPortuguese} }

// Lang picks fr, en or pt from an Accept-Language header (q-values, regional
// variants such as pt-BR or fr-CA); a bare tag ("fr") works too, which is how
// a ?lang= parameter is read. Anything unmatched is English.
func Lang(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return LangEnglish
	}
	m := language.NewMatcher([]language.Tag{language.English, language.French, language.Portuguese})
	_, i, conf := m.Match(tags...)
	if conf == language.No {
		return LangEnglish
	}
	return Langs()[i]
}

// texts is one message in each language.
type texts struct{ en, fr, pt string }

func (t texts) in(lang string) string {
	switch lang {
	case LangFrench:
		return t.fr
	case LangPortuguese:
		return t.pt
	}
	return t.en
}

// rowText is the message of a row code (red or yellow). Placeholders are
// {field}, {value}, {max}, {to}, {country}, {header}, {first_row} and
// {changes}; a [ … ] segment is dropped when one of its placeholders has no
// value, so a warning without its optional params still reads well. It is a
// switch, not a map, because reports render a message for every warning.
func rowText(c Code) (texts, bool) {
	switch c {
	case CodeMissing:
		return texts{
			"The row has data but no customer code.",
			"La ligne contient des données mais pas de code client.",
			"A linha tem dados mas não tem código do cliente.",
		}, true
	case NameMissing:
		return texts{
			"The customer has no name: give it on this row or on another row of the same code.",
			"Le client n'a pas de nom : indiquez-le sur cette ligne ou sur une autre ligne du même code.",
			"O cliente não tem nome: indique-o nesta linha ou noutra linha com o mesmo código.",
		}, true
	case TooLong:
		return texts{
			"The value of {field} is longer than {max} characters.",
			"La valeur de {field} dépasse {max} caractères.",
			"O valor de {field} excede {max} caracteres.",
		}, true
	case CountryInvalid:
		return texts{
			"The country[ {value}] is neither an ISO country code nor a recognised country name.",
			"Le pays[ {value}] n'est ni un code pays ISO ni un nom de pays reconnu.",
			"O país[ {value}] não é um código de país ISO nem um nome de país reconhecido.",
		}, true
	case EmailInvalid:
		return texts{
			"The contact email[ {value}] is not a single valid address (user@domain.tld).",
			"L'adresse e-mail du contact[ {value}] n'est pas une adresse valide unique (utilisateur@domaine.tld).",
			"O email do contacto[ {value}] não é um endereço válido único (utilizador@dominio.tld).",
		}, true
	case AddressCodeMissing:
		return texts{
			"Address details are given without an address code.",
			"Des informations d'adresse sont données sans code d'adresse.",
			"São indicados dados de morada sem código da morada.",
		}, true
	case ContactNameMissing:
		return texts{
			"Contact details are given without a contact name.",
			"Des informations de contact sont données sans nom de contact.",
			"São indicados dados de contacto sem nome do contacto.",
		}, true
	case InvalidCharacters:
		return texts{
			"The value of {field} holds control characters.",
			"La valeur de {field} contient des caractères de contrôle.",
			"O valor de {field} contém caracteres de controlo.",
		}, true
	case CustomerExists:
		return texts{
			"The customer[ {value}] already exists and will be updated[: {changes}].",
			"Le client[ {value}] existe déjà et sera mis à jour[ : {changes}].",
			"O cliente[ {value}] já existe e será atualizado[: {changes}].",
		}, true
	case AddressExists:
		return texts{
			"The address[ {value}] already exists for this customer and will be updated[: {changes}].",
			"L'adresse[ {value}] existe déjà pour ce client et sera mise à jour[ : {changes}].",
			"A morada[ {value}] já existe para este cliente e será atualizada[: {changes}].",
		}, true
	case ContactExists:
		return texts{
			"The contact[ {value}] already exists for this customer and will be updated[: {changes}].",
			"Le contact[ {value}] existe déjà pour ce client et sera mis à jour[ : {changes}].",
			"O contacto[ {value}] já existe para este cliente e será atualizado[: {changes}].",
		}, true
	case CustomerValueConflict:
		return texts{
			"The value of {field} differs from an earlier row of the same customer[ (row {first_row})]; the later value wins[: {changes}].",
			"La valeur de {field} diffère d'une ligne précédente du même client[ (ligne {first_row})] ; la dernière valeur l'emporte[ : {changes}].",
			"O valor de {field} difere de uma linha anterior do mesmo cliente[ (linha {first_row})]; prevalece o valor mais recente[: {changes}].",
		}, true
	case AddressRepeated:
		return texts{
			"The address[ {value}] appears earlier for this customer[ (row {first_row})] with other details; this row wins[: {changes}].",
			"L'adresse[ {value}] apparaît plus haut pour ce client[ (ligne {first_row})] avec d'autres informations ; cette ligne l'emporte[ : {changes}].",
			"A morada[ {value}] aparece antes para este cliente[ (linha {first_row})] com outros dados; prevalece esta linha[: {changes}].",
		}, true
	case ContactRepeated:
		return texts{
			"The contact[ {value}] appears earlier for this customer[ (row {first_row})] with other details; this row wins[: {changes}].",
			"Le contact[ {value}] apparaît plus haut pour ce client[ (ligne {first_row})] avec d'autres informations ; cette ligne l'emporte[ : {changes}].",
			"O contacto[ {value}] aparece antes para este cliente[ (linha {first_row})] com outros dados; prevalece esta linha[: {changes}].",
		}, true
	case CountryConverted:
		return texts{
			"The country[ {value}] was converted to the code {to}.",
			"Le pays[ {value}] a été converti en code {to}.",
			"O país[ {value}] foi convertido no código {to}.",
		}, true
	case FlagUnrecognized:
		return texts{
			"The yes/no cell {field}[ ({value})] is not recognised; it is read as no.",
			"La case oui/non {field}[ ({value})] n'est pas reconnue ; elle est lue comme non.",
			"A célula sim/não {field}[ ({value})] não é reconhecida; é lida como não.",
		}, true
	case MultipleDefaultAddresses:
		return texts{
			"Several rows of this customer mark a default address[ (the first on row {first_row})]; the last one wins.",
			"Plusieurs lignes de ce client indiquent une adresse par défaut[ (la première en ligne {first_row})] ; la dernière l'emporte.",
			"Várias linhas deste cliente marcam uma morada por defeito[ (a primeira na linha {first_row})]; prevalece a última.",
		}, true
	case MultipleDefaultContacts:
		return texts{
			"Several rows of this customer mark a default contact[ (the first on row {first_row})]; the last one wins.",
			"Plusieurs lignes de ce client indiquent un contact par défaut[ (le premier en ligne {first_row})] ; le dernier l'emporte.",
			"Várias linhas deste cliente marcam um contacto por defeito[ (o primeiro na linha {first_row})]; prevalece o último.",
		}, true
	case PostalCodePadded:
		return texts{
			"The postal code[ {value}] lost its leading zeros and was padded to {to}.",
			"Le code postal[ {value}] avait perdu ses zéros initiaux et a été complété en {to}.",
			"O código postal[ {value}] perdeu os zeros à esquerda e foi completado para {to}.",
		}, true
	case VATFormatSuspect:
		return texts{
			"The VAT number[ {value}] does not fit the format of its country prefix[ {country}]; it is imported as given.",
			"Le numéro de TVA[ {value}] ne correspond pas au format de son préfixe pays[ {country}] ; il est importé tel quel.",
			"O número de contribuinte[ {value}] não corresponde ao formato do seu prefixo de país[ {country}]; é importado tal como está.",
		}, true
	case UnknownColumn:
		return texts{
			"The column[ {header}] is not in the template; it is ignored.",
			"La colonne[ {header}] ne fait pas partie du modèle ; elle est ignorée.",
			"A coluna[ {header}] não faz parte do modelo; é ignorada.",
		}, true
	}
	return texts{}, false
}

// fileTexts holds the message of each file-level code.
func fileTexts() map[Code]texts {
	return map[Code]texts{
		UnsupportedFormat: {
			"The file is neither an Excel workbook (.xlsx) nor a CSV text file; only .xlsx and .csv files are accepted.",
			"Le fichier n'est ni un classeur Excel (.xlsx) ni un fichier texte CSV ; seuls les fichiers .xlsx et .csv sont acceptés.",
			"O ficheiro não é um livro Excel (.xlsx) nem um ficheiro de texto CSV; só são aceites ficheiros .xlsx e .csv.",
		},
		EncryptedFile: {
			"The workbook is password-protected; save it without a password and upload it again.",
			"Le classeur est protégé par un mot de passe ; enregistrez-le sans mot de passe et envoyez-le à nouveau.",
			"O livro está protegido por palavra-passe; guarde-o sem palavra-passe e carregue-o novamente.",
		},
		CorruptFile: {
			"The file cannot be read as a workbook: it is damaged, or too large once unpacked.",
			"Le fichier ne peut pas être lu comme un classeur : il est endommagé, ou trop volumineux une fois décompressé.",
			"O ficheiro não pode ser lido como um livro: está danificado, ou é demasiado grande depois de descomprimido.",
		},
		TooManyRows: {
			"The file has more data rows than the limit allows.",
			"Le fichier contient plus de lignes de données que la limite autorisée.",
			"O ficheiro tem mais linhas de dados do que o limite permite.",
		},
		NoHeader: {
			"Row 1 matches none of the template headers; download the template to see them.",
			"La ligne 1 ne correspond à aucun en-tête du modèle ; téléchargez le modèle pour les voir.",
			"A linha 1 não corresponde a nenhum cabeçalho do modelo; descarregue o modelo para os ver.",
		},
		MissingRequiredColumns: {
			"Row 1 lacks the customer code or the customer name column.",
			"La ligne 1 n'a pas de colonne « Code client » ou « Nom du client ».",
			"A linha 1 não tem a coluna «Código do cliente» ou «Nome do cliente».",
		},
		DuplicateColumn: {
			"Two columns name the same template field; keep one of them.",
			"Deux colonnes désignent le même champ du modèle ; n'en gardez qu'une.",
			"Duas colunas designam o mesmo campo do modelo; mantenha apenas uma.",
		},
		NoData: {
			"The file is empty or has a header without data rows.",
			"Le fichier est vide ou n'a qu'une ligne d'en-tête sans données.",
			"O ficheiro está vazio ou só tem o cabeçalho, sem linhas de dados.",
		},
		FileTooLarge: {
			"The file is larger than the upload limit.",
			"Le fichier dépasse la taille maximale autorisée.",
			"O ficheiro excede o tamanho máximo permitido.",
		},
	}
}

// problem is the title and detail of an application error code.
type problem struct{ title, detail texts }

// problemTexts holds the application error codes (jobs.Error codes, plus the
// HTTP layer's too_many_requests and method_not_allowed). Their codes are
// literals here because jobs imports this package.
func problemTexts() map[string]problem {
	return map[string]problem{
		"not_found": {
			texts{"Not found", "Introuvable", "Não encontrado"},
			texts{"The resource does not exist or belongs to another account.",
				"La ressource n'existe pas ou appartient à un autre compte.",
				"O recurso não existe ou pertence a outra conta."},
		},
		"invalid_state": {
			texts{"Invalid state", "État invalide", "Estado inválido"},
			texts{"The import is not in a state that allows this operation.",
				"L'import n'est pas dans un état qui permet cette opération.",
				"A importação não está num estado que permita esta operação."},
		},
		"unskipped_errors": {
			texts{"Rows with errors are not skipped", "Des lignes en erreur ne sont pas ignorées", "Há linhas com erros que não são ignoradas"},
			texts{"Some rows with errors are not skipped: skip them (or all errors) or fix the file and upload it again.",
				"Des lignes en erreur ne sont pas ignorées : ignorez-les (ou toutes les erreurs), ou corrigez le fichier et envoyez-le à nouveau.",
				"Há linhas com erros que não são ignoradas: ignore-as (ou todos os erros), ou corrija o ficheiro e carregue-o novamente."},
		},
		"name_missing": {
			texts{"Customer without a name", "Client sans nom", "Cliente sem nome"},
			texts{"The skipped rows leave a new customer without a name: keep the row that names it, or skip all of its rows.",
				"Les lignes ignorées laissent un nouveau client sans nom : gardez la ligne qui le nomme, ou ignorez toutes ses lignes.",
				"As linhas ignoradas deixam um cliente novo sem nome: mantenha a linha que lhe dá nome, ou ignore todas as suas linhas."},
		},
		"invalid_rows": {
			texts{"Invalid rows", "Lignes invalides", "Linhas inválidas"},
			texts{"Some rows are not data rows of the file (the header, blank rows or past the end).",
				"Certaines lignes ne sont pas des lignes de données du fichier (l'en-tête, des lignes vides ou au-delà de la fin).",
				"Algumas linhas não são linhas de dados do ficheiro (o cabeçalho, linhas vazias ou depois do fim)."},
		},
		"invalid_request": {
			texts{"Invalid request", "Requête invalide", "Pedido inválido"},
			texts{"The request is malformed: check its parameters and body.",
				"La requête est mal formée : vérifiez ses paramètres et son contenu.",
				"O pedido está mal formado: verifique os parâmetros e o conteúdo."},
		},
		"unauthorized": {
			texts{"Unauthorized", "Non autorisé", "Não autorizado"},
			texts{"A valid API key is required: send it as Authorization: Bearer <key>.",
				"Une clé d'API valide est requise : envoyez-la dans l'en-tête Authorization: Bearer <clé>.",
				"É necessária uma chave de API válida: envie-a no cabeçalho Authorization: Bearer <chave>."},
		},
		"file_too_large": {
			texts{"File too large", "Fichier trop volumineux", "Ficheiro demasiado grande"},
			fileTexts()[FileTooLarge],
		},
		"file_deleted": {
			texts{"File deleted", "Fichier supprimé", "Ficheiro eliminado"},
			texts{"The uploaded file was deleted at the end of the retention period, so its report can no longer be produced; the warnings remain available.",
				"Le fichier envoyé a été supprimé à la fin de la durée de conservation : son rapport ne peut plus être produit ; les avertissements restent consultables.",
				"O ficheiro carregado foi eliminado no fim do período de conservação, pelo que o relatório já não pode ser produzido; os avisos continuam disponíveis."},
		},
		"too_many_requests": {
			texts{"Too many requests", "Trop de requêtes", "Demasiados pedidos"},
			texts{"Too many requests for this API key: wait the number of seconds given by Retry-After.",
				"Trop de requêtes pour cette clé d'API : attendez le nombre de secondes indiqué par Retry-After.",
				"Demasiados pedidos para esta chave de API: aguarde o número de segundos indicado em Retry-After."},
		},
		"method_not_allowed": {
			texts{"Method not allowed", "Méthode non autorisée", "Método não permitido"},
			texts{"This method is not allowed on this path; the Allow header lists the ones that are.",
				"Cette méthode n'est pas autorisée sur ce chemin ; l'en-tête Allow liste celles qui le sont.",
				"Este método não é permitido neste caminho; o cabeçalho Allow indica os que são."},
		},
		"internal": {
			texts{"Internal error", "Erreur interne", "Erro interno"},
			texts{"An unexpected error occurred; try again later.",
				"Une erreur inattendue s'est produite ; réessayez plus tard.",
				"Ocorreu um erro inesperado; tente novamente mais tarde."},
		},
	}
}

// ProblemCodes returns the application error codes that ProblemTitle and
// ProblemDetail know, sorted.
func ProblemCodes() []string {
	var codes []string
	for c := range problemTexts() {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// ProblemTitle is the short title of an application error code in lang; an
// unknown code is titled as internal.
func ProblemTitle(lang, code string) string {
	p, ok := problemTexts()[code]
	if !ok {
		p = problemTexts()["internal"]
	}
	return p.title.in(lang)
}

// ProblemDetail is the user-facing sentence of an application error code in
// lang; an unknown code reads as internal.
func ProblemDetail(lang, code string) string {
	p, ok := problemTexts()[code]
	if !ok {
		p = problemTexts()["internal"]
	}
	return p.detail.in(lang)
}

// FileMessage is the message of why an import failed, in lang: code is a
// file-level code or an application error code (a confirm refused when the
// data changed), detail the English sentence recorded with it. English keeps
// detail, which names the columns or limits involved; French and Portuguese
// give the code's sentence. An unknown code falls back to detail.
func FileMessage(lang string, code Code, detail string) string {
	var t texts
	if ft, ok := fileTexts()[code]; ok {
		t = ft
	} else if p, ok := problemTexts()[string(code)]; ok && code != "internal" {
		t = p.detail
	} else if detail != "" {
		return detail
	} else {
		return ProblemDetail(lang, "internal")
	}
	if lang != LangFrench && lang != LangPortuguese && detail != "" {
		return detail
	}
	return t.in(lang)
}

// Labels names a template field, by its stable name ("contact_phone"), in
// lang: the column header the reader knows from the template
// (sheet.FieldLabel), or "" to keep the name.
type Labels func(lang, field string) string

// Message renders w in lang ("fr", "en" or "pt"; anything else is English)
// with its params: the field, the max length, the value converted "to", the
// unknown header, the first row of a repeat, and Changes as
// `customer_name: "Old" → "New"`. A file-level code reads as FileMessage.
// Fields keep their stable names; LabeledMessage names them for people.
func Message(lang string, w Warning) string { return LabeledMessage(lang, w, nil) }

// LabeledMessage is Message with each field named by labels, as the reader
// of a report knows it: `La valeur de « Téléphone du contact » dépasse 40
// caractères`, `Nom du client: "Old" → "New"`. The customer-level changes
// that are not columns (default_address, default_contact) get their own
// words. A nil labels keeps the stable names.
func LabeledMessage(lang string, w Warning, labels Labels) string {
	t, ok := rowText(w.Code)
	if !ok {
		return FileMessage(lang, w.Code, "")
	}
	lang = Lang(lang)
	vars := map[string]string{
		"field":   labeledField(lang, w.Field, labels),
		"value":   quote(w.Value),
		"changes": changesText(lang, w.Changes, labels),
	}
	for k, v := range w.Params {
		switch k {
		case "header":
			vars[k] = quote(v)
		case "field":
			vars[k] = labeledField(lang, shorten(v), labels)
		default:
			vars[k] = shorten(v)
		}
	}
	if vars["field"] == "" {
		vars["field"] = w.Column
	}
	return render(t.in(lang), vars)
}

// changesText renders changes as `field: "old" → "new"`, separated by "; ".
func changesText(lang string, changes []Change, labels Labels) string {
	parts := make([]string, 0, len(changes))
	for _, c := range changes {
		parts = append(parts, fieldLabel(lang, c.Field, labels)+": "+strconv.Quote(shorten(c.Old))+" → "+strconv.Quote(shorten(c.New)))
	}
	return strings.Join(parts, "; ")
}

// fieldLabel names field in lang through labels, and the default address and
// contact of customer_exists's changes in words of its own; with nil labels,
// or a field labels does not know, it is field.
func fieldLabel(lang, field string, labels Labels) string {
	if labels == nil || field == "" {
		return field
	}
	switch field {
	case "default_address":
		return texts{"Default address", "Adresse par défaut", "Morada por defeito"}.in(lang)
	case "default_contact":
		return texts{"Default contact", "Contact par défaut", "Contacto por defeito"}.in(lang)
	}
	if l := labels(lang, field); l != "" {
		return l
	}
	return field
}

// labeledField is field as a message's {field}: its label, quoted as lang
// quotes inside a sentence, or the name itself.
func labeledField(lang, field string, labels Labels) string {
	if l := fieldLabel(lang, field, labels); l != field {
		return quoteLabel(lang, l)
	}
	return field
}

// quoteLabel quotes a column's name inside a sentence of lang.
func quoteLabel(lang, label string) string {
	if lang == LangFrench {
		return "« " + label + " »"
	}
	return "“" + label + "”"
}

// quote quotes a user's value for a message, or gives "" for a blank one so
// that its optional segment is dropped.
func quote(v string) string {
	if v == "" {
		return ""
	}
	return strconv.Quote(shorten(v))
}

// maxValueRunes bounds a value quoted in a message: a too_long value may be
// thousands of characters.
const maxValueRunes = 80

// shorten cuts v to maxValueRunes and drops control characters, which have
// no place in a message.
func shorten(v string) string {
	v = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, v)
	if utf8.RuneCountInString(v) <= maxValueRunes {
		return v
	}
	return string([]rune(v)[:maxValueRunes-1]) + "…"
}

// render fills {name} placeholders from vars. A [ … ] segment is kept only
// when every placeholder in it has a non-empty value; a missing placeholder
// outside a segment renders empty.
func render(tmpl string, vars map[string]string) string {
	var b strings.Builder
	for tmpl != "" {
		i := strings.IndexByte(tmpl, '[')
		if i < 0 {
			fill(&b, tmpl, vars)
			break
		}
		fill(&b, tmpl[:i], vars)
		j := strings.IndexByte(tmpl[i:], ']')
		if j < 0 {
			fill(&b, tmpl[i+1:], vars)
			break
		}
		if seg := tmpl[i+1 : i+j]; fill(nil, seg, vars) {
			fill(&b, seg, vars)
		}
		tmpl = tmpl[i+j+1:]
	}
	return b.String()
}

// fill writes s to b (when b is not nil) with its placeholders replaced and
// reports whether every placeholder had a value.
func fill(b *strings.Builder, s string, vars map[string]string) bool {
	complete := true
	for s != "" {
		i := strings.IndexByte(s, '{')
		j := strings.IndexByte(s, '}')
		if i < 0 || j < i {
			if b != nil {
				b.WriteString(s)
			}
			break
		}
		v := vars[s[i+1:j]]
		complete = complete && v != ""
		if b != nil {
			b.WriteString(s[:i])
			b.WriteString(v)
		}
		s = s[j+1:]
	}
	return complete
}
