// Package warning owns the catalogue of codes that Intake reports: the
// file-level errors that fail an import, and the red and yellow row warnings
// of the product specification (SPEC §4). A warning is data with a position,
// like encoding/csv's ParseError, never a Go error; a file-level problem is a
// FileError, which is one.
package warning

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable identifier. Codes never change; messages
// are derived from them in the caller's language.
type Code string

// Severity says what a code does to a row or to the import.
type Severity string

const (
	// SeverityFile fails the whole import: nothing is applied.
	SeverityFile Severity = "file"
	// SeverityError is red: the row is not imported.
	SeverityError Severity = "error"
	// SeverityWarning is yellow: the row is imported; something is updated or corrected.
	SeverityWarning Severity = "warning"
)

// File-level codes (SPEC §4 "File-level errors").
const (
	UnsupportedFormat      Code = "unsupported_format"
	EncryptedFile          Code = "encrypted_file"
	CorruptFile            Code = "corrupt_file"
	TooManyRows            Code = "too_many_rows"
	NoHeader               Code = "no_header"
	MissingRequiredColumns Code = "missing_required_columns"
	DuplicateColumn        Code = "duplicate_column"
	NoData                 Code = "no_data"
	// FileTooLarge is refused at upload (HTTP 413) and creates no import.
	FileTooLarge Code = "file_too_large"
)

// Red codes: the row is not imported.
const (
	CodeMissing        Code = "code_missing"
	NameMissing        Code = "name_missing"
	TooLong            Code = "too_long"
	CountryInvalid     Code = "country_invalid"
	EmailInvalid       Code = "email_invalid"
	AddressCodeMissing Code = "address_code_missing"
	ContactNameMissing Code = "contact_name_missing"
	InvalidCharacters  Code = "invalid_characters"
)

// Yellow codes: the row is imported; something is updated or corrected.
const (
	CustomerExists           Code = "customer_exists"
	AddressExists            Code = "address_exists"
	ContactExists            Code = "contact_exists"
	CustomerValueConflict    Code = "customer_value_conflict"
	AddressRepeated          Code = "address_repeated"
	ContactRepeated          Code = "contact_repeated"
	CountryConverted         Code = "country_converted"
	FlagUnrecognized         Code = "flag_unrecognized"
	MultipleDefaultAddresses Code = "multiple_default_addresses"
	MultipleDefaultContacts  Code = "multiple_default_contacts"
	PostalCodePadded         Code = "postal_code_padded"
	VATFormatSuspect         Code = "vat_format_suspect"
	UnknownColumn            Code = "unknown_column"
)

// Entry describes one code of the catalogue.
type Entry struct {
	Code     Code
	Severity Severity
	// When says, in English, when the code is raised; the README's rules
	// section and SPEC §4 must agree with the list of codes (a test checks).
	When string
}

// Catalog returns every code Intake reports, in the order of SPEC §4. It is
// the one list of codes: severities, documentation checks and message
// catalogues derive from it.
func Catalog() []Entry {
	return []Entry{
		{CodeMissing, SeverityError, "the row has data but no customer code"},
		{NameMissing, SeverityError, "no name on this row, no other non-error row of this code gives one, and the customer does not exist yet"},
		{TooLong, SeverityError, "a value exceeds the column's max length"},
		{CountryInvalid, SeverityError, "the country is neither a code, the alias, nor a recognised name"},
		{EmailInvalid, SeverityError, "the contact email is not a single valid address"},
		{AddressCodeMissing, SeverityError, "address details (E–K) are given without an address code"},
		{ContactNameMissing, SeverityError, "contact details (M–O) are given without a contact name"},
		{InvalidCharacters, SeverityError, "a value holds control characters (other than tab/newline)"},

		{CustomerExists, SeverityWarning, "the customer code exists and this import changes it"},
		{AddressExists, SeverityWarning, "the address code exists for this customer and its details change"},
		{ContactExists, SeverityWarning, "the contact exists for this customer and its details change"},
		{CustomerValueConflict, SeverityWarning, "name or VAT differs from an earlier row of the same code; the later value wins"},
		{AddressRepeated, SeverityWarning, "the same address code appears earlier for this customer with other details; the later row wins"},
		{ContactRepeated, SeverityWarning, "the same contact appears earlier for this customer with other details; the later row wins"},
		{CountryConverted, SeverityWarning, "a country name was converted to its code"},
		{FlagUnrecognized, SeverityWarning, "a yes/no cell holds something else; it is read as no"},
		{MultipleDefaultAddresses, SeverityWarning, "several rows of the customer mark a default address; the last one wins"},
		{MultipleDefaultContacts, SeverityWarning, "several rows of the customer mark a default contact; the last one wins"},
		{PostalCodePadded, SeverityWarning, "a numeric postal code lost its leading zeros and was padded"},
		{VATFormatSuspect, SeverityWarning, "the VAT number starts with a known country prefix but does not fit its pattern"},
		{UnknownColumn, SeverityWarning, "a header that is not in the template; the column is ignored"},

		{UnsupportedFormat, SeverityFile, "the content is neither an xlsx workbook nor a CSV text file"},
		{EncryptedFile, SeverityFile, "the workbook is password-protected"},
		{CorruptFile, SeverityFile, "the file cannot be read as a workbook, or unpacks beyond the size limit"},
		{TooManyRows, SeverityFile, "the file has more data rows than the limit"},
		{NoHeader, SeverityFile, "row 1 matches no template header"},
		{MissingRequiredColumns, SeverityFile, "row 1 lacks the customer code or customer name column"},
		{DuplicateColumn, SeverityFile, "two headers name the same template column"},
		{NoData, SeverityFile, "the file is empty or has a header without data rows"},
		{FileTooLarge, SeverityFile, "the upload exceeds the size limit (refused with 413)"},
	}
}

// Severity returns the severity of c, or "" for a code not in the catalogue.
// It is a switch rather than a search of Catalog because it runs for every
// warning; TestCatalogSeverities keeps the two in step.
func (c Code) Severity() Severity {
	switch c {
	case CodeMissing, NameMissing, TooLong, CountryInvalid, EmailInvalid, AddressCodeMissing,
		ContactNameMissing, InvalidCharacters:
		return SeverityError
	case CustomerExists, AddressExists, ContactExists, CustomerValueConflict, AddressRepeated, ContactRepeated,
		CountryConverted, FlagUnrecognized, MultipleDefaultAddresses, MultipleDefaultContacts, PostalCodePadded,
		VATFormatSuspect, UnknownColumn:
		return SeverityWarning
	case UnsupportedFormat, EncryptedFile, CorruptFile, TooManyRows, NoHeader, MissingRequiredColumns,
		DuplicateColumn, NoData, FileTooLarge:
		return SeverityFile
	}
	return ""
}

// Change is one field changed by a row: the stored or earlier value and the
// value that wins.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
	// OldRow, when set, is the earlier row of the file whose value of Field
	// is Old, still to be read from it: the validator keeps fingerprints of
	// earlier rows, not their values, and leaves this to the sink that
	// stored the row (see rules.Recaller).
	OldRow int `json:"-"`
}

// Warning is one finding on one row. Row is the spreadsheet's own row number
// (header = 1). Column is the letter of the column in the uploaded file ("" when
// the finding is about the row as a whole); Field the template field name.
type Warning struct {
	Row    int    `json:"row"`
	Column string `json:"column,omitempty"`
	Field  string `json:"field,omitempty"`
	Code   Code   `json:"code"`
	// Value is the offending value as read (before normalisation).
	Value string `json:"value,omitempty"`
	// Params carries scalar parameters: "max" for too_long, "to" for
	// country_converted and postal_code_padded, "header" for unknown_column,
	// "first_row" for repeats and conflicts.
	Params map[string]string `json:"params,omitempty"`
	// Changes lists old → new values for the *_exists, *_repeated and
	// customer_value_conflict codes.
	Changes []Change `json:"changes,omitempty"`
}

// Severity is the severity of the warning's code.
func (w Warning) Severity() Severity { return w.Code.Severity() }

// FileError is a file-level problem: the import fails with Code and nothing
// is applied. Detail is a user-safe English sentence; Err, if set, is the
// underlying cause for logs.
type FileError struct {
	Code   Code
	Detail string
	Err    error
}

func (e *FileError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Detail, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Detail)
}

func (e *FileError) Unwrap() error { return e.Err }

// AsFileError reports whether err is (or wraps) a FileError and returns it.
func AsFileError(err error) (*FileError, bool) {
	var fe *FileError
	ok := errors.As(err, &fe)
	return fe, ok
}
