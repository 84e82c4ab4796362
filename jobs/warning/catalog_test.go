package warning

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// codesIn returns the backquoted codes that open a Markdown table row
// ("| `code` | …") in text between the line starting with from and the next
// heading of the same or a higher level.
func codesIn(t *testing.T, text, from string) []string {
	t.Helper()
	i := strings.Index(text, "\n"+from)
	if i < 0 {
		t.Fatalf("section %q not found", from)
	}
	level := len(from) - len(strings.TrimLeft(from, "#"))
	sec := text[i+1+len(from):]
	if j := regexp.MustCompile(`\n#{1,` + string(rune('0'+level)) + `} `).FindStringIndex(sec); j != nil {
		sec = sec[:j[0]]
	}
	var codes []string
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)`(?: / `([a-z_]+)`)? \\|")
	for _, m := range row.FindAllStringSubmatch(sec, -1) {
		codes = append(codes, m[1])
		if m[2] != "" {
			codes = append(codes, m[2])
		}
	}
	// File-level codes are listed in the prose of their own subsection.
	if k := strings.Index(sec, "### File-level errors"); k >= 0 {
		file := sec[k:]
		file = file[strings.Index(file, "\n"):] // the heading may quote a status
		if j := strings.Index(file, "\n#"); j >= 0 {
			file = file[:j]
		}
		for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(file, -1) {
			codes = append(codes, m[1])
		}
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

func catalogCodes() []string {
	var codes []string
	for _, e := range Catalog() {
		codes = append(codes, string(e.Code))
	}
	slices.Sort(codes)
	return codes
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCatalogMatchesSpec(t *testing.T) {
	want := catalogCodes()
	paths := []string{filepath.Join("..", "..", "docs", "SPEC.md")}
	if _, err := os.Stat(filepath.Join("..", "..", "..", "shared", "SPEC.md")); err == nil {
		paths = append(paths, filepath.Join("..", "..", "..", "shared", "SPEC.md"))
	}
	for _, p := range paths {
		got := codesIn(t, read(t, p), "## 4. Rules")
		if !slices.Equal(got, want) {
			t.Errorf("%s §4 lists %v,\ncatalogue has %v", p, got, want)
		}
	}
}

func TestCatalogMatchesREADME(t *testing.T) {
	got := codesIn(t, read(t, filepath.Join("..", "..", "README.md")), "## Rules")
	if want := catalogCodes(); !slices.Equal(got, want) {
		t.Errorf("README's rules section lists %v,\ncatalogue has %v", got, want)
	}
}

func TestCatalogSeverities(t *testing.T) {
	seen := map[Code]bool{}
	for _, e := range Catalog() {
		if seen[e.Code] {
			t.Errorf("%s listed twice", e.Code)
		}
		seen[e.Code] = true
		if e.Code.Severity() != e.Severity || e.When == "" {
			t.Errorf("%s: severity %q, when %q", e.Code, e.Code.Severity(), e.When)
		}
	}
	if Code("nope").Severity() != "" {
		t.Error("unknown code has a severity")
	}
}
