package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"intake/jobs"
	"intake/jobs/report"
)

// getTemplate handles GET /v1/templates/customers.xlsx and .csv: the
// customer template in the caller's language (?lang= or Accept-Language).
func (s *server) getTemplate(format report.Format) tenantHandler {
	return func(w http.ResponseWriter, r *http.Request, _ jobs.Tenant) error {
		d, err := s.svc.Template(lang(r), format)
		if err != nil {
			return err
		}
		s.sendDownload(w, r, d)
		return nil
	}
}

// getReport handles GET /v1/imports/{id}/report.xlsx and .csv: the
// import's rows with their status and messages in the caller's language.
// The report is generated completely before the answer starts (see
// jobs.Service.Report), so that a failure is a problem, never a truncated
// file.
func (s *server) getReport(format report.Format) tenantHandler {
	return func(w http.ResponseWriter, r *http.Request, t jobs.Tenant) error {
		d, err := s.svc.Report(r.Context(), t.ID, r.PathValue("id"), lang(r), format)
		if err != nil {
			return err
		}
		s.sendDownload(w, r, d)
		return nil
	}
}

// sendDownload answers d as an attachment and closes it.
func (s *server) sendDownload(w http.ResponseWriter, r *http.Request, d *jobs.Download) {
	defer d.Body.Close()
	h := w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Disposition", contentDisposition(d.Name))
	h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
	h.Set("Content-Language", d.Lang)
	h.Add("Vary", "Accept-Language")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, d.Body); err != nil {
		s.log.DebugContext(r.Context(), "send download", "route", r.Pattern, "err", err)
	}
}

// maxNameRunes bounds a downloaded file's name; the extension is kept.
const maxNameRunes = 120

// contentDisposition returns the Content-Disposition of an attachment named
// name (a user's file name is part of a report's): the name is sanitized
// (see sanitizeFilename), given as an ASCII-only filename= for old clients
// and, when it is not plain ASCII, as RFC 5987's filename*=UTF-8”… which
// current browsers prefer (RFC 6266).
func contentDisposition(name string) string {
	name = sanitizeFilename(name)
	ascii := asciiFilename(name)
	v := `attachment; filename="` + ascii + `"`
	if ascii != name {
		v += "; filename*=UTF-8''" + rfc5987(name)
	}
	return v
}

// sanitizeFilename makes name safe to save on any system: no control or
// format characters (a right-to-left override could disguise the
// extension), no path separators or characters Windows refuses
// (< > : " / \ | ? *), no leading or trailing dots (no hidden file) or
// spaces, at most maxNameRunes characters (the extension kept), and
// "download" when nothing is left.
func sanitizeFilename(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return -1
		case strings.ContainsRune(`<>:"/\|?*`, r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, norm.NFC.String(name))
	name = strings.Trim(name, ". ")
	if n := utf8.RuneCountInString(name); n > maxNameRunes {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 6 {
			ext = name[i:]
		}
		runes := []rune(strings.TrimSuffix(name, ext))
		name = strings.TrimRight(string(runes[:maxNameRunes-utf8.RuneCountInString(ext)]), ". ") + ext
	}
	if name == "" {
		name = "download"
	}
	return name
}

// asciiFilename is the plain-ASCII fallback of a sanitized name: accents
// dropped (é → e), any other non-ASCII character, and % (which some clients
// would decode), replaced by _.
func asciiFilename(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r < 0x20 || r > 0x7e || r == '%' || r == '"' || r == '\\':
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// rfc5987 percent-encodes s as an RFC 5987 ext-value: UTF-8 bytes, every
// byte but attr-char as %XX.
func rfc5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
