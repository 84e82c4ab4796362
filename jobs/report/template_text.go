package report

import (
	"strings"

	"intake/jobs/rules"
	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// tr is one text of the template in each language.
type tr struct{ en, fr, pt string }

func (t tr) in(lang string) string {
	switch lang {
	case warning.LangFrench:
		return t.fr
	case warning.LangPortuguese:
		return t.pt
	}
	return t.en
}

// Sheet names of the template.
func templateSheets() (data, help, countries tr) {
	return tr{"Customers", "Clients", "Clientes"},
		tr{"Instructions", "Instructions", "Instruções"},
		tr{"Countries", "Pays", "Países"}
}

// fieldHelp explains each template column on the instructions sheet and in
// its header's comment. {yes}, {no} and {countries} are filled in.
func fieldHelp(f sheet.Field) tr {
	switch f {
	case sheet.CustomerCode:
		return tr{
			"Identifies the customer. Rows with the same code (in any case) belong to the same customer: one row per address or contact.",
			"Identifie le client. Les lignes de même code (majuscules ou minuscules) concernent le même client : une ligne par adresse ou contact.",
			"Identifica o cliente. As linhas com o mesmo código (em maiúsculas ou minúsculas) pertencem ao mesmo cliente: uma linha por morada ou contacto.",
		}
	case sheet.CustomerName:
		return tr{
			"The customer's name: required for a new customer, on one of its rows at least. Left blank, a stored name is kept.",
			"Le nom du client : obligatoire pour un nouveau client, sur au moins une de ses lignes. Laissé vide, le nom enregistré est conservé.",
			"O nome do cliente: obrigatório para um cliente novo, pelo menos numa das suas linhas. Em branco, mantém-se o nome registado.",
		}
	case sheet.VATNumber:
		return tr{
			"VAT number with its country prefix. One that does not fit its country's format is imported with a warning.",
			"Numéro de TVA avec son préfixe pays. Un numéro qui ne correspond pas au format de son pays est importé avec un avertissement.",
			"Número de contribuinte com o prefixo do país. Um número que não corresponde ao formato do país é importado com um aviso.",
		}
	case sheet.AddressCode:
		return tr{
			"Identifies the address within the customer. Required as soon as the row gives address details (columns E to K).",
			"Identifie l'adresse au sein du client. Obligatoire dès que la ligne donne une information d'adresse (colonnes E à K).",
			"Identifica a morada dentro do cliente. Obrigatório logo que a linha indique dados de morada (colunas E a K).",
		}
	case sheet.AddressName:
		return tr{"A label for the address.", "Un libellé pour l'adresse.", "Uma designação para a morada."}
	case sheet.Address:
		return tr{"Street and number.", "Numéro et rue.", "Rua e número."}
	case sheet.City:
		return tr{"City or town.", "Ville ou commune.", "Localidade."}
	case sheet.PostalCode:
		return tr{
			"Postal code. The column is formatted as text, so leading zeros stay.",
			"Code postal. La colonne est au format texte : les zéros initiaux sont conservés.",
			"Código postal. A coluna está formatada como texto: os zeros à esquerda mantêm-se.",
		}
	case sheet.State:
		return tr{"State, region or province.", "État, région ou province.", "Estado, distrito ou região."}
	case sheet.Country:
		return tr{
			"ISO country code, from the list (sheet {countries}). A country name in French, English or Portuguese is converted to its code, with a warning.",
			"Code pays ISO, choisi dans la liste (feuille {countries}). Un nom de pays en français, anglais ou portugais est converti en code, avec un avertissement.",
			"Código de país ISO, escolhido na lista (folha {countries}). Um nome de país em francês, inglês ou português é convertido no código, com um aviso.",
		}
	case sheet.AddressIsDefault:
		return tr{
			"{yes} when this address is the customer's default address; blank is {no}. If several rows say {yes}, the last one wins.",
			"{yes} si cette adresse est l'adresse par défaut du client ; vide vaut {no}. Si plusieurs lignes disent {yes}, la dernière l'emporte.",
			"{yes} se esta morada é a morada por defeito do cliente; em branco equivale a {no}. Se várias linhas indicarem {yes}, prevalece a última.",
		}
	case sheet.ContactName:
		return tr{
			"The contact's name, which identifies the contact within the customer. Required as soon as the row gives contact details (columns M to O).",
			"Le nom du contact, qui l'identifie au sein du client. Obligatoire dès que la ligne donne une information de contact (colonnes M à O).",
			"O nome do contacto, que o identifica dentro do cliente. Obrigatório logo que a linha indique dados de contacto (colunas M a O).",
		}
	case sheet.ContactPhone:
		return tr{
			"Phone number, kept as typed (the column is formatted as text).",
			"Numéro de téléphone, conservé tel quel (la colonne est au format texte).",
			"Número de telefone, mantido tal como escrito (a coluna está formatada como texto).",
		}
	case sheet.ContactEmail:
		return tr{"One e-mail address.", "Une seule adresse e-mail.", "Um único endereço de email."}
	case sheet.ContactIsDefault:
		return tr{
			"{yes} when this contact is the customer's default contact; blank is {no}. If several rows say {yes}, the last one wins.",
			"{yes} si ce contact est le contact par défaut du client ; vide vaut {no}. Si plusieurs lignes disent {yes}, la dernière l'emporte.",
			"{yes} se este contacto é o contacto por defeito do cliente; em branco equivale a {no}. Se várias linhas indicarem {yes}, prevalece a última.",
		}
	}
	return tr{}
}

// fieldExample is an example value of f in lang; together they make a row
// that imports without any warning (a test checks).
func fieldExample(f sheet.Field, lang string) string {
	yes, _ := rules.YesNo(lang)
	ex := [sheet.NumFields]tr{
		sheet.CustomerCode:     {"C001", "C001", "C001"},
		sheet.CustomerName:     {"Acme Ltd", "Acme SA", "Acme Lda"},
		sheet.VATNumber:        {"GB123456789", "FR12345678901", "PT123456789"},
		sheet.AddressCode:      {"HQ", "SIEGE", "SEDE"},
		sheet.AddressName:      {"Head office", "Siège social", "Sede"},
		sheet.Address:          {"10 Downing Street", "1 rue de la Paix", "Rua de Santa Catarina 1"},
		sheet.City:             {"London", "Paris", "Porto"},
		sheet.PostalCode:       {"SW1A 2AA", "75002", "4000-442"},
		sheet.State:            {"", "Île-de-France", "Porto"},
		sheet.Country:          {"GB", "FR", "PT"},
		sheet.AddressIsDefault: {yes, yes, yes},
		sheet.ContactName:      {"Ann Smith", "Anne Martin", "Ana Silva"},
		sheet.ContactPhone:     {"+44 20 7946 0000", "+33 1 23 45 67 89", "+351 222 000 000"},
		sheet.ContactEmail:     {"ann@acme.example", "anne@acme.example", "ana@acme.example"},
		sheet.ContactIsDefault: {yes, yes, yes},
	}
	return ex[f].in(lang)
}

// templateIntro is the instructions sheet's opening, one paragraph a line.
func templateIntro(lang string) []string {
	t := []tr{
		{"How to fill in the customer template", "Comment remplir le modèle de clients", "Como preencher o modelo de clientes"},
		{"Fill in the first sheet from row 2 down: one row per customer, or per address or contact of a customer — repeat the customer code on each of its rows, which need not be adjacent.",
			"Remplissez la première feuille à partir de la ligne 2 : une ligne par client, ou par adresse ou contact d'un client — répétez le code client sur chacune de ses lignes, qui n'ont pas besoin de se suivre.",
			"Preencha a primeira folha a partir da linha 2: uma linha por cliente, ou por morada ou contacto de um cliente — repita o código do cliente em cada uma das suas linhas, que não precisam de ser seguidas."},
		{"Keep the headers of row 1 as they are. Only the customer code and name are required; other columns may be left out or moved.",
			"Gardez les en-têtes de la ligne 1 tels quels. Seuls le code et le nom du client sont obligatoires ; les autres colonnes peuvent être retirées ou déplacées.",
			"Mantenha os cabeçalhos da linha 1 tal como estão. Só o código e o nome do cliente são obrigatórios; as outras colunas podem ser retiradas ou mudadas de lugar."},
		{"A blank cell never erases a stored value; blank rows are ignored. Yes/no columns take {yes} or {no} from their list.",
			"Une cellule vide n'efface jamais une valeur enregistrée ; les lignes vides sont ignorées. Les colonnes oui/non prennent {yes} ou {no} dans leur liste.",
			"Uma célula em branco nunca apaga um valor registado; as linhas em branco são ignoradas. As colunas sim/não aceitam {yes} ou {no} da sua lista."},
		{"Save as .xlsx (or .csv in UTF-8) and upload the file: its report lists, row by row, what will be created or updated and every problem, before anything is applied.",
			"Enregistrez au format .xlsx (ou .csv en UTF-8) et envoyez le fichier : son rapport indique, ligne par ligne, ce qui sera créé ou mis à jour et chaque problème, avant que rien ne soit appliqué.",
			"Guarde em .xlsx (ou .csv em UTF-8) e carregue o ficheiro: o relatório indica, linha a linha, o que será criado ou atualizado e cada problema, antes de qualquer alteração."},
	}
	out := make([]string, len(t))
	for i, p := range t {
		out[i] = fillWords(p.in(lang), lang)
	}
	return out
}

// helpColumns are the headers of the instructions table.
func helpColumns() []tr {
	return []tr{
		{"Column", "Colonne", "Coluna"},
		{"Header", "En-tête", "Cabeçalho"},
		{"Required", "Obligatoire", "Obrigatório"},
		{"Description", "Description", "Descrição"},
		{"Example", "Exemple", "Exemplo"},
	}
}

// templateMessages are the texts of the template's data validations.
func templateMessages() (maxLenTitle, maxLen, flagTitle, flag, countryTitle, country tr) {
	return tr{"Too long", "Trop long", "Demasiado longo"},
		tr{"At most {max} characters.", "{max} caractères au plus.", "No máximo {max} caracteres."},
		tr{"Yes or no", "Oui ou non", "Sim ou não"},
		tr{"Choose {yes} or {no} (blank is {no}).", "Choisissez {yes} ou {no} (vide vaut {no}).", "Escolha {yes} ou {no} (em branco equivale a {no})."},
		tr{"Country code", "Code pays", "Código de país"},
		tr{"Choose an ISO country code from the list (sheet {countries}).",
			"Choisissez un code pays ISO dans la liste (feuille {countries}).",
			"Escolha um código de país ISO da lista (folha {countries})."}
}

// fillWords fills {yes}, {no} and {countries} for lang.
func fillWords(s, lang string) string {
	yes, no := rules.YesNo(lang)
	_, _, countries := templateSheets()
	return strings.NewReplacer("{yes}", yes, "{no}", no, "{countries}", countries.in(lang)).Replace(s)
}
