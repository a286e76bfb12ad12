package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The night with one new day of sessions needs a day the cold run has not
// seen. When the bench writes its district, it takes BrightPath's last
// session day out of the latest monthly file and keeps it beside the
// district; that night drops it into the landing folder as the provider's
// nightly file would arrive.

const newDayFolder = "bench-newday"

type dayFile struct {
	path        string // the withheld day, kept beside the district
	landingPath string // where that night puts it
	rows        int
}

// withholdLastDay moves the rows of the latest session date out of the
// newest BrightPath monthly file into bench-newday/, with the same header
// and a totals line; the monthly file's totals line is corrected.
func withholdLastDay(dir string) error {
	landing := filepath.Join(dir, "landing", "brightpath")
	months, err := filepath.Glob(filepath.Join(landing, "brightpath_*.csv"))
	if err != nil || len(months) == 0 {
		return fmt.Errorf("bench: no BrightPath monthly file in %s to take a new day from", landing)
	}
	sort.Strings(months)
	month := months[len(months)-1]
	b, err := os.ReadFile(month)
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) < 3 {
		return fmt.Errorf("bench: %s has no data rows", month)
	}
	header := lines[0]
	dateOf := func(line string) (time.Time, bool) {
		if strings.Contains(line, `"`) {
			return time.Time{}, false // a quoted row stays where it is
		}
		f := strings.Split(line, ",")
		if len(f) < 4 {
			return time.Time{}, false
		}
		t, err := time.Parse("01/02/2006", f[3])
		return t, err == nil
	}
	var last time.Time
	for _, l := range lines[1:] {
		if t, ok := dateOf(l); ok && t.After(last) {
			last = t
		}
	}
	if last.IsZero() {
		return fmt.Errorf("bench: no session date found in %s", month)
	}
	var kept, moved bytes.Buffer
	kept.WriteString(header)
	moved.WriteString(header)
	var nKept, nMoved int
	for _, l := range lines[1:] {
		switch t, ok := dateOf(l); {
		case strings.HasPrefix(l, "TOTAL SESSIONS,") || l == "":
		case ok && t.Equal(last):
			moved.WriteString(l)
			nMoved++
		default:
			kept.WriteString(l)
			nKept++
		}
	}
	fmt.Fprintf(&kept, "TOTAL SESSIONS,%d\n", nKept)
	fmt.Fprintf(&moved, "TOTAL SESSIONS,%d\n", nMoved)
	if err := os.MkdirAll(filepath.Join(dir, newDayFolder), 0o700); err != nil {
		return err
	}
	name := "brightpath_" + last.Format("2006-01-02") + ".csv"
	if err := os.WriteFile(filepath.Join(dir, newDayFolder, name), moved.Bytes(), 0o600); err != nil {
		return err
	}
	return os.WriteFile(month, kept.Bytes(), 0o600)
}

// newDayFile finds the withheld day.
func newDayFile(dir string) (dayFile, error) {
	found, _ := filepath.Glob(filepath.Join(dir, newDayFolder, "brightpath_*.csv"))
	if len(found) != 1 {
		return dayFile{}, fmt.Errorf("bench: %s should hold one withheld day of BrightPath sessions; "+
			"use a folder the bench wrote (or an empty one)", filepath.Join(dir, newDayFolder))
	}
	b, err := os.ReadFile(found[0])
	if err != nil {
		return dayFile{}, err
	}
	rows := bytes.Count(b, []byte{'\n'}) - 2 // less the header and the totals line
	return dayFile{path: found[0], landingPath: filepath.Join(dir, "landing", "brightpath", filepath.Base(found[0])), rows: rows}, nil
}

// memTotal is the machine's memory, as /proc/meminfo gives it.
func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "memory unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return fmt.Sprintf("%.0f GiB", kb/(1<<20))
		}
	}
	return "memory unknown"
}
