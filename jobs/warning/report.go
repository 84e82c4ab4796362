package warning

// RowStatus is what happens to a data row, as the downloadable report shows
// it: skipped (on the skip list) wins over error (a red code), which wins
// over warning (yellow codes only); the rest are ok.
type RowStatus string

// The row statuses of the report, in order of precedence.
const (
	RowSkipped RowStatus = "skipped"
	RowError   RowStatus = "error"
	RowWarning RowStatus = "warning"
	RowOK      RowStatus = "ok"
)

// RowStatuses returns every row status, highest precedence first.
func RowStatuses() []RowStatus { return []RowStatus{RowSkipped, RowError, RowWarning, RowOK} }

// statusTexts is the word each status is shown as in a report.
func statusTexts(s RowStatus) (texts, bool) {
	switch s {
	case RowSkipped:
		return texts{"Skipped", "Ignorée", "Ignorada"}, true
	case RowError:
		return texts{"Error", "Erreur", "Erro"}, true
	case RowWarning:
		return texts{"Warning", "Avertissement", "Aviso"}, true
	case RowOK:
		return texts{"OK", "OK", "OK"}, true
	}
	return texts{}, false
}

// Label is the status as a report shows it in lang ("Erreur", "Skipped"…);
// users filter the report's status column by these words. An unknown status
// is shown as it is.
func (s RowStatus) Label(lang string) string {
	if t, ok := statusTexts(s); ok {
		return t.in(lang)
	}
	return string(s)
}

// The two columns a report adds after the file's own columns.
const (
	ReportStatusColumn   = "import_status"
	ReportMessagesColumn = "import_messages"
)

// reportColumnTexts are the headers of the report's own columns. They are
// deliberately longer than "Status" or "Estado" (the Portuguese header of the
// state column): a header that names a report column is ignored on upload.
func reportColumnTexts(column string) (texts, bool) {
	switch column {
	case ReportStatusColumn:
		return texts{"Import status", "Statut de l'import", "Estado da importação"}, true
	case ReportMessagesColumn:
		return texts{"Import messages", "Messages de l'import", "Mensagens da importação"}, true
	}
	return texts{}, false
}

// ReportColumnHeader is the header of a report column (ReportStatusColumn or
// ReportMessagesColumn) in lang.
func ReportColumnHeader(lang, column string) string {
	t, _ := reportColumnTexts(column)
	return t.in(lang)
}

// ReportColumnNames lists every header a report column may have: the stable
// names and their English, French and Portuguese headers. An uploaded file
// whose row 1 holds one of them is a report being imported again (jobs/sheet
// ignores those columns without unknown_column).
func ReportColumnNames() []string {
	var names []string
	for _, c := range []string{ReportStatusColumn, ReportMessagesColumn} {
		t, _ := reportColumnTexts(c)
		names = append(names, c, t.en, t.fr, t.pt)
	}
	return names
}

// DownloadName is the base of a downloaded file's name in lang (no
// extension): "template" is the customer template ("customers-template",
// "modele-clients", "modelo-clientes"), "report" the suffix of a report
// ("report", "rapport", "relatorio"). Names stay ASCII so that every
// browser and file system keeps them as they are.
func DownloadName(lang, what string) string {
	var t texts
	switch what {
	case "template":
		t = texts{"customers-template", "modele-clients", "modelo-clientes"}
	case "report":
		t = texts{"report", "rapport", "relatorio"}
	default:
		return what
	}
	return t.in(lang)
}
