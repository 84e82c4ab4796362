package sheet

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"intake/jobs/warning"
)

// errNoInline makes openXLSX read the package as it is: something in it
// (a DTD, a table past 4 GiB) is outside what the inliner rewrites
// faithfully, and the rewrite is only ever an optimization.
var errNoInline = errors.New("shared strings not inlined")

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
	sst, err := readSharedStrings(sstPart)
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
				return "", damaged(err)
			}
			err = inlineSheet(rc, w, sst)
			rc.Close()
			if err != nil {
				return "", err
			}
		default:
			if err := zw.Copy(f); err != nil {
				return "", damaged(err)
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

func (t *sstTable) item(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.blob[start:t.ends[i]]
}

// readSharedStrings collects the raw content of each <si> element, in
// order, wherever it stands (as excelize's temp-file index does).
func readSharedStrings(part *zip.File) (*sstTable, error) {
	rc, err := part.Open()
	if err != nil {
		return nil, damaged(err)
	}
	defer rc.Close()
	t := &sstTable{blob: make([]byte, 0, part.UncompressedSize64/2)}
	s := &xmlScanner{r: bufio.NewReaderSize(rc, 1<<20)}
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
		case name == "si" && kind == startTag && !inSI:
			inSI = true
		case name == "si" && kind == emptyTag && !inSI:
			t.ends = append(t.ends, uint32(len(t.blob)))
		case name == "si" && kind == endTag && inSI:
			inSI = false
			t.ends = append(t.ends, uint32(len(t.blob)))
		case inSI:
			t.blob = append(t.blob, tag...)
		}
	}
}

// inlineSheet copies worksheet XML from r to w, rewriting each t="s" cell
// with a value into a t="inlineStr" cell whose <is> holds the shared
// string's content.
func inlineSheet(r io.Reader, w io.Writer, sst *sstTable) error {
	s := &xmlScanner{r: bufio.NewReaderSize(r, 1<<20)}
	bw := bufio.NewWriterSize(w, 1<<20)
	var cell []byte
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
		if name, kind := tagName(tag); name != "c" || kind != startTag || !sharedStringCell(tag) {
			bw.Write(tag)
			continue
		}
		if cell, err = s.element(cell[:0], tag, "c"); err != nil {
			return err
		}
		out, err := inlineCell(cell, len(tag), sst)
		if err != nil {
			return err
		}
		bw.Write(out)
	}
}

// inlineCell rewrites one <c t="s">…</c> element (its start tag is the
// first startLen bytes): the last <v> holds the index, as the last one is
// what encoding/xml keeps. A cell without a value is left as it is.
func inlineCell(cell []byte, startLen int, sst *sstTable) ([]byte, error) {
	vStart, vEnd, textStart, textEnd := -1, -1, -1, -1
	depth := 0
	for i := startLen; i < len(cell); {
		j := bytes.IndexByte(cell[i:], '<')
		if j < 0 {
			break
		}
		i += j
		end := tagEnd(cell, i)
		if end < 0 {
			return cell, nil
		}
		name, kind := tagName(cell[i:end])
		switch {
		case kind == startTag && depth == 0 && name == "v":
			vStart, textStart = i, end
		case kind == endTag && depth == 1 && name == "v" && vStart >= 0:
			textEnd, vEnd = i, end
		case kind == emptyTag && depth == 0 && name == "v":
			vStart, vEnd, textStart, textEnd = i, end, end, end
		}
		switch kind {
		case startTag:
			depth++
		case endTag:
			depth--
		}
		i = end
	}
	if vEnd < 0 {
		return cell, nil
	}
	v := string(cell[textStart:textEnd])
	if strings.IndexByte(v, '&') >= 0 {
		if err := xml.Unmarshal([]byte("<v>"+v+"</v>"), &v); err != nil {
			return nil, damaged(err)
		}
	}
	if strings.TrimSpace(v) == "" {
		return cell, nil
	}
	idx, _ := strconv.Atoi(strings.TrimSpace(v)) // excelize reads a malformed index as 0
	if idx < 0 || idx >= len(sst.ends) {
		return nil, fileError(warning.CorruptFile, fmt.Errorf("shared string index %d of %d", idx, len(sst.ends)),
			"the workbook is damaged and cannot be read; upload %s", acceptedFormats)
	}
	prefix := ""
	if name := cell[1:max(1, bytes.IndexAny(cell[:startLen], " \t\r\n/>"))]; bytes.IndexByte(name, ':') >= 0 {
		prefix = string(name[:bytes.IndexByte(name, ':')+1])
	}
	out := make([]byte, 0, len(cell)+len(sst.item(idx))+16)
	out = append(out, setTypeInline(cell[:startLen])...)
	out = append(out, cell[startLen:vStart]...)
	out = append(out, "<"+prefix+"is>"...)
	out = append(out, sst.item(idx)...)
	out = append(out, "</"+prefix+"is>"...)
	return append(out, cell[vEnd:]...), nil
}

// Tag kinds.
const (
	startTag = iota
	endTag
	emptyTag
	otherTag // comment, CDATA section, processing instruction
)

// tagName returns the local name and kind of a tag ("<…>", whole).
func tagName(tag []byte) (string, int) {
	if len(tag) < 2 {
		return "", otherTag
	}
	kind, body := startTag, tag[1:len(tag)-1]
	switch tag[1] {
	case '!', '?':
		return "", otherTag
	case '/':
		kind, body = endTag, body[1:]
	}
	if len(body) > 0 && body[len(body)-1] == '/' {
		kind, body = emptyTag, body[:len(body)-1]
	}
	if i := bytes.IndexAny(body, " \t\r\n"); i >= 0 {
		body = body[:i]
	}
	if i := bytes.LastIndexByte(body, ':'); i >= 0 {
		body = body[i+1:]
	}
	return string(body), kind
}

// tagEnd returns the index after the tag, comment, CDATA section or
// processing instruction starting at b[i] ('<'), or -1 if it does not end.
func tagEnd(b []byte, i int) int {
	for _, d := range [][2]string{{"<!--", "-->"}, {"<![CDATA[", "]]>"}, {"<?", "?>"}} {
		if bytes.HasPrefix(b[i:], []byte(d[0])) {
			k := bytes.Index(b[i+len(d[0]):], []byte(d[1]))
			if k < 0 {
				return -1
			}
			return i + len(d[0]) + k + len(d[1])
		}
	}
	var quote byte
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return j + 1
		}
	}
	return -1
}

// attrs calls fn for each attribute of a start tag, with the offsets of its
// value (inside the quotes).
func attrs(tag []byte, fn func(name string, valStart, valEnd int)) {
	i := bytes.IndexAny(tag, " \t\r\n")
	if i < 0 {
		return
	}
	for i < len(tag) {
		for i < len(tag) && (tag[i] == ' ' || tag[i] == '\t' || tag[i] == '\r' || tag[i] == '\n') {
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

// sharedStringCell reports whether a <c> start tag has t="s".
func sharedStringCell(tag []byte) bool {
	found := false
	attrs(tag, func(name string, s, e int) {
		if name == "t" {
			found = string(tag[s:e]) == "s"
		}
	})
	return found
}

// setTypeInline returns the start tag with t="s" made t="inlineStr".
func setTypeInline(tag []byte) []byte {
	out := tag
	attrs(tag, func(name string, s, e int) {
		if name == "t" {
			out = append(append(append([]byte{}, tag[:s]...), "inlineStr"...), tag[e:]...)
		}
	})
	return out
}

// xmlScanner splits XML into text and tags without decoding either. It
// knows comments, CDATA sections and processing instructions, so that a '<'
// or '>' inside them is not taken for a tag; a DTD stops the inlining
// (errNoInline), since excelize reads entities it could declare.
type xmlScanner struct {
	r   *bufio.Reader
	buf []byte
}

// text returns the bytes up to the next '<' (not included), or io.EOF
// after the last.
func (s *xmlScanner) text() ([]byte, error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.r.ReadSlice('<')
		if err == nil {
			s.buf = append(s.buf, chunk[:len(chunk)-1]...)
			return s.buf, s.r.UnreadByte()
		}
		s.buf = append(s.buf, chunk...)
		if err != bufio.ErrBufferFull {
			if err == io.EOF {
				return s.buf, io.EOF
			}
			return s.buf, damaged(err)
		}
	}
}

// tag reads the tag (or comment, CDATA section, processing instruction) at
// the reader, whole.
func (s *xmlScanner) tag() ([]byte, error) {
	s.buf = s.buf[:0]
	head, _ := s.r.Peek(9)
	switch {
	case bytes.HasPrefix(head, []byte("<!--")):
		return s.until("-->")
	case bytes.HasPrefix(head, []byte("<![CDATA[")):
		return s.until("]]>")
	case bytes.HasPrefix(head, []byte("<?")):
		return s.until("?>")
	case bytes.HasPrefix(head, []byte("<!")):
		return nil, errNoInline
	}
	var quote byte
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return nil, damaged(io.ErrUnexpectedEOF)
		}
		s.buf = append(s.buf, c)
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return s.buf, nil
		}
	}
}

// until reads up to and including end.
func (s *xmlScanner) until(end string) ([]byte, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return nil, damaged(io.ErrUnexpectedEOF)
		}
		s.buf = append(s.buf, c)
		if len(s.buf) > len(end) && bytes.HasSuffix(s.buf, []byte(end)) {
			return s.buf, nil
		}
	}
}

// element appends to dst the start tag and everything up to and including
// the end tag of name that closes it.
func (s *xmlScanner) element(dst, start []byte, name string) ([]byte, error) {
	dst = append(dst, start...)
	depth := 1
	for depth > 0 {
		text, err := s.text()
		dst = append(dst, text...)
		if err != nil {
			if err == io.EOF {
				err = damaged(io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		tag, err := s.tag()
		if err != nil {
			return nil, err
		}
		dst = append(dst, tag...)
		switch n, kind := tagName(tag); {
		case kind == startTag && n == name:
			depth++
		case kind == endTag && n == name:
			depth--
		}
	}
	return dst, nil
}
