package main

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/klauspost/compress/flate"

	"intake/jobs/sheet"
)

// The fixed parts of the workbooks `intake bench` writes: what Excel writes
// for a one-sheet workbook, minus the theme and document properties that no
// reader of customer files looks at.
const (
	xlsxContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>%s</Types>`
	xlsxSSTContentType = `<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`
	xlsxRootRels       = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	xlsxWorkbook = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><bookViews><workbookView xWindow="0" yWindow="0" windowWidth="28800" windowHeight="12300"/></bookViews><sheets><sheet name="Clients" sheetId="1" r:id="rId1"/></sheets><calcPr calcId="191029"/></workbook>`
	xlsxWorkbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>%s</Relationships>`
	xlsxSSTRel = `<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`
	xlsxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`
	xlsxSheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><dimension ref="A1:O%d"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/><sheetData>`
	xlsxSheetTail = `</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`
	xlsxSSTHead   = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`
)

// writeBenchXLSX writes the generated file as an xlsx package with
// archive/zip, streaming. shared writes it the way Excel does: every text
// cell a t="s" index into xl/sharedStrings.xml, each distinct string stored
// once (the table is spooled to a temp file in tmpDir while the sheet is
// written, then appended). Otherwise text cells are inline strings, the way
// excelize's StreamWriter writes them. Digits-only postal codes are number
// cells, as Excel stores what a user types as a number.
func writeBenchXLSX(w io.Writer, g *benchGen, update, shared bool, tmpDir string) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.DefaultCompression)
	})
	part := func(name, content string) error {
		pw, err := zw.Create(name)
		if err != nil {
			return err
		}
		_, err = io.WriteString(pw, content)
		return err
	}
	sstType, sstRel := "", ""
	if shared {
		sstType, sstRel = xlsxSSTContentType, xlsxSSTRel
	}
	for _, p := range [][2]string{{"[Content_Types].xml", fmt.Sprintf(xlsxContentTypes, sstType)}, {"_rels/.rels", xlsxRootRels},
		{"xl/workbook.xml", xlsxWorkbook}, {"xl/_rels/workbook.xml.rels", fmt.Sprintf(xlsxWorkbookRels, sstRel)},
		{"xl/styles.xml", xlsxStyles}} {
		if err := part(p[0], p[1]); err != nil {
			return err
		}
	}

	var sst *sstSpool
	if shared {
		var err error
		if sst, err = newSSTSpool(tmpDir); err != nil {
			return err
		}
		defer sst.close()
	}
	pw, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(pw, 1<<20)
	fmt.Fprintf(bw, xlsxSheetHead, g.rows+1)
	sw := sheetWriter{w: bw, sst: sst}
	var hdr benchRow
	copy(hdr.cells[:], benchHeader())
	sw.row(1, &hdr)
	var r benchRow
	for pos := range g.rows {
		g.row(pos, update, &r)
		sw.row(pos+2, &r)
	}
	bw.WriteString(xlsxSheetTail)
	if err := bw.Flush(); err != nil {
		return err
	}
	if shared {
		if err := sst.writeTo(zw); err != nil {
			return err
		}
	}
	return zw.Close()
}

// sheetWriter writes the rows of sheet1.xml.
type sheetWriter struct {
	w   *bufio.Writer
	sst *sstSpool // nil: inline strings
	num []byte
}

func (s *sheetWriter) row(n int, r *benchRow) {
	rn := strconv.Itoa(n)
	s.w.WriteString(`<row r="` + rn + `" spans="1:15">`)
	for f := range sheet.NumFields {
		v := r.cells[f]
		if v == "" {
			continue
		}
		s.w.WriteString(`<c r="`)
		s.w.WriteByte(byte('A' + f))
		s.w.WriteString(rn)
		switch {
		case r.numeric[f]:
			s.w.WriteString(`"><v>`)
			s.w.WriteString(v)
			s.w.WriteString(`</v></c>`)
		case s.sst != nil:
			s.w.WriteString(`" t="s"><v>`)
			s.num = strconv.AppendInt(s.num[:0], int64(s.sst.index(v)), 10)
			s.w.Write(s.num)
			s.w.WriteString(`</v></c>`)
		default:
			s.w.WriteString(`" t="inlineStr"><is><t>`)
			writeXMLText(s.w, v)
			s.w.WriteString(`</t></is></c>`)
		}
	}
	s.w.WriteString(`</row>`)
}

// writeXMLText writes s escaped as XML character data.
func writeXMLText(w *bufio.Writer, s string) {
	for {
		i := strings.IndexAny(s, "&<>")
		if i < 0 {
			w.WriteString(s)
			return
		}
		w.WriteString(s[:i])
		switch s[i] {
		case '&':
			w.WriteString("&amp;")
		case '<':
			w.WriteString("&lt;")
		default:
			w.WriteString("&gt;")
		}
		s = s[i+1:]
	}
}

// sstSpool is the shared-strings table being built: each distinct string
// gets the next index and is spooled as an <si> element to a temp file.
type sstSpool struct {
	f     *os.File
	w     *bufio.Writer
	ids   map[string]int32
	count int
}

func newSSTSpool(dir string) (*sstSpool, error) {
	f, err := os.CreateTemp(dir, "intake-bench-sst-*")
	if err != nil {
		return nil, err
	}
	return &sstSpool{f: f, w: bufio.NewWriterSize(f, 1<<20), ids: make(map[string]int32, 1<<16)}, nil
}

func (s *sstSpool) index(v string) int32 {
	s.count++
	if id, ok := s.ids[v]; ok {
		return id
	}
	id := int32(len(s.ids))
	s.ids[v] = id
	s.w.WriteString("<si><t>")
	writeXMLText(s.w, v)
	s.w.WriteString("</t></si>")
	return id
}

// writeTo appends xl/sharedStrings.xml to the package.
func (s *sstSpool) writeTo(zw *zip.Writer) error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	pw, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(pw, xlsxSSTHead, s.count, len(s.ids)); err != nil {
		return err
	}
	if _, err := io.Copy(pw, s.f); err != nil {
		return err
	}
	_, err = io.WriteString(pw, "</sst>")
	return err
}

func (s *sstSpool) close() {
	s.f.Close()
	os.Remove(s.f.Name())
}
