package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"intake/jobs/sheet"
)

// benchGen generates the rows of `intake bench`'s customer files,
// deterministically: the same rows, shares and seed give byte-identical files.
// A file has rows data rows for about rows/1.6 customers; each customer has a
// first row (name, VAT, head-office address, main contact, both default) and
// six in ten customers a second row (another address and contact, the name
// repeated or blank) that lands far from the first in the file.
type benchGen struct {
	rows   int
	custs  int
	red    float64 // share of rows with a red code
	yellow float64 // share of rows with a yellow code (and no red one)
	seed   uint64
	mul    uint64 // file position → slot permutation: slot = (pos*mul + add) mod rows
	add    uint64
}

// newBenchGen returns the generator of rows data rows.
func newBenchGen(rows int, red, yellow float64, seed uint64) *benchGen {
	g := &benchGen{rows: rows, custs: (rows*5 + 7) / 8, red: red, yellow: yellow, seed: seed}
	g.mul = 2654435761 % uint64(max(rows, 2))
	for gcd(g.mul, uint64(rows)) != 1 {
		g.mul++
	}
	g.add = seed % uint64(max(rows, 1))
	return g
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// mix is splitmix64: a well-spread 64-bit hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// slot returns the customer and its row index (0 = first row) of file
// position pos (0-based data row).
func (g *benchGen) slot(pos int) (c, k int) {
	s := int((uint64(pos)*g.mul + g.add) % uint64(g.rows))
	if s < g.custs {
		return s, 0
	}
	return s - g.custs, 1
}

var (
	benchWords  = []string{"Dupont", "Martin", "Bernard", "Durand", "Lefebvre", "Moreau", "Laurent", "Simon", "Michel", "Garcia", "Roux", "Fontaine", "Chevalier", "Robin", "Gauthier", "Perrin"}
	benchForms  = []string{"SARL", "SA", "SAS", "& Fils", "Frères", "et Associés", "Industries", "Distribution"}
	benchFirst  = []string{"Marie", "Jean", "Sophie", "Pierre", "Camille", "Luc", "Julie", "Nicolas", "Chloé", "Thomas", "Léa", "Hugo"}
	benchStreet = []string{"rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo", "rue Pasteur", "place de la Gare", "chemin des Vignes", "allée des Tilleuls", "rue du Moulin"}
	benchCities = []struct{ name, postal string }{{"Paris", "75011"}, {"Lyon", "69003"}, {"Marseille", "13008"}, {"Toulouse", "31000"},
		{"Nice", "06000"}, {"Nantes", "44000"}, {"Strasbourg", "67000"}, {"Montpellier", "34000"}, {"Bordeaux", "33000"},
		{"Lille", "59000"}, {"Rennes", "35000"}, {"Reims", "51100"}, {"Grenoble", "38000"}, {"Dijon", "21000"}, {"Angers", "49000"}, {"Brest", "29200"}}
)

// benchRow is one generated row in template order; numeric marks the cells
// an Excel user would have typed as numbers (written as number cells in
// xlsx).
type benchRow struct {
	cells   [sheet.NumFields]string
	numeric [sheet.NumFields]bool
}

// row fills r with data row pos (0-based). update makes the row of the second
// file, which updates the customers of the first: a fifth of them renamed, a
// tenth of the second addresses moved, a new contact for every eighth
// customer, and no red row.
func (g *benchGen) row(pos int, update bool, r *benchRow) {
	c, k := g.slot(pos)
	h := mix(g.seed ^ uint64(c)<<1 ^ uint64(k))
	*r = benchRow{}
	v := &r.cells
	code := fmt.Sprintf("CUST%07d", c)
	if k == 1 && c%7 == 0 {
		code = strings.ToLower(code) // codes match ignoring case
	}
	v[sheet.CustomerCode] = code
	company := benchWords[c%16] + " " + benchWords[(c/16)%16] + " " + benchForms[(c/256)%8] + " " + strconv.Itoa(c)
	if update && c%5 == 0 {
		company += " (groupe)"
	}
	if k == 0 || h%5 < 2 {
		v[sheet.CustomerName] = company
	}
	if k == 0 {
		v[sheet.VATNumber] = fmt.Sprintf("FR%02d%09d", c%97, 100000000+c)
	}
	city := benchCities[(c+k*5)%len(benchCities)]
	if update && k == 1 && c%10 == 3 {
		city = benchCities[(c+k*5+1)%len(benchCities)]
	}
	v[sheet.AddressCode] = "ADR" + strconv.Itoa(k+1)
	v[sheet.AddressName] = []string{"Siège", "Dépôt"}[k]
	v[sheet.Address] = strconv.Itoa(1+int(h>>8)%180) + " " + benchStreet[(h>>16)%8]
	v[sheet.City] = city.name
	v[sheet.PostalCode] = city.postal
	r.numeric[sheet.PostalCode] = city.postal[0] != '0'
	v[sheet.Country] = "FR"
	first, last := benchFirst[(c+k)%12], benchWords[(c/3+k)%16]
	v[sheet.ContactName] = first + " " + last
	if update && k == 1 && c%8 == 0 {
		v[sheet.ContactName] = first + " " + last + " Junior"
	}
	v[sheet.ContactPhone] = fmt.Sprintf("+33 6 %02d %02d %02d %02d", c%100, (c/100)%100, (c/10000)%100, k)
	v[sheet.ContactEmail] = strings.ToLower(first[:1]+"."+last) + "@c" + strconv.Itoa(c) + ".example.fr"
	if k == 0 {
		v[sheet.AddressIsDefault], v[sheet.ContactIsDefault] = "Oui", "Oui"
	}

	// Red and yellow rows, by share, one code each.
	p := float64(h>>40) / float64(1<<24)
	switch {
	case !update && p < g.red:
		switch h % 3 {
		case 0:
			v[sheet.ContactEmail] = "pas-une-adresse"
		case 1:
			v[sheet.Country] = "ZZ"
		default:
			v[sheet.AddressCode] = ""
		}
	case p < g.red+g.yellow:
		switch h % 4 {
		case 0:
			v[sheet.Country] = "France"
		case 1:
			v[sheet.PostalCode], r.numeric[sheet.PostalCode] = "8000", true
		case 2:
			v[sheet.AddressIsDefault] = "Peut-être"
		default:
			if k == 0 {
				v[sheet.VATNumber] = "FR123"
			} else {
				v[sheet.Country] = "Royaume-Uni"
			}
		}
	}
}

// benchHeader is the template's header row in French (the canonical names).
func benchHeader() []string {
	h := make([]string, sheet.NumFields)
	for f := range sheet.NumFields {
		h[f] = f.Header("fr")
	}
	return h
}

// writeBenchCSV writes the generated file as French Excel's CSV would look in
// UTF-8: semicolons, CRLF, quotes where needed.
func writeBenchCSV(w io.Writer, g *benchGen, update bool) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	writeRec := func(cells []string) {
		for i, s := range cells {
			if i > 0 {
				bw.WriteByte(';')
			}
			if strings.ContainsAny(s, ";\"\r\n") {
				bw.WriteByte('"')
				bw.WriteString(strings.ReplaceAll(s, `"`, `""`))
				bw.WriteByte('"')
			} else {
				bw.WriteString(s)
			}
		}
		bw.WriteString("\r\n")
	}
	writeRec(benchHeader())
	var r benchRow
	for pos := range g.rows {
		g.row(pos, update, &r)
		writeRec(r.cells[:])
	}
	return bw.Flush()
}
