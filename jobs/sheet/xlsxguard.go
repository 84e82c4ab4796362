package sheet

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"

	"intake/jobs/warning"
)

// guardXLSX checks an xlsx package before excelize inflates anything, so that
// a zip bomb or a forged part is corrupt_file with bounded memory and time:
//
//   - the zip directory's sizes, against MaxUnzipSize in total and against
//     4×MaxUnzipXMLSize for the parts excelize holds in memory (archive/zip
//     then fails any entry that inflates past its declared size);
//   - the first worksheet and the shared strings, streamed once through
//     xmlGuard: no XML token (a cell's text, a tag) longer than
//     MaxRecordBytes, which excelize's xml.Decoder would otherwise buffer
//     whole, and no row that could expand past 16×MaxRecordBytes through
//     shared strings, and no element nested deeper than maxXMLDepth, which
//     encoding/xml's token stream would follow with a stack as deep.
//
// It returns the name of the first worksheet (chart and dialog sheets are not
// worksheets) and its number of row elements.
func guardXLSX(zr *zip.Reader, lim Limits) (string, int64, error) {
	tooBig := func(what string, max int64) error {
		return fileError(warning.CorruptFile, nil,
			"the workbook's %s unpack to more than %s, beyond what a customer file needs; it may be a zip bomb; upload %s",
			what, byteSize(max), acceptedFormats)
	}
	parts := make(map[string]*zip.File, len(zr.File))
	var total, inMemory uint64
	memMax := uint64(4 * lim.MaxUnzipXMLSize)
	for _, f := range zr.File {
		name, size := zipName(f.Name), f.UncompressedSize64
		parts[name] = f
		if size > uint64(lim.MaxUnzipSize) || total+size > uint64(lim.MaxUnzipSize) {
			return "", 0, tooBig("parts", lim.MaxUnzipSize)
		}
		total += size
		// excelize spills large worksheets and shared strings to temp files
		// and keeps every other part in memory.
		spilled := (strings.HasPrefix(name, "xl/worksheets/sheet") || name == "xl/sharedstrings.xml") &&
			size > uint64(lim.MaxUnzipXMLSize)
		if !spilled {
			if inMemory += size; inMemory > memMax {
				return "", 0, tooBig("parts held in memory", int64(memMax))
			}
		}
	}
	name, part, err := firstWorksheet(parts, int64(memMax))
	if err != nil {
		return "", 0, err
	}
	g := &xmlGuard{maxTok: lim.MaxRecordBytes}
	if ss := parts["xl/sharedstrings.xml"]; ss != nil {
		if err := g.scan(ss); err != nil {
			return "", 0, err
		}
	}
	g.rowMax = 16 * int64(lim.MaxRecordBytes)
	if err := g.scan(part); err != nil {
		return "", 0, err
	}
	return name, g.row, nil
}

// firstWorksheet resolves the first sheet of xl/workbook.xml that is a
// worksheet to its name and part.
func firstWorksheet(parts map[string]*zip.File, max int64) (string, *zip.File, error) {
	var wb struct {
		Sheets []struct {
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(parts["xl/workbook.xml"], max, &wb); err != nil {
		return "", nil, err
	}
	if err := decodePart(parts["xl/_rels/workbook.xml.rels"], max, &rels); err != nil {
		return "", nil, err
	}
	for _, s := range wb.Sheets {
		var name, id string
		for _, a := range s.Attrs {
			switch {
			case a.Name.Local == "name" && a.Name.Space == "":
				name = a.Value
			case a.Name.Local == "id" && a.Name.Space != "":
				id = a.Value
			}
		}
		for _, r := range rels.Rels {
			if r.ID != id || !strings.HasSuffix(r.Type, "/worksheet") {
				continue
			}
			target := strings.TrimPrefix(r.Target, "/")
			if !strings.HasPrefix(strings.ToLower(target), "xl/") {
				target = path.Join("xl", target)
			}
			if p := parts[zipName(path.Clean(target))]; p != nil {
				return name, p, nil
			}
		}
	}
	return "", nil, fileError(warning.CorruptFile, nil, "the workbook holds no worksheet; upload %s", acceptedFormats)
}

// decodePart unmarshals a small XML part.
func decodePart(f *zip.File, max int64, v any) error {
	if f == nil {
		return fileError(warning.CorruptFile, nil, "the workbook lacks its sheet list; upload %s", acceptedFormats)
	}
	rc, err := f.Open()
	if err != nil {
		return damaged(err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(io.LimitReader(rc, max)).Decode(v); err != nil {
		return damaged(err)
	}
	return nil
}

func damaged(err error) error {
	return fileError(warning.CorruptFile, err, "the workbook is damaged and cannot be read; upload %s", acceptedFormats)
}

// byteSize writes a limit for people: "4 GiB", "16 MiB", "1000 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// maxXMLDepth bounds how deep elements nest in the parts xmlGuard scans. A
// real worksheet nests about ten deep (worksheet, sheetData, row, c, is, r,
// rPr, extension lists); a forged one nested millions deep made
// encoding/xml's decoder, which excelize streams rows with, hold about 200
// bytes per level: a gigabyte for a few megabytes of XML.
const maxXMLDepth = 100

// Lexer states of xmlGuard.
const (
	gText    = iota // character data
	gOpen           // just after '<'
	gTag            // inside a start or end tag
	gBang           // after "<!": a comment or CDATA section must follow
	gComment        // inside <!-- -->
	gCDATA          // inside <![CDATA[ ]]>
	gPI             // inside <? ?>
)

// xmlGuard is a byte-level XML lexer that measures, without building them,
// the tokens excelize's xml.Decoder would build. It sees only what it needs:
// token lengths, and the start tags row, c and si.
type xmlGuard struct {
	maxTok int
	// rowMax bounds a row's XML plus, for each cell, the largest shared
	// string; 0 when scanning the shared strings.
	rowMax int64
	// maxSI is the size of the largest shared string's XML, learnt from the
	// shared strings part.
	maxSI int64

	state   int
	tok     int   // bytes of the current token
	pos     int64 // bytes of the part so far
	quote   byte  // the quote of an attribute value being read, or 0
	closing bool  // the tag is an end tag
	prev    byte  // the last byte of the tag that is not white space
	named   bool  // the tag's name is complete
	name    [16]byte
	nameLen int
	lead    []byte // bytes after "<!" while telling a comment from CDATA
	tail    [2]byte

	depth            int // elements open
	row, cells       int64
	rowStart, siFrom int64
	gapFrom          int64 // where the last row of sheetData ended
	inRow, inSI      bool
	inSheetData      bool
}

// scan streams one part through the guard.
func (g *xmlGuard) scan(f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return damaged(err)
	}
	defer rc.Close()
	g.state, g.tok, g.pos, g.inRow, g.inSI, g.inSheetData, g.row, g.depth = gText, 0, 0, false, false, false, 0, 0
	if _, err := io.Copy(g, rc); err != nil {
		if fe, ok := warning.AsFileError(err); ok {
			return fe
		}
		return damaged(err)
	}
	if g.inSI {
		g.maxSI = max(g.maxSI, g.pos-g.siFrom)
	}
	return nil
}

// Write lexes the next bytes of the part.
func (g *xmlGuard) Write(p []byte) (int, error) {
	for _, b := range p {
		g.pos++
		if g.tok++; g.tok > g.maxTok {
			where := "in its shared strings"
			if g.rowMax > 0 {
				where = fmt.Sprintf("near row %d", g.row)
			}
			return 0, fileError(warning.CorruptFile, nil,
				"the workbook holds a cell or XML tag longer than %s (%s); upload %s", byteSize(int64(g.maxTok)), where, acceptedFormats)
		}
		switch g.state {
		case gText:
			if b == '<' {
				g.state, g.tok, g.closing, g.named, g.nameLen, g.quote, g.prev = gOpen, 1, false, false, 0, 0, 0
			}
		case gOpen:
			switch b {
			case '!':
				g.state, g.lead = gBang, g.lead[:0]
			case '?':
				g.state, g.tail = gPI, [2]byte{}
			case '/':
				g.state, g.closing = gTag, true
			default:
				g.state = gTag
				if err := g.tagByte(b); err != nil {
					return 0, err
				}
			}
		case gTag:
			if err := g.tagByte(b); err != nil {
				return 0, err
			}
		case gBang:
			g.lead = append(g.lead, b)
			switch l := string(g.lead); {
			case l == "--":
				g.state, g.tail = gComment, [2]byte{}
			case l == "[CDATA[":
				g.state, g.tail = gCDATA, [2]byte{}
			case !strings.HasPrefix("--", l) && !strings.HasPrefix("[CDATA[", l):
				// A DOCTYPE has no place in a worksheet; its internal subset
				// would also defeat this lexer.
				return 0, fileError(warning.CorruptFile, nil,
					"the workbook holds an XML declaration a spreadsheet never has; upload %s", acceptedFormats)
			}
		case gComment, gCDATA, gPI:
			end := (g.state == gComment && b == '>' && g.tail == [2]byte{'-', '-'}) ||
				(g.state == gCDATA && b == '>' && g.tail == [2]byte{']', ']'}) ||
				(g.state == gPI && b == '>' && g.tail[1] == '?')
			g.tail = [2]byte{g.tail[1], b}
			if end {
				g.state, g.tok = gText, 0
			}
		}
	}
	return len(p), nil
}

// tagByte lexes one byte inside a tag, collecting its name and acting on it
// at the closing '>'.
func (g *xmlGuard) tagByte(b byte) error {
	if !g.named {
		switch b {
		case ' ', '\t', '\r', '\n', '/', '>':
			g.named = true
		default:
			if b == ':' {
				g.nameLen = 0 // keep the local name only
			} else if g.nameLen < len(g.name) {
				g.name[g.nameLen] = b
				g.nameLen++
			} else {
				g.nameLen = len(g.name) + 1 // too long to be one we track
			}
		}
	}
	switch {
	case g.quote != 0:
		if b == g.quote {
			g.quote = 0
		}
	case b == '"' || b == '\'':
		g.quote = b
	case b == '>':
		g.state, g.tok = gText, 0
		return g.endTag(g.prev == '/')
	}
	if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
		g.prev = b
	}
	return nil
}

// endTag acts on a tag once read: it opens or closes a row or a shared
// string, and counts a row's cells.
func (g *xmlGuard) endTag(empty bool) error {
	switch {
	case g.closing:
		g.depth--
	case !empty:
		if g.depth++; g.depth > maxXMLDepth {
			return fileError(warning.CorruptFile, nil,
				"the workbook's XML nests elements more than %d deep (near row %d), which no spreadsheet does; upload %s",
				maxXMLDepth, g.row, acceptedFormats)
		}
	}
	if g.nameLen > len(g.name) {
		return nil
	}
	switch name := string(g.name[:g.nameLen]); {
	case name == "sheetData":
		g.inSheetData, g.gapFrom = !g.closing && !empty, g.pos
	case name == "row" && g.closing:
		g.inRow, g.gapFrom = false, g.pos
	case name == "row":
		// Excel's rows are numbered up to 1,048,576: more row elements can
		// only be a forged sheet, which would keep excelize busy.
		if g.row++; g.row > excelMaxRows {
			return fileError(warning.CorruptFile, nil,
				"the worksheet has more rows than Excel's %d; upload %s", excelMaxRows, acceptedFormats)
		}
		g.inRow, g.rowStart, g.cells, g.gapFrom = !empty, g.pos, 0, g.pos
	case name == "c" && !g.closing:
		g.cells++
	case name == "si" && g.closing:
		g.inSI = false
		g.maxSI = max(g.maxSI, g.pos-g.siFrom)
	case name == "si" && !empty:
		g.inSI, g.siFrom = true, g.pos
	}
	// Between rows, sheetData holds nothing but white space: anything else
	// is skipped token by token by excelize's Rows iterator.
	if g.inSheetData && !g.inRow && g.pos-g.gapFrom > int64(g.maxTok) {
		return fileError(warning.CorruptFile, nil,
			"the worksheet holds more than %s of content between rows %d and %d; upload %s", byteSize(int64(g.maxTok)), g.row, g.row+1, acceptedFormats)
	}
	if g.inRow && g.rowMax > 0 && g.cells*g.maxSI+(g.pos-g.rowStart) > g.rowMax {
		return fileError(warning.CorruptFile, nil,
			"row %d of the worksheet would expand to more than %s; upload %s", g.row, byteSize(g.rowMax), acceptedFormats)
	}
	return nil
}
