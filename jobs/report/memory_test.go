package report

import (
	"bufio"
	"flag"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"intake/jobs/sheet"
	"intake/jobs/warning"
)

var (
	reportRows   = flag.Int("report-rows", 20_000, "data rows of TestReportMemory's generated upload")
	reportSource = flag.String("report-source", "csv", "format of TestReportMemory's generated upload: csv or xlsx")
)

// memoryChildEnv tells the test binary it runs as TestReportMemory's child.
const memoryChildEnv = "INTAKE_REPORT_MEMORY_CHILD"

// TestReportMemory measures the peak resident memory of writing a report:
// a child process reads a generated upload with jobs/sheet, as the service
// does, merges it with generated marks (a red row in 10, a yellow row in 7,
// a skipped row in 50) and writes the report to a file, in each format.
// The figure is the child's rusage Maxrss. By default it is a quick
// regression guard (20,000 rows, at most 400 MiB); docs/perf.md records
//
//	go test ./jobs/report -run TestReportMemory -report-rows=1000000 -v
func TestReportMemory(t *testing.T) {
	if os.Getenv(memoryChildEnv) != "" {
		t.Skip("running as the child of TestReportMemory")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "upload."+*reportSource)
	start := time.Now()
	if err := writeUpload(src, *reportSource, *reportRows); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(src)
	t.Logf("upload: %d rows, %s, %.1f MB, generated in %v", *reportRows, *reportSource, float64(st.Size())/1e6, time.Since(start).Round(time.Second))
	for _, format := range []Format{XLSX, CSV} {
		out := filepath.Join(dir, "report."+string(format))
		cmd := exec.Command(os.Args[0], "-test.run=^TestReportMemoryChild$", "-test.v")
		cmd.Env = append(os.Environ(), memoryChildEnv+"=1", "REPORT_SRC="+src, "REPORT_OUT="+out,
			"REPORT_FORMAT="+string(format), "REPORT_TMP="+dir)
		start := time.Now()
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s child: %v\n%s", format, err, b)
		}
		took := time.Since(start)
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
		st, _ := os.Stat(out)
		t.Logf("%s report: peak RSS %.0f MiB, %.1f MB written, %v (%.0f rows/s)", format, float64(rss)/(1<<20),
			float64(st.Size())/1e6, took.Round(100*time.Millisecond), float64(*reportRows)/took.Seconds())
		if limit := int64(400 << 20); *reportRows <= 100_000 && rss > limit {
			t.Errorf("%s report of %d rows: peak RSS %d MiB, over %d MiB", format, *reportRows, rss>>20, limit>>20)
		}
	}
}

// TestReportMemoryChild is TestReportMemory's child process.
func TestReportMemoryChild(t *testing.T) {
	if os.Getenv(memoryChildEnv) == "" {
		t.Skip("only run by TestReportMemory")
	}
	r, err := sheet.OpenFile(os.Getenv("REPORT_SRC"), sheet.Limits{TempDir: os.Getenv("REPORT_TMP")})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out, err := os.Create(os.Getenv("REPORT_OUT"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	in := Input{Header: r.Header(), Rows: r, Marks: generatedMarks(r.Header())}
	err = Write(out, Format(os.Getenv("REPORT_FORMAT")), in, Options{Lang: "fr", TempDir: os.Getenv("REPORT_TMP")})
	if err != nil {
		t.Fatal(err)
	}
}

// generatedMarks are the marks of a generated upload whose data rows are
// 2…: a skip every 50 rows, a red email every 10, a yellow country every 7.
func generatedMarks(h *sheet.Header) iter.Seq2[Mark, error] {
	return func(yield func(Mark, error) bool) {
		for row := 2; row <= *reportRows+1; row++ {
			if row%50 == 0 && !yield(Mark{Row: row, Skipped: true}, nil) {
				return
			}
			if row%10 == 0 && !yield(Mark{Row: row, Warning: warning.Warning{Row: row, Column: h.Letter(sheet.ContactEmail),
				Field: "contact_email", Code: warning.EmailInvalid, Value: "x@"}}, nil) {
				return
			}
			if row%7 == 0 && !yield(Mark{Row: row, Warning: warning.Warning{Row: row, Column: h.Letter(sheet.Country),
				Field: "country", Code: warning.CountryConverted, Value: "France", Params: map[string]string{"to": "FR"}}}, nil) {
				return
			}
		}
	}
}

// uploadRow is row i of a generated upload, in template order.
func uploadRow(i int) []string {
	n := strconv.Itoa(i)
	return []string{"C" + n, "Customer " + n, "FR" + fmt.Sprintf("%011d", i), "A" + n, "Address " + n,
		n + " rue de la République", "Lyon", "69001", "Rhône", "France", "Oui", "Contact " + n, "+33 4 72 00 00 00",
		"contact" + n + "@example.com", "Oui"}
}

// writeUpload writes a template-shaped upload of n data rows at path.
func writeUpload(path, format string, n int) error {
	hdr := make([]string, sheet.NumFields)
	for f := range sheet.NumFields {
		hdr[f] = f.Header("en")
	}
	if format == "xlsx" {
		return writeUploadXLSX(path, hdr, n)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, strings.Join(hdr, ","))
	for i := 1; i <= n; i++ {
		fmt.Fprintln(w, strings.Join(uploadRow(i), ","))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeUploadXLSX(path string, hdr []string, n int) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	row := make([]any, len(hdr))
	set := func(num int, cells []string) error {
		for i, c := range cells {
			row[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, num)
		return sw.SetRow(cell, row)
	}
	if err := set(1, hdr); err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		if err := set(i+1, uploadRow(i)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeZip(f, out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
