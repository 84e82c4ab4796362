package warning

import (
	"slices"
	"strings"
	"testing"
)

func TestReportWordsInEveryLanguage(t *testing.T) {
	for _, s := range RowStatuses() {
		tx, ok := statusTexts(s)
		if !ok {
			t.Fatalf("%s: no label", s)
		}
		for _, lang := range Langs() {
			if strings.TrimSpace(tx.in(lang)) == "" || s.Label(lang) == "" {
				t.Errorf("%s: no %s label", s, lang)
			}
		}
	}
	for _, c := range []string{ReportStatusColumn, ReportMessagesColumn} {
		for _, lang := range Langs() {
			if ReportColumnHeader(lang, c) == "" {
				t.Errorf("%s: no %s header", c, lang)
			}
		}
	}
	for _, what := range []string{"template", "report"} {
		for _, lang := range Langs() {
			n := DownloadName(lang, what)
			if n == "" || n == what && what == "template" {
				t.Errorf("DownloadName(%s, %s) = %q", lang, what, n)
			}
			for _, r := range n {
				if r > 0x7e || r < '-' {
					t.Errorf("DownloadName(%s, %s) = %q is not plain ASCII", lang, what, n)
				}
			}
		}
	}
	names := ReportColumnNames()
	if len(names) != 8 || !slices.Contains(names, "Statut de l'import") || !slices.Contains(names, "import_messages") {
		t.Errorf("ReportColumnNames() = %v", names)
	}
}
