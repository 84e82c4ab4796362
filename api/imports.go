package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"intake/jobs"
	"intake/jobs/warning"
)

// multipartSlack is what a multipart body may hold beyond the file itself
// (boundaries, part headers, small fields) before Content-Length alone
// refuses it; the file part is held to MaxUploadBytes exactly.
const multipartSlack = 1 << 20

// importJSON is the import object of SPEC §7, with error.message in the
// caller's language.
type importJSON struct {
	*jobs.Import
	Error *jobs.Failure `json:"error"`
}

func importView(lang string, imp *jobs.Import) importJSON {
	v := importJSON{Import: imp}
	if f := imp.Error; f != nil {
		v.Error = &jobs.Failure{Code: f.Code, Message: warning.FileMessage(lang, warning.Code(f.Code), f.Message)}
	}
	return v
}

// upload handles POST /v1/imports: the file is the multipart part "file",
// or the raw body with ?filename=. It is streamed to the blob store, never
// held in memory, and held to MaxUploadBytes while it streams: a larger file
// is refused with 413 and creates no import. A Content-Length over the limit
// is refused before the body is read.
func (s *server) upload(w http.ResponseWriter, r *http.Request, t jobs.Tenant) error {
	maxBytes := s.cfg.MaxUploadBytes
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isMultipart := mediaType == "multipart/form-data"
	bodyMax := maxBytes
	if isMultipart {
		bodyMax += multipartSlack
	}
	if r.ContentLength > bodyMax {
		return tooLarge()
	}
	r.Body = http.MaxBytesReader(w, r.Body, bodyMax)

	filename, size := r.URL.Query().Get("filename"), r.ContentLength
	var body io.Reader = r.Body
	if isMultipart {
		part, err := filePart(r)
		if err != nil {
			return err
		}
		if name := part.FileName(); name != "" {
			filename = name
		}
		body, size = part, -1
	}
	lr := &limitReader{r: body, left: maxBytes, max: maxBytes}
	imp, err := s.svc.Upload(r.Context(), t.ID, filename, lr, size)
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case lr.over || errors.As(err, &mbe):
			return tooLarge()
		case lr.err != nil && r.Context().Err() == nil:
			return &jobs.Error{Code: jobs.ErrCodeInvalidRequest, Message: "the upload could not be read to its end", Err: lr.err}
		}
		return err
	}
	w.Header().Set("Location", "/v1/imports/"+imp.ID)
	s.writeJSON(w, r, http.StatusAccepted, importView(lang(r), imp))
	return nil
}

func tooLarge() error {
	return &jobs.Error{Code: jobs.ErrCodeFileTooLarge, Message: "the file is larger than the upload limit"}
}

// filePart returns the multipart part named "file", skipping the parts
// before it (the body's size limit bounds what is skipped).
func filePart(r *http.Request) (interface {
	io.Reader
	FileName() string
}, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("the multipart body is malformed")
	}
	for {
		part, err := mr.NextPart()
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return nil, tooLarge()
		case errors.Is(err, io.EOF):
			return nil, badRequest(`the multipart body has no part named "file"`)
		case err != nil:
			return nil, badRequest("the multipart body is malformed")
		}
		if part.FormName() == "file" {
			return part, nil
		}
		if _, err := io.Copy(io.Discard, part); err != nil {
			if errors.As(err, &mbe) {
				return nil, tooLarge()
			}
			return nil, badRequest("the multipart body is malformed")
		}
	}
}

// limitReader reads at most max bytes: one more is an *http.MaxBytesError.
// It remembers the limit and any read error, whatever the blob store makes
// of them, so that upload answers 413 or 400 rather than 500.
type limitReader struct {
	r         io.Reader
	left, max int64
	over      bool
	err       error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.over {
		return 0, &http.MaxBytesError{Limit: l.max}
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	if int64(n) > l.left {
		n, l.left, l.over = int(l.left), 0, true
		return n, &http.MaxBytesError{Limit: l.max}
	}
	l.left -= int64(n)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		l.over = true
	case err != nil && err != io.EOF:
		l.err = err
	}
	return n, err
}

// listImports handles GET /v1/imports: the tenant's imports, newest first.
func (s *server) listImports(w http.ResponseWriter, r *http.Request, t jobs.Tenant) error {
	limit, err := pageLimit(r, 50, 200)
	if err != nil {
		return err
	}
	var c struct {
		CreatedAt time.Time `json:"t"`
		ID        string    `json:"id"`
	}
	var after *jobs.ImportCursor
	if ok, err := decodeCursor(r, &c); err != nil {
		return err
	} else if ok {
		after = &jobs.ImportCursor{CreatedAt: c.CreatedAt, ID: c.ID}
	}
	imps, err := s.svc.Imports(r.Context(), t.ID, after, limit+1)
	if err != nil {
		return err
	}
	l := lang(r)
	s.writeJSON(w, r, http.StatusOK, paginate(imps, limit,
		func(imp *jobs.Import) importJSON { return importView(l, imp) },
		func(imp *jobs.Import) any {
			c.CreatedAt, c.ID = imp.CreatedAt, imp.ID
			return c
		}))
	return nil
}

// getImport handles GET /v1/imports/{id}.
func (s *server) getImport(w http.ResponseWriter, r *http.Request, t jobs.Tenant) error {
	imp, err := s.svc.Import(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, importView(lang(r), imp))
	return nil
}

// confirmImport handles POST /v1/imports/{id}/confirm: 202, and the same
// answer when repeated.
func (s *server) confirmImport(w http.ResponseWriter, r *http.Request, t jobs.Tenant) error {
	imp, err := s.svc.Confirm(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusAccepted, importView(lang(r), imp))
	return nil
}

// cancelImport handles DELETE /v1/imports/{id}: the import is cancelled,
// not erased; its file goes with the retention period.
func (s *server) cancelImport(w http.ResponseWriter, r *http.Request, t jobs.Tenant) error {
	imp, err := s.svc.Cancel(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, importView(lang(r), imp))
	return nil
}
