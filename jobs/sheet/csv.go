package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"intake/jobs/warning"
)

// Encoding is the character encoding a CSV file was read with.
type Encoding string

// The CSV encodings read (SPEC §3).
const (
	EncodingUTF8        Encoding = "utf-8"
	EncodingUTF8BOM     Encoding = "utf-8-bom"
	EncodingUTF16LE     Encoding = "utf-16le"
	EncodingUTF16BE     Encoding = "utf-16be"
	EncodingWindows1252 Encoding = "windows-1252"
)

// csvSource streams the records of a CSV file, decoded to UTF-8.
type csvSource struct {
	cr    *csv.Reader
	lim   *recordLimiter
	read  *countingReader // the raw bytes consumed, for progress
	size  int64
	enc   Encoding
	comma rune
	// num is the row number of the last record; end the line it ended on.
	num, end int
}

// recordTooLong stops a record that grows past Limits.MaxRecordBytes.
type recordTooLong struct{}

func (recordTooLong) Error() string { return "csv record too long" }

func openCSV(r io.ReaderAt, size int64, lim Limits) (*csvSource, error) {
	enc, skip, err := csvEncoding(r, size)
	if err != nil {
		return nil, err
	}
	var read *countingReader
	text := func() *recordLimiter {
		read = &countingReader{r: io.NewSectionReader(r, skip, size-skip)}
		var t io.Reader = read
		switch enc {
		case EncodingUTF16LE:
			t = transform.NewReader(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder())
		case EncodingUTF16BE:
			t = transform.NewReader(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder())
		case EncodingWindows1252:
			t = transform.NewReader(t, charmap.Windows1252.NewDecoder())
		}
		return &recordLimiter{r: t, max: lim.MaxRecordBytes, line: 1}
	}
	comma, err := sniffDelimiter(text(), lim.MaxRecordBytes)
	if err != nil {
		return nil, err
	}
	l := text()
	cr := csv.NewReader(l)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	// LazyQuotes stays off: a stray quote is corrupt_file naming its line,
	// rather than a field silently merged with the next ones.
	return &csvSource{cr: cr, lim: l, read: read, size: size - skip, enc: enc, comma: comma}, nil
}

// csvEncoding decides the encoding from the byte order mark, else from the
// whole content: valid UTF-8 is UTF-8, anything else Windows-1252, which is
// what French Excel writes. It returns how many BOM bytes to skip.
func csvEncoding(r io.ReaderAt, size int64) (Encoding, int64, error) {
	bom := make([]byte, min(size, 3))
	if _, err := r.ReadAt(bom, 0); err != nil && !errors.Is(err, io.EOF) {
		return "", 0, fmt.Errorf("read csv: %w", err)
	}
	switch {
	case bytes.HasPrefix(bom, []byte("\xef\xbb\xbf")):
		return EncodingUTF8BOM, 3, nil
	case bytes.HasPrefix(bom, []byte("\xff\xfe")):
		return EncodingUTF16LE, 2, nil
	case bytes.HasPrefix(bom, []byte("\xfe\xff")):
		return EncodingUTF16BE, 2, nil
	}
	ok, err := validUTF8(r, size)
	if err != nil {
		return "", 0, fmt.Errorf("read csv: %w", err)
	}
	if ok {
		return EncodingUTF8, 0, nil
	}
	return EncodingWindows1252, 0, nil
}

// validUTF8 checks the whole content in chunks, carrying a rune split across
// two chunks to the next one.
func validUTF8(r io.ReaderAt, size int64) (bool, error) {
	const chunk = 256 << 10
	buf := make([]byte, chunk+utf8.UTFMax)
	carry := 0
	for off := int64(0); off < size; {
		n, err := r.ReadAt(buf[carry:carry+int(min(chunk, size-off))], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		if n == 0 {
			return false, io.ErrUnexpectedEOF
		}
		off += int64(n)
		data := buf[:carry+n]
		cut := len(data)
		if off < size {
			// Hold back an incomplete rune at the end of the chunk.
			for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax; i-- {
				if utf8.RuneStart(data[i]) {
					if !utf8.FullRune(data[i:]) {
						cut = i
					}
					break
				}
			}
		}
		if !utf8.Valid(data[:cut]) {
			return false, nil
		}
		carry = copy(buf, data[cut:])
	}
	return carry == 0 || utf8.Valid(buf[:carry]), nil
}

// delimiters are the candidates, in the order that wins a tie.
func delimiters() []rune { return []rune{',', ';', '\t', '|'} }

// sniffDelimiter reads the header record and picks the candidate delimiter
// that splits it into the most fields, quotes respected. With no candidate
// in the header (a single column), it is the comma.
func sniffDelimiter(text io.Reader, max int) (rune, error) {
	line, err := headerRecord(bufio.NewReader(text))
	if errors.As(err, new(recordTooLong)) {
		return 0, fileError(warning.CorruptFile, err, "the header record is longer than %d bytes; upload %s", max, acceptedFormats)
	}
	if err != nil {
		return 0, fmt.Errorf("read csv header: %w", err)
	}
	best, bestN := ',', 0
	for _, d := range delimiters() {
		cr := csv.NewReader(bytes.NewReader(line))
		cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = d, true, -1
		rec, _ := cr.Read()
		if len(rec) > bestN {
			best, bestN = d, len(rec)
		}
	}
	return best, nil
}

// headerRecord returns the first non-empty record's bytes: up to the first
// line feed outside double quotes.
func headerRecord(br *bufio.Reader) ([]byte, error) {
	var line []byte
	quoted := false
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return line, nil
		}
		if err != nil {
			return nil, err
		}
		switch {
		case b == '"':
			quoted = !quoted
		case b == '\n' && !quoted:
			if len(bytes.TrimRight(line, "\r")) == 0 {
				line = line[:0]
				continue
			}
			return line, nil
		}
		line = append(line, b)
	}
}

// next returns the next record, numbered as Excel numbers the rows when it
// opens the file: an empty line, which encoding/csv skips, still takes a
// row number (it shows as a blank row), and a record with embedded line feeds
// takes one.
func (s *csvSource) next() (int, []string, error) {
	rec, err := s.cr.Read()
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		switch {
		case errors.As(err, new(recordTooLong)):
			return 0, nil, fileError(warning.CorruptFile, err,
				"a CSV record near line %d is longer than %d bytes; upload %s", s.lim.line, s.lim.max, acceptedFormats)
		case errors.As(err, &pe):
			return 0, nil, fileError(warning.CorruptFile, err,
				"the CSV is malformed at line %d, column %d: %v; quote fields that hold the delimiter, quotes or line breaks (\"a \"\"b\"\"\")",
				pe.Line, pe.Column, pe.Err)
		}
		return 0, nil, fmt.Errorf("read csv: %w", err)
	}
	start, _ := s.cr.FieldPos(0)
	last, _ := s.cr.FieldPos(len(rec) - 1)
	s.num += start - s.end
	s.end = last + strings.Count(rec[len(rec)-1], "\n")
	return s.num, rec, nil
}

func (s *csvSource) close() error { return nil }

// progress is approximate: encoding/csv and the decoders read ahead.
func (s *csvSource) progress() float64 {
	if s.size <= 0 {
		return 0
	}
	return min(1, float64(s.read.n)/float64(s.size))
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// recordLimiter passes the decoded text through and fails once a record grows
// past max bytes, before encoding/csv buffers it: a record ends at a line feed
// outside double quotes.
type recordLimiter struct {
	r      io.Reader
	max    int
	n      int // bytes of the current record so far
	line   int // line number of the last byte passed, for messages
	quoted bool
	err    error
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		switch b {
		case '"':
			l.quoted = !l.quoted
		case '\n':
			l.line++
			if !l.quoted {
				l.n = 0
				continue
			}
		}
		if l.n++; l.n > l.max {
			l.err = recordTooLong{}
			return i, l.err
		}
	}
	return n, err
}
