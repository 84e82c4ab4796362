package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// benchResult is one measured phase.
type benchResult struct {
	Phase   string  `json:"phase"`
	Format  string  `json:"format"`
	Rows    int     `json:"rows"`
	Seconds float64 `json:"seconds"`
	// RSS is a peak resident set in bytes (RSSWhat says whose: the reader
	// child, the worker) or, for uploads, how much the API's grew.
	RSS     int64   `json:"rss_bytes,omitempty"`
	RSSWhat string  `json:"rss_what,omitempty"`
	CPU     float64 `json:"worker_cores,omitempty"` // the worker's CPU time over the phase's wall time
	// Poll latencies of GET /v1/imports/{id} during a validation.
	PollP50    float64 `json:"poll_p50_ms,omitempty"`
	PollP99    float64 `json:"poll_p99_ms,omitempty"`
	Polls      int     `json:"polls,omitempty"`
	PollErrors int     `json:"poll_errors,omitempty"`
	Note       string  `json:"note,omitempty"`
}

// benchTarget is one target of docs/perf.md checked against the run.
type benchTarget struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit float64 `json:"limit"`
	Unit  string  `json:"unit"`
	Met   bool    `json:"met"`
}

func (b *bench) add(r benchResult) {
	b.results = append(b.results, r)
	fmt.Fprintf(b.stdout, "  %-15s %-11s %9d rows %8.2fs\n", r.Phase, r.Format, r.Rows, r.Seconds)
}

// find returns the first result of phase and format (any format if ""), at
// rows (any if 0).
func (b *bench) find(phase, format string, rows int) *benchResult {
	for i := range b.results {
		r := &b.results[i]
		if r.Phase == phase && (format == "" || r.Format == format) && (rows == 0 || r.Rows == rows) {
			return r
		}
	}
	return nil
}

// ratio is a phase's time over a floor's, as printed in the table.
func (b *bench) ratio(r *benchResult) string {
	var floor *benchResult
	var of string
	switch {
	case r.Rows != b.opts.rows:
	case r.Phase == "validate" && r.Format == "csv", r.Phase == "confirm", r.Phase == "confirm_update":
		floor, of = b.find("floor_copy", "", 0), "floor_copy"
	case r.Phase == "validate":
		floor, of = b.find("floor_read", r.Format, r.Rows), "floor_read"
	}
	if floor == nil || floor.Seconds == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f× %s", r.Seconds/floor.Seconds, of)
}

// targets checks the targets of docs/perf.md that this run measured.
func (b *bench) targets() []benchTarget {
	var ts []benchTarget
	add := func(name string, v, limit float64, unit string) {
		ts = append(ts, benchTarget{Name: name, Value: v, Limit: limit, Unit: unit, Met: v <= limit})
	}
	n := b.opts.rows
	fc := b.find("floor_copy", "", 0)
	if v, fr := b.find("validate", "xlsx", n), b.find("floor_read", "xlsx", n); v != nil && fr != nil {
		add("validate xlsx / floor_read xlsx", v.Seconds/fr.Seconds, 1.3, "×")
		add("worker RSS validate xlsx − floor_read RSS", float64(v.RSS-fr.RSS)/(1<<20), 128, "MiB")
	}
	if v := b.find("validate", "csv", n); v != nil && fc != nil {
		add("validate csv / floor_copy", v.Seconds/fc.Seconds, 1.5, "×")
	}
	if c := b.find("confirm", "", 0); c != nil && fc != nil {
		add("confirm / floor_copy", c.Seconds/fc.Seconds, 2, "×")
	}
	if c := b.find("confirm_update", "", 0); c != nil && fc != nil {
		add("confirm_update / floor_copy", c.Seconds/fc.Seconds, 2.5, "×")
	}
	for _, f := range []string{"csv", "xlsx-inline"} {
		v := b.find("validate", f, n)
		if v == nil {
			continue
		}
		add("worker RSS validate "+f, float64(v.RSS)/(1<<20), 300, "MiB")
		if s := b.find("validate", f, b.opts.flatRows); s != nil && s != v && s.RSS > 0 {
			add(fmt.Sprintf("worker RSS validate %s, %d rows / %d rows", f, n, b.opts.flatRows), float64(v.RSS)/float64(s.RSS), 1.25, "×")
		}
	}
	if u := b.find("upload_big", "", 0); u != nil {
		add(fmt.Sprintf("API RSS growth receiving %d MiB", b.opts.uploadMiB), float64(u.RSS)/(1<<20), 64, "MiB")
	}
	for _, r := range b.results {
		if (r.Phase == "validate" || r.Phase == "validate_update") && r.Rows == n && r.Polls > 0 {
			add(fmt.Sprintf("p99 GET /v1/imports/{id}, %d pollers, %s %s", b.opts.pollers, r.Phase, r.Format), r.PollP99, 50, "ms")
		}
	}
	return ts
}

// report prints the table and the targets.
func (b *bench) report(w io.Writer) {
	fmt.Fprintf(w, "\nintake bench: %d rows, %d CPUs, %s, %s\n", b.opts.rows, runtime.NumCPU(), runtime.Version(), time.Now().Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tformat\trows\tseconds\trows/s\tpeak RSS\tratio\tpolls p50/p99\tworker CPU\t")
	for i := range b.results {
		r := &b.results[i]
		rate, rss, polls, cpu := "", "", "", ""
		if r.Rows > 0 && r.Seconds > 0 {
			rate = fmt.Sprintf("%.0f", float64(r.Rows)/r.Seconds)
		}
		if r.RSSWhat != "" {
			rss = fmt.Sprintf("%.0f MiB %s", float64(r.RSS)/(1<<20), r.RSSWhat)
			if strings.Contains(r.RSSWhat, "growth") {
				rss = fmt.Sprintf("+%.0f MiB %s", float64(r.RSS)/(1<<20), r.RSSWhat)
			}
		}
		if r.Polls > 0 {
			polls = fmt.Sprintf("%.1f/%.1f ms", r.PollP50, r.PollP99)
		}
		if r.CPU > 0 {
			cpu = fmt.Sprintf("%.2f cores", r.CPU)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%s\t%s\t%s\t%s\t%s\t\n", r.Phase, r.Format, r.Rows, r.Seconds, rate, rss, b.ratio(r), polls, cpu)
	}
	tw.Flush()
	for i := range b.results {
		if r := &b.results[i]; r.Note != "" || r.PollErrors > 0 {
			fmt.Fprintf(w, "  %s %s %d: %s", r.Phase, r.Format, r.Rows, r.Note)
			if r.Polls > 0 {
				fmt.Fprintf(w, " (%d polls, %d errors)", r.Polls, r.PollErrors)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w, "\ntargets:")
	if b.opts.rows < 1_000_000 {
		fmt.Fprintln(w, "  (set for 1,000,000 rows on 2 cores; at this size they are indicative only)")
	}
	for _, t := range b.targets() {
		mark := "met   "
		if !t.Met {
			mark = "MISSED"
		}
		fmt.Fprintf(w, "  %s %-60s %8.2f %s (≤ %g)\n", mark, t.Name, t.Value, t.Unit, t.Limit)
	}
}

func (b *bench) writeJSON(path string) error {
	out, err := json.MarshalIndent(struct {
		Rows    int           `json:"rows"`
		CPUs    int           `json:"cpus"`
		Time    time.Time     `json:"time"`
		Results []benchResult `json:"results"`
		Targets []benchTarget `json:"targets"`
	}{b.opts.rows, runtime.NumCPU(), time.Now(), b.results, b.targets()}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}
