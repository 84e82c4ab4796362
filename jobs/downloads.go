package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"intake/jobs/report"
	"intake/jobs/sheet"
	"intake/jobs/warning"
)

// Download is a file ready to be sent: a template or a report.
type Download struct {
	// Name is the file name to suggest, as built from the user's own file
	// name: the HTTP layer sanitizes it.
	Name        string
	ContentType string
	// Lang is the language the file is written in.
	Lang string
	Size int64
	// Body reads the file; closing it removes any temp file.
	Body io.ReadCloser
}

// Template returns the customer template in lang (fr, en or pt; anything
// else is English) and format. It is a few tens of kilobytes, built in
// memory.
func (s *Service) Template(lang string, format report.Format) (*Download, error) {
	lang = warning.Lang(lang)
	var buf bytes.Buffer
	if err := report.WriteTemplate(&buf, format, lang); err != nil {
		return nil, err
	}
	return &Download{
		Name:        warning.DownloadName(lang, "template") + "." + string(format),
		ContentType: format.ContentType(),
		Lang:        lang,
		Size:        int64(buf.Len()),
		Body:        io.NopCloser(&buf),
	}, nil
}

// reportStatuses are the statuses whose import has a report: its warnings
// exist once validated and stay after completion.
func reportStatuses() []Status { return []Status{StatusValidated, StatusConfirming, StatusCompleted} }

// Report returns the report of one of the tenant's imports in lang and
// format (see package report): every data row of the uploaded file, read
// again from the blob store, with its status and messages. It is available
// once the import is validated, while it is confirmed and after it
// completed (else invalid_state), as long as the upload is kept (else
// file_deleted).
//
// The report is written to a temp file in TempDir before anything is sent:
// the database cursor is held while the report is generated, never while a
// slow client downloads it; a failure midway is a clean error, not a
// truncated file; and the answer has a Content-Length. Plan disk for the
// upload, its report and, for an xlsx, the report's worksheet XML.
func (s *Service) Report(ctx context.Context, tenantID int64, id, lang string, format report.Format) (*Download, error) {
	imp, err := s.Store.Import(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	ok := false
	for _, st := range reportStatuses() {
		ok = ok || imp.Status == st
	}
	if !ok {
		return nil, &Error{Code: ErrCodeInvalidState,
			Message: fmt.Sprintf("an import that is %s has no report; reports exist once an import is validated", imp.Status)}
	}
	release, err := s.reportSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	upload, err := s.fetchUpload(ctx, imp)
	if err != nil {
		return nil, err
	}
	defer os.Remove(upload)
	r, err := sheet.OpenFile(upload, s.limits())
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	defer r.Close()

	out, err := os.CreateTemp(s.TempDir, "intake-report-*")
	if err != nil {
		return nil, fmt.Errorf("report temp file: %w", err)
	}
	body := &tempFile{File: out}
	lang = warning.Lang(lang)
	in := report.Input{Header: r.Header(), Rows: &ctxRows{ctx: ctx, rows: r}, Marks: s.Store.ReportMarks(ctx, imp.ID)}
	err = report.Write(out, format, in, report.Options{Lang: lang, TempDir: s.TempDir})
	var size int64
	if err == nil {
		size, err = out.Seek(0, io.SeekCurrent)
	}
	if err == nil {
		_, err = out.Seek(0, io.SeekStart)
	}
	if err != nil {
		body.Close()
		return nil, fmt.Errorf("write report: %w", err)
	}
	return &Download{
		Name:        reportName(imp.Filename, lang, format),
		ContentType: format.ContentType(),
		Lang:        lang,
		Size:        size,
		Body:        body,
	}, nil
}

// reportSlot waits for one of the MaxReports slots of report building, or
// for ctx; release frees it.
func (s *Service) reportSlot(ctx context.Context) (release func(), err error) {
	if s.MaxReports <= 0 {
		return func() {}, nil
	}
	s.reportsOnce.Do(func() { s.reportsSlots = make(chan struct{}, s.MaxReports) })
	select {
	case s.reportsSlots <- struct{}{}:
		return func() { <-s.reportsSlots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// limits are the sheet limits of the report's reader: the service's, with
// its temp dir.
func (s *Service) limits() sheet.Limits {
	lim := s.Limits
	if lim.TempDir == "" {
		lim.TempDir = s.TempDir
	}
	return lim
}

// fetchUpload copies the import's file to a temp file (an xlsx needs random
// access). A missing file that retention deleted is file_deleted.
func (s *Service) fetchUpload(ctx context.Context, imp *Import) (string, error) {
	body, _, err := s.Blobs.Open(ctx, imp.ObjectKey)
	if err != nil {
		if deleted, derr := s.Store.FileDeleted(ctx, imp.ID); derr == nil && deleted {
			return "", &Error{Code: ErrCodeFileDeleted, Err: err,
				Message: "the uploaded file was deleted at the end of the retention period; its report can no longer be produced"}
		}
		// A file missing before its time is an internal fault, whatever
		// the blob store calls it.
		return "", &Error{Code: ErrCodeInternal, Message: "open upload", Err: err}
	}
	defer body.Close()
	f, err := os.CreateTemp(s.TempDir, "intake-upload-*")
	if err != nil {
		return "", fmt.Errorf("temp file: %w", err)
	}
	_, err = io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("download upload: %w", err)
	}
	return f.Name(), nil
}

// reportName is the suggested name of a report: the upload's name without
// its extension, then the language's word for report ("customers.csv" in
// French gives "customers-rapport.xlsx").
func reportName(filename, lang string, format report.Format) string {
	base := filename
	if ext := path.Ext(base); len(ext) > 1 && len(ext) <= 5 && !strings.ContainsAny(ext, " ") {
		base = strings.TrimSuffix(base, ext)
	}
	if base = strings.TrimSpace(base); base == "" {
		base = "import"
	}
	return base + "-" + warning.DownloadName(lang, "report") + "." + string(format)
}

// ctxRows stops a report's rows when ctx is done (the client went away),
// checking every 1,024 rows.
type ctxRows struct {
	ctx  context.Context
	rows report.Rows
	n    int
}

func (c *ctxRows) Next() (sheet.Row, error) {
	if c.n++; c.n%1024 == 0 {
		if err := c.ctx.Err(); err != nil {
			return sheet.Row{}, err
		}
	}
	return c.rows.Next()
}

// tempFile is a file removed when closed.
type tempFile struct {
	*os.File
}

func (t *tempFile) Close() error {
	return errors.Join(t.File.Close(), os.Remove(t.Name()))
}
