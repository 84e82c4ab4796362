package sheet

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// errNoInline makes openXLSX read the package as it is: something in it
// (a DTD, malformed XML, an index past the table, a table past 4 GiB) is
// outside what the inliner rewrites faithfully. The rewrite is only ever an
// optimization: excelize then reads, or reports, the package itself.
var errNoInline = errors.New("shared strings not inlined")

// inlining is an inlineSharedStrings running on its own goroutine.
type inlining struct {
	done chan struct{}
	path string
	err  error
}

// startInlining starts inlineSharedStrings when the package has a
// shared-strings part larger than lim.MaxUnzipXMLSize (the ones excelize
// spills and indexes string by string); it returns nil otherwise.
func startInlining(zr *zip.Reader, lim Limits) *inlining {
	for _, f := range zr.File {
		if zipName(f.Name) == "xl/sharedstrings.xml" && int64(f.UncompressedSize64) > lim.MaxUnzipXMLSize {
			in := &inlining{done: make(chan struct{})}
			go func() {
				defer close(in.done)
				in.path, in.err = inlineSharedStrings(zr, lim)
			}()
			return in
		}
	}
	return nil
}

// wait returns the inlined copy's path, or "" when there is none (not
// needed, or errNoInline: the package is read as it is).
func (in *inlining) wait() (string, error) {
	if in == nil {
		return "", nil
	}
	<-in.done
	if errors.Is(in.err, errNoInline) {
		return "", nil
	}
	return in.path, in.err
}

// inlineSharedStrings writes, to a temp file in lim.TempDir, a copy of the
// package whose first worksheet has its shared-string cells (t="s", an index
// into xl/sharedStrings.xml) turned into inline-string cells holding the
// same <si> content, and no shared-strings part. It returns the file's path.
//
// Why: a shared-strings part larger than MaxUnzipXMLSize (any Excel file of
// a few hundred thousand rows) makes excelize index it with one small slice
// per string — 40 bytes and a pointer each, some 300 MB at a million rows,
// scanned by every garbage collection — and read each string back from a
// temp file as the cells come. Here the table is held once, as one byte
// slice and offsets, for the time of the rewrite; excelize then reads
// inline strings, the same way and about twice as fast. The <si> element's
// content is copied byte for byte into <is>, which excelize decodes with
// the same type, and formats the same (shared and inline strings are both
// text to the number formats), so every cell reads as before.
//
// Two more rewrites make excelize's parse cheaper, each what excelize reads
// the same way: a string that is plain text in one <t> (most are) goes into
// the inline cell's <v>, which excelize reads as the same text with the
// same formatting, without decoding an <is> element; and the reference of a
// cell that follows the previous one in its row is dropped (see cellRefs).
// excelize parses every element with encoding/xml, and every attribute and
// element saved counts: on the benchmark's million rows the inlined copy
// reads in 42 s with both, 46 s with the first only, and 65 s without.
func inlineSharedStrings(zr *zip.Reader, lim Limits) (path string, err error) {
	parts := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		parts[zipName(f.Name)] = f
	}
	sstPart := parts["xl/sharedstrings.xml"]
	_, sheetPart, err := firstWorksheet(parts, 4*lim.MaxUnzipXMLSize)
	if err != nil {
		return "", err
	}
	if sstPart == nil || sstPart.UncompressedSize64 >= 1<<32 {
		return "", errNoInline
	}
	sst, err := readSharedStrings(sstPart, lim.MaxRecordBytes)
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(lim.TempDir, "intake-inline-*.xlsx")
	if err != nil {
		return "", fmt.Errorf("inline shared strings: %w", err)
	}
	defer func() {
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	zw := zip.NewWriter(bw)
	for _, f := range zr.File {
		switch f {
		case sstPart:
		case sheetPart:
			// Stored, not deflated: excelize unpacks it to its own temp file
			// straight away, and compressing would cost more than the disk.
			w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
			if err != nil {
				return "", fmt.Errorf("inline shared strings: %w", err)
			}
			rc, err := f.Open()
			if err != nil {
				return "", errNoInline
			}
			err = inlineSheet(rc, w, sst, lim.MaxRecordBytes)
			rc.Close()
			if err != nil {
				return "", err
			}
		default:
			if err := zw.Copy(f); err != nil {
				return "", errNoInline
			}
		}
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("inline shared strings: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return "", fmt.Errorf("inline shared strings: %w", err)
	}
	return tmp.Name(), nil
}

// sstTable holds the content of every <si>, raw, end to end.
type sstTable struct {
	blob []byte
	ends []uint32 // ends[i] is where string i ends in blob
}

// last is where the last complete string ends.
func (t *sstTable) last() uint32 {
	if len(t.ends) == 0 {
		return 0
	}
	return t.ends[len(t.ends)-1]
}

func (t *sstTable) item(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.blob[start:t.ends[i]]
}

// readSharedStrings collects the raw content of each <si> element, in
// order, wherever it stands (as excelize's temp-file index does).
func readSharedStrings(part *zip.File, maxTok int) (*sstTable, error) {
	rc, err := part.Open()
	if err != nil {
		return nil, errNoInline
	}
	defer rc.Close()
	t := &sstTable{blob: make([]byte, 0, part.UncompressedSize64/2)}
	s := newXMLScanner(rc, maxTok)
	inSI := false
	for {
		text, err := s.text()
		if inSI {
			t.blob = append(t.blob, text...)
		}
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return nil, err
		}
		tag, err := s.tag()
		if err != nil {
			return nil, err
		}
		name, kind := tagName(tag)
		switch {
		case string(name) == "si" && kind == startTag && !inSI:
			inSI = true
		case string(name) == "si" && kind == emptyTag && !inSI:
			t.ends = append(t.ends, uint32(len(t.blob)))
		case string(name) == "si" && kind == endTag && inSI:
			inSI = false
			t.ends = append(t.ends, uint32(len(t.blob)))
		case inSI:
			t.blob = append(t.blob, tag...)
		}
		if inSI && len(t.blob)-int(t.last()) > 16*maxTok {
			return nil, errNoInline
		}
	}
}

// inlineSheet copies worksheet XML from r to w, rewriting each t="s" cell
// with a value into a t="inlineStr" cell whose <v> holds the shared string's
// text when it is plain (see plainText), else whose <is> holds its content,
// and dropping the cells' references that excelize does not need.
func inlineSheet(r io.Reader, w io.Writer, sst *sstTable, maxTok int) error {
	s := newXMLScanner(r, maxTok)
	bw := bufio.NewWriterSize(w, 1<<20)
	var start, cell []byte
	isPrefix, isOpen, isClose := "", "<is>", "</is>"
	vOpen, vClose := "<v>", "</v>"
	var refs cellRefs
	for {
		text, err := s.text()
		bw.Write(text)
		if err == io.EOF {
			return bw.Flush()
		}
		if err != nil {
			return err
		}
		tag, err := s.tag()
		if err != nil {
			return err
		}
		name, kind := tagName(tag)
		switch {
		case string(name) == "row":
			refs.row(kind, len(s.ends))
		case string(name) == "c" && kind != endTag:
			tag = refs.cell(tag, kind, len(s.ends))
		}
		if string(name) != "c" || kind != startTag {
			bw.Write(tag)
			continue
		}
		ts, te, ok := sharedStringType(tag)
		if !ok {
			bw.Write(tag)
			continue
		}
		start = append(start[:0], tag...)
		var v valuePos
		idx, n := s.sharedIndex(len(sst.ends))
		if n > 0 {
			cell = append(cell[:0], s.win[s.pos-n:s.pos]...)
			v = valuePos{start: 0, end: n - len("</c>"), found: true}
			ok = true
		} else {
			if cell, v, err = s.cellContent(cell[:0]); err != nil {
				return err
			}
			if idx, ok, err = v.index(cell, len(sst.ends)); err != nil {
				return err
			}
		}
		if !ok {
			bw.Write(start)
			bw.Write(cell)
			continue
		}
		if prefix := elemPrefix(start); prefix != isPrefix {
			isPrefix, isOpen, isClose = prefix, "<"+prefix+"is>", "</"+prefix+"is>"
			vOpen, vClose = "<"+prefix+"v>", "</"+prefix+"v>"
		}
		bw.Write(start[:ts])
		bw.WriteString("inlineStr")
		bw.Write(start[te:])
		bw.Write(cell[:v.start])
		item := sst.item(idx)
		if text, ok := plainText(item); ok {
			bw.WriteString(vOpen)
			bw.Write(text)
			bw.WriteString(vClose)
		} else {
			bw.WriteString(isOpen)
			bw.Write(item)
			bw.WriteString(isClose)
		}
		bw.Write(cell[v.end:])
	}
}

// valuePos locates, in a cell's content, the last <v> element (the one
// encoding/xml keeps) and its text.
type valuePos struct {
	start, end         int // the element
	textStart, textEnd int
	found              bool
}

// cellContent appends to dst the content of the cell whose start tag was
// just read, up to and including its end tag, and locates its value.
func (s *xmlScanner) cellContent(dst []byte) ([]byte, valuePos, error) {
	var v, open valuePos
	for depth := 1; depth > 0; {
		text, err := s.text()
		dst = append(dst, text...)
		if err != nil {
			if err == io.EOF {
				err = errNoInline
			}
			return nil, v, err
		}
		tag, err := s.tag()
		if err != nil {
			return nil, v, err
		}
		at := len(dst)
		dst = append(dst, tag...)
		if len(dst) > 16*s.max {
			return nil, v, errNoInline
		}
		name, kind := tagName(tag)
		switch kind {
		case startTag:
			if depth == 1 && string(name) == "v" {
				open = valuePos{start: at, textStart: len(dst)}
			}
			depth++
		case endTag:
			depth--
			if depth == 1 && string(name) == "v" && open.textStart > 0 {
				v = valuePos{start: open.start, end: len(dst), textStart: open.textStart, textEnd: at, found: true}
			}
		case emptyTag:
			if depth == 1 && string(name) == "v" {
				v = valuePos{start: at, end: len(dst), textStart: len(dst), textEnd: len(dst), found: true}
			}
		}
	}
	return dst, v, nil
}

// sharedIndex reads, when the scanner is at it, the content and end tag of
// a shared-string cell in its usual shape, <v>index</v></c> (no prefix, the
// index below n, without sign, space or leading zero). It returns the index
// and the bytes read, 0 when the content is not in that shape (nothing is
// read then).
func (s *xmlScanner) sharedIndex(n int) (idx, read int) {
	const open, end = "<v>", "</v></c>"
	if len(s.win)-s.pos < len(open)+10+len(end) {
		s.more()
	}
	b := s.win[s.pos:]
	if !bytes.HasPrefix(b, []byte(open)) {
		return 0, 0
	}
	i := len(open)
	for ; i < len(b) && i < len(open)+10 && '0' <= b[i] && b[i] <= '9'; i++ {
		idx = idx*10 + int(b[i]-'0')
	}
	digits := i - len(open)
	if digits == 0 || digits > 1 && b[len(open)] == '0' || idx >= n || !bytes.HasPrefix(b[i:], []byte(end)) {
		return 0, 0
	}
	// The cell is the element last opened.
	if !s.close([]byte("c")) {
		return 0, 0
	}
	read = i + len(end)
	s.pos += read
	return idx, read
}

// index returns the shared-string index the value holds, as excelize reads
// it (trimmed, a malformed one as 0); ok is false for no value.
func (v valuePos) index(cell []byte, n int) (int, bool, error) {
	if !v.found {
		return 0, false, nil
	}
	text := string(cell[v.textStart:v.textEnd])
	if strings.IndexByte(text, '&') >= 0 {
		if err := xml.Unmarshal([]byte("<v>"+text+"</v>"), &text); err != nil {
			return 0, false, errNoInline
		}
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, false, nil
	}
	idx, _ := strconv.Atoi(text) // excelize reads a malformed index as 0
	if idx < 0 || idx >= n {
		return 0, false, errNoInline // excelize reports it, as corrupt_file
	}
	return idx, true, nil
}

// Tag kinds.
const (
	startTag = iota
	endTag
	emptyTag
	otherTag // comment, CDATA section, processing instruction
)

// tagName returns the local name and kind of a tag ("<…>", whole); the name
// is a slice of tag.
func tagName(tag []byte) ([]byte, int) {
	if len(tag) < 2 {
		return nil, otherTag
	}
	kind, body := startTag, tag[1:len(tag)-1]
	switch tag[1] {
	case '!', '?':
		return nil, otherTag
	case '/':
		kind, body = endTag, body[1:]
	}
	if len(body) > 0 && body[len(body)-1] == '/' {
		kind, body = emptyTag, body[:len(body)-1]
	}
	for i, c := range body {
		if isSpace(c) {
			body = body[:i]
			break
		}
	}
	if i := bytes.LastIndexByte(body, ':'); i >= 0 {
		body = body[i+1:]
	}
	return body, kind
}

// attrs calls fn for each attribute of a start tag, with the offsets of its
// value (inside the quotes).
func attrs(tag []byte, fn func(name string, valStart, valEnd int)) {
	i := 0
	for i < len(tag) && !isSpace(tag[i]) {
		i++
	}
	for i < len(tag) {
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		eq := bytes.IndexByte(tag[i:], '=')
		if eq < 0 {
			return
		}
		name := string(bytes.TrimSpace(tag[i : i+eq]))
		j := i + eq + 1
		for j < len(tag) && tag[j] != '"' && tag[j] != '\'' {
			j++
		}
		if j >= len(tag) {
			return
		}
		q := tag[j]
		k := bytes.IndexByte(tag[j+1:], q)
		if k < 0 {
			return
		}
		fn(name, j+1, j+1+k)
		i = j + 2 + k
	}
}

// elemPrefix returns the namespace prefix of a start tag's name, with its
// colon ("x:"), or "".
func elemPrefix(tag []byte) string {
	for i := 1; i < len(tag); i++ {
		switch c := tag[i]; {
		case c == ':':
			return string(tag[1 : i+1])
		case isSpace(c) || c == '/' || c == '>':
			return ""
		}
	}
	return ""
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// sharedStringType returns where the value of a <c> start tag's t
// attribute is, when it is "s".
func sharedStringType(tag []byte) (start, end int, ok bool) {
	// The usual shape: t="s" last, and no other attribute ending in t.
	if bytes.HasSuffix(tag, []byte(` t="s">`)) && bytes.Count(tag, []byte("t=")) == 1 {
		return len(tag) - len(`s">`), len(tag) - len(`">`), true
	}
	// Most cells are t="s" or have no type: skip the attribute walk when no
	// attribute can have the value s.
	if !bytes.Contains(tag, []byte(`"s"`)) && !bytes.Contains(tag, []byte(`'s'`)) {
		return 0, 0, false
	}
	attrs(tag, func(name string, s, e int) {
		if name == "t" {
			start, end, ok = s, e, string(tag[s:e]) == "s"
		}
	})
	return start, end, ok
}

// xmlScanner splits XML into text and tags without decoding either. It
// knows comments, CDATA sections and processing instructions, so that a '<'
// or '>' inside them is not taken for a tag; a DTD stops the inlining
// (errNoInline), since excelize reads entities it could declare.
//
// It reads its input into a window of at least 1 MiB and hands out slices
// of it: what text and tag return is valid until the next call.
type xmlScanner struct {
	r   io.Reader
	win []byte // input read; what is not scanned yet is win[pos:]
	pos int
	// end is set once r is exhausted (or failed: err).
	end bool
	err error
	// max bounds a token (text or tag), as the guard does (MaxRecordBytes):
	// the inliner may run before the guard has seen the package.
	max int
	// names holds the names of the open elements end to end, ends where
	// each ends: an end tag must close the element last opened, as
	// encoding/xml wants.
	names []byte
	ends  []int
}

func newXMLScanner(r io.Reader, max int) *xmlScanner {
	return &xmlScanner{r: r, win: make([]byte, 0, 1<<20), max: max}
}

// more moves the bytes not scanned yet to the front of the window and reads
// more after them, growing the window when they fill it; false when there
// is nothing more to read.
func (s *xmlScanner) more() bool {
	if s.end {
		return false
	}
	n := copy(s.win[:cap(s.win)], s.win[s.pos:])
	s.win, s.pos = s.win[:n], 0
	if n == cap(s.win) {
		s.win = slices.Grow(s.win, n)
	}
	for {
		m, err := s.r.Read(s.win[n:cap(s.win)])
		s.win = s.win[:n+m]
		if err != nil {
			s.end = true
			if err != io.EOF {
				s.err = err
			}
			return m > 0
		}
		if m > 0 {
			return true
		}
	}
}

// validXML reports whether b holds only characters XML allows (what
// encoding/xml checks of text and attribute values): valid UTF-8, no
// control character but tab, line feed and carriage return, no U+FFFE or
// U+FFFF.
func validXML(b []byte) bool {
	i := 0
	// Eight bytes at a time while they are all printable ASCII: no byte
	// with its high bit set, none below 0x20 (the subtraction borrows from
	// the high bit of such a byte; it can flag a byte after it, never miss
	// one, and any flag goes to the exact check below).
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if (w|(w-0x2020202020202020))&0x8080808080808080 != 0 {
			break
		}
	}
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// track follows a start, end or empty tag in the element stack; false when
// an end tag does not close the element last opened.
func (s *xmlScanner) track(tag []byte) bool {
	end := tag[1] == '/'
	i := 1
	if end {
		i++
	}
	j := i
	for j < len(tag) && !isSpace(tag[j]) && tag[j] != '/' && tag[j] != '>' {
		j++
	}
	name := tag[i:j]
	switch {
	case end:
		return s.close(name)
	case tag[len(tag)-2] != '/':
		s.names = append(s.names, name...)
		s.ends = append(s.ends, len(s.names))
	}
	return true
}

// close pops the element last opened, if it is named name.
func (s *xmlScanner) close(name []byte) bool {
	n := len(s.ends)
	if n == 0 {
		return false
	}
	from := 0
	if n > 1 {
		from = s.ends[n-2]
	}
	if !bytes.Equal(s.names[from:s.ends[n-1]], name) {
		return false
	}
	s.names, s.ends = s.names[:from], s.ends[:n-1]
	return true
}

// text returns the bytes up to the next '<' (not included), or io.EOF
// with the bytes after the last.
func (s *xmlScanner) text() ([]byte, error) {
	seen := 0 // bytes after pos known to hold no '<'
	for {
		if i := bytes.IndexByte(s.win[s.pos+seen:], '<'); i >= 0 {
			t := s.win[s.pos : s.pos+seen+i]
			s.pos += seen + i
			if !validXML(t) {
				return nil, errNoInline
			}
			return t, nil
		}
		if seen = len(s.win) - s.pos; seen > s.max {
			return nil, errNoInline
		}
		if !s.more() {
			if s.err != nil {
				return nil, errNoInline
			}
			t := s.win[s.pos:]
			s.pos = len(s.win)
			if !validXML(t) {
				return nil, errNoInline
			}
			return t, io.EOF
		}
	}
}

// tag returns the tag (or comment, CDATA section, processing instruction)
// at the scanner, whole; text has just stopped at its '<'.
func (s *xmlScanner) tag() ([]byte, error) {
	for {
		n, err := tagLen(s.win[s.pos:])
		if err != nil {
			return nil, err
		}
		if n > 0 {
			t := s.win[s.pos : s.pos+n]
			s.pos += n
			if !validXML(t) || t[1] != '!' && t[1] != '?' && (!wellNamed(t) || !s.track(t)) {
				return nil, errNoInline
			}
			return t, nil
		}
		if len(s.win)-s.pos > s.max || !s.more() {
			return nil, errNoInline
		}
	}
}

// Where comments, CDATA sections and processing instructions end.
var markupEnds = []struct{ start, end string }{
	{"<!--", "-->"},
	{"<![CDATA[", "]]>"},
	{"<?", "?>"},
}

// tagLen returns the length of the tag b starts with, 0 when b ends before
// it does.
func tagLen(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, nil
	}
	if b[1] == '!' || b[1] == '?' {
		for _, m := range markupEnds {
			if len(b) < len(m.start) && strings.HasPrefix(m.start, string(b)) {
				return 0, nil // not known yet
			}
			if bytes.HasPrefix(b, []byte(m.start)) {
				i := bytes.Index(b[len(m.start):], []byte(m.end))
				if i < 0 {
					return 0, nil
				}
				return len(m.start) + i + len(m.end), nil
			}
		}
		return 0, errNoInline // a DTD, or not XML
	}
	// A '>' inside a quoted attribute value does not end the tag.
	for i, quote := 1, byte(0); i < len(b); i++ {
		switch c := b[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1, nil
		}
	}
	return 0, nil
}

// wellNamed reports whether a start, end or empty tag (whole, or its start)
// begins with a name that encoding/xml reads as this scanner does: ASCII
// name characters, and for an end tag nothing but spaces after it. Other
// tags stop the inlining, so that a malformed worksheet is read, or
// reported, by excelize itself.
func wellNamed(tag []byte) bool {
	i := 1
	end := i < len(tag) && tag[i] == '/'
	if end {
		i++
	}
	start := i
	for ; i < len(tag); i++ {
		c := tag[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == ':' || c == '.' || c == '-') {
			break
		}
	}
	if i == start || '0' <= tag[start] && tag[start] <= '9' || tag[start] == '-' || tag[start] == '.' {
		return false
	}
	if i == len(tag) {
		return true // the rest is still to be read
	}
	if end {
		for ; i < len(tag)-1; i++ {
			if !isSpace(tag[i]) {
				return false
			}
		}
		return tag[i] == '>'
	}
	return isSpace(tag[i]) || tag[i] == '>' || tag[i] == '/'
}

// plainText returns the text of a shared string that is one unprefixed <t>
// element holding text only, without _xHHHH_ escapes. excelize reads an
// inline-string cell without <is> from its <v>, formatted as an inline
// string; the text is the <t> element's character data either way, and
// only the <is> path decodes _xHHHH_ escapes, so a string with "_x" keeps
// its <is>.
func plainText(item []byte) ([]byte, bool) {
	var inner []byte
	switch {
	case bytes.HasPrefix(item, []byte("<t>")):
		inner = item[3:]
	case bytes.HasPrefix(item, []byte(`<t xml:space="preserve">`)):
		inner = item[len(`<t xml:space="preserve">`):]
	default:
		return nil, false
	}
	if !bytes.HasSuffix(inner, []byte("</t>")) {
		return nil, false
	}
	inner = inner[:len(inner)-4]
	if bytes.IndexByte(inner, '<') >= 0 || bytes.Contains(inner, []byte("_x")) {
		return nil, false
	}
	return inner, true
}

// cellRefs drops the r attribute of a cell whose column follows the previous
// cell's in its row: excelize reads a cell without one as the next column,
// and parses each reference it finds. Only plain references in the plain
// shape (<c r="B2" …>, the cell a direct child of its row) go; anything
// else (a cell outside a row, a row in a row, a reference that is not
// A1-style, a second r) stops the dropping for the rest of the sheet, so
// that excelize sees and judges those references itself.
type cellRefs struct {
	off      bool
	rowDepth int // depth of the open row, 0 outside one
	col      int // column of the row's last cell
	buf      []byte
}

// row follows a row tag at depth (after the scanner tracked it).
func (c *cellRefs) row(kind, depth int) {
	switch {
	case kind == startTag && c.rowDepth == 0:
		c.rowDepth, c.col = depth, 0
	case kind == endTag && c.rowDepth == depth+1:
		c.rowDepth = 0
	case kind == emptyTag && c.rowDepth == 0:
		// A row without cells (Excel writes them for a row's own format).
	default:
		c.off = true
	}
}

// cell returns a cell's start or empty tag, without its reference when it
// can go.
func (c *cellRefs) cell(tag []byte, kind, depth int) []byte {
	if c.off {
		return tag
	}
	if c.rowDepth == 0 || kind == startTag && depth != c.rowDepth+1 || kind == emptyTag && depth != c.rowDepth {
		c.off = true
		return tag
	}
	const fast = `<c r="`
	if !bytes.HasPrefix(tag, []byte(fast)) {
		c.off = true
		return tag
	}
	end := bytes.IndexByte(tag[len(fast):], '"')
	if end < 0 {
		c.off = true
		return tag
	}
	ref := tag[len(fast) : len(fast)+end]
	rest := tag[len(fast)+end+1:]
	if bytes.Contains(rest, []byte("r=")) {
		c.off = true
		return tag
	}
	col, ok := refColumn(ref)
	if !ok {
		c.off = true
		return tag
	}
	drop := col == c.col+1
	c.col = col
	if !drop {
		return tag
	}
	c.buf = append(append(c.buf[:0], "<c"...), rest...)
	return c.buf
}

// refColumn returns the column of a plain cell reference (A1 to XFD1048576).
func refColumn(ref []byte) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref) && i < 3 && 'A' <= ref[i] && ref[i] <= 'Z'; i++ {
		col = col*26 + int(ref[i]-'A'+1)
	}
	if i == 0 || i == len(ref) || col > 16384 || ref[i] == '0' || len(ref)-i > 7 {
		return 0, false
	}
	row := 0
	for _, d := range ref[i:] {
		if d < '0' || d > '9' {
			return 0, false
		}
		row = row*10 + int(d-'0')
	}
	return col, row <= 1<<20
}
