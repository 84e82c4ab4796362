package report

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"intake/jobs/rules"
	"intake/jobs/sheet"
)

// Colours of the template's header: required columns stand out.
const (
	fillRequired = "C65911"
	fillOptional = "305496"
)

// countryListName is the workbook-level name of the template's country
// codes, which the country dropdown lists.
const countryListName = "CountryCodes"

// templateWidths are the template's column widths, by field.
func templateWidths() [sheet.NumFields]float64 {
	return [sheet.NumFields]float64{16, 30, 20, 16, 24, 36, 20, 14, 18, 10, 16, 24, 20, 30, 16}
}

// WriteTemplate writes the customer template in lang (fr, en or pt; anything
// else is English) and format. The xlsx has the data sheet first — the 15
// headers of SPEC §2 in that language, nothing below them —, then an
// instructions sheet and a country list. The CSV is the header line alone
// (see WriteTemplateCSV).
func WriteTemplate(w io.Writer, format Format, lang string) error {
	switch format {
	case XLSX:
		return WriteTemplateXLSX(w, lang)
	case CSV:
		return WriteTemplateCSV(w, lang)
	}
	return fmt.Errorf("template: unknown format %q", format)
}

// WriteTemplateCSV writes the template's header line: UTF-8 with a BOM, the
// language's delimiter (see Delimiter), LF.
func WriteTemplateCSV(w io.Writer, lang string) error {
	c, err := newCSVWriter(w, lang)
	if err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	hdr := make([]string, sheet.NumFields)
	for f := range sheet.NumFields {
		hdr[f] = f.Header(lang)
	}
	if err := c.write(hdr); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	if err := c.flush(); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	return nil
}

// WriteTemplateXLSX writes the xlsx template. Its data sheet has a styled,
// frozen header row (required columns in another colour, each header with
// a comment explaining it), sensible widths, every column formatted as text
// (codes, postal codes and phone numbers keep their leading zeros and +),
// and data validation: the maximum length of each column, and dropdowns for
// the yes/no columns (the language's words) and the country (the codes of
// the country sheet). The yes/no and country dropdowns only warn, since
// other yes/no words and country names are accepted; lengths stop.
func WriteTemplateXLSX(w io.Writer, lang string) (err error) {
	f := excelize.NewFile()
	defer func() { err = errors.Join(err, f.Close()) }()
	dataT, helpT, countriesT := templateSheets()
	data, help, countries := dataT.in(lang), helpT.in(lang), countriesT.in(lang)
	if err := f.SetSheetName("Sheet1", data); err != nil {
		return err
	}
	for _, s := range []string{help, countries} {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	if err := errors.Join(templateData(f, data, lang), templateHelp(f, help, lang), templateCountries(f, countries, lang)); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	f.SetActiveSheet(0)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	return nil
}

// templateData builds the data sheet.
func templateData(f *excelize.File, name, lang string) error {
	var errs []error
	check := func(err error) { errs = append(errs, err) }
	text, err := f.NewStyle(&excelize.Style{NumFmt: textFormat})
	check(err)
	header := func(fill string) int {
		id, err := f.NewStyle(&excelize.Style{
			Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}},
			Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
			NumFmt:    textFormat,
		})
		check(err)
		return id
	}
	required, optional := header(fillRequired), header(fillOptional)
	last := sheet.Field(sheet.NumFields - 1).TemplateLetter()
	check(f.SetColStyle(name, "A:"+last, text))
	widths := templateWidths()
	yes, no := rules.YesNo(lang)
	reqWord := helpColumns()[2].in(lang)
	for fl := range sheet.NumFields {
		col := fl.TemplateLetter()
		check(f.SetColWidth(name, col, col, widths[fl]))
		style := optional
		help := fillWords(fieldHelp(fl).in(lang), lang)
		if fl == sheet.CustomerCode || fl == sheet.CustomerName {
			style = required
			help = reqWord + ". " + help
		}
		check(f.SetCellStr(name, col+"1", fl.Header(lang)))
		check(f.SetCellStyle(name, col+"1", col+"1", style))
		check(f.AddComment(name, excelize.Comment{Author: "Intake", Cell: col + "1", Text: help, Width: 300, Height: 120}))
	}
	check(f.SetRowHeight(name, 1, 32))
	check(f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))

	lenTitle, lenMsg, flagTitle, flagMsg, countryTitle, countryMsg := templateMessages()
	rows := func(fl sheet.Field) string {
		return fmt.Sprintf("%s2:%s%d", fl.TemplateLetter(), fl.TemplateLetter(), sheet.DefaultMaxRows+1)
	}
	for fl := range sheet.NumFields {
		dv := excelize.NewDataValidation(true)
		dv.Sqref = rows(fl)
		switch {
		case fl == sheet.AddressIsDefault || fl == sheet.ContactIsDefault:
			check(dv.SetDropList([]string{yes, no}))
			dv.SetError(excelize.DataValidationErrorStyleWarning, flagTitle.in(lang), fillWords(flagMsg.in(lang), lang))
		case fl == sheet.Country:
			dv.SetSqrefDropList(countryListName)
			dv.SetError(excelize.DataValidationErrorStyleWarning, countryTitle.in(lang), fillWords(countryMsg.in(lang), lang))
		case fl.MaxLen() > 0:
			check(dv.SetRange(0, fl.MaxLen(), excelize.DataValidationTypeTextLength, excelize.DataValidationOperatorBetween))
			dv.SetError(excelize.DataValidationErrorStyleStop, lenTitle.in(lang),
				strings.ReplaceAll(lenMsg.in(lang), "{max}", strconv.Itoa(fl.MaxLen())))
		default:
			continue
		}
		check(f.AddDataValidation(name, dv))
	}
	return errors.Join(errs...)
}

// templateHelp builds the instructions sheet: the opening paragraphs, then
// one row per column with its header, whether it is required, what it holds
// and an example.
func templateHelp(f *excelize.File, name, lang string) error {
	var errs []error
	check := func(err error) { errs = append(errs, err) }
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	check(err)
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}, NumFmt: textFormat})
	check(err)
	head, err := f.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fillOptional}},
	})
	check(err)
	for col, w := range map[string]float64{"A": 10, "B": 28, "C": 13, "D": 80, "E": 28} {
		check(f.SetColWidth(name, col, col, w))
	}
	intro := templateIntro(lang)
	row := 1
	for i, p := range intro {
		cell := fmt.Sprintf("A%d", row)
		check(f.SetCellStr(name, cell, p))
		check(f.MergeCell(name, cell, fmt.Sprintf("E%d", row)))
		if i == 0 {
			check(f.SetCellStyle(name, cell, cell, title))
			check(f.SetRowHeight(name, row, 22))
		} else {
			check(f.SetCellStyle(name, cell, fmt.Sprintf("E%d", row), wrap))
			check(f.SetRowHeight(name, row, 32))
		}
		row++
	}
	row++
	for i, h := range helpColumns() {
		cell, _ := excelize.CoordinatesToCellName(i+1, row)
		check(f.SetCellStr(name, cell, h.in(lang)))
		check(f.SetCellStyle(name, cell, cell, head))
	}
	yes, _ := rules.YesNo(lang)
	for fl := range sheet.NumFields {
		row++
		req := ""
		if fl == sheet.CustomerCode || fl == sheet.CustomerName {
			req = yes
		}
		vals := []string{fl.TemplateLetter(), fl.Header(lang), req, fillWords(fieldHelp(fl).in(lang), lang), fieldExample(fl, lang)}
		for i, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(i+1, row)
			check(f.SetCellStr(name, cell, v))
		}
		check(f.SetCellStyle(name, fmt.Sprintf("A%d", row), fmt.Sprintf("E%d", row), wrap))
	}
	return errors.Join(errs...)
}

// templateCountries builds the country sheet: every accepted code with its
// name in lang, and the workbook name the country dropdown refers to.
func templateCountries(f *excelize.File, name, lang string) error {
	var errs []error
	check := func(err error) { errs = append(errs, err) }
	head, err := f.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fillOptional}},
	})
	check(err)
	names := tr{"Country", "Pays", "País"}
	check(f.SetSheetRow(name, "A1", &[]string{"Code", names.in(lang)}))
	check(f.SetCellStyle(name, "A1", "B1", head))
	check(f.SetColWidth(name, "A", "A", 8))
	check(f.SetColWidth(name, "B", "B", 44))
	list := rules.Countries(lang)
	for i, c := range list {
		check(f.SetSheetRow(name, fmt.Sprintf("A%d", i+2), &[]string{c.Code, c.Name}))
	}
	check(f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))
	check(f.SetDefinedName(&excelize.DefinedName{Name: countryListName,
		RefersTo: fmt.Sprintf("'%s'!$A$2:$A$%d", name, len(list)+1)}))
	return errors.Join(errs...)
}
