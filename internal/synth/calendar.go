package synth

import (
	"sort"
	"time"
)

// The synthetic district's school year. Everything is in local dates; the
// config says the district is in America/Chicago.
var (
	calStart = civil(2025, time.August, 18)
	calEnd   = civil(2026, time.June, 5)
)

// breaks are the calendar's breaks, both ends included.
var breaks = [][2]time.Time{
	{civil(2025, time.November, 24), civil(2025, time.November, 28)},
	{civil(2025, time.December, 22), civil(2026, time.January, 2)},
}

// Session files are monthly, September to May.
const firstSessionMonth = 1 // months since August 2025
const sessionMonths = 9     // 2025-09 .. 2026-05

// Tutorcorps sends cumulative snapshots on these days.
var snapshotDays = []time.Time{
	civil(2026, time.January, 31),
	civil(2026, time.March, 31),
	civil(2026, time.June, 5),
}

func civil(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// calendar indexes the days of the school year from calStart (day 0) and
// holds each day's text in every date format the files use.
type calendar struct {
	n         int
	weekday   []time.Weekday
	instr     []bool // a weekday outside the breaks
	month     []int  // months since August 2025
	instrDays []int  // the instructional days, in order
	us        []string
	short     []string
	iso       []string
	snapshots []int // day index of each snapshot cutoff
	// Minute-of-day texts: "15:04" and "3:04 PM".
	hhmm []string
	ampm []string
}

func newCalendar() *calendar {
	n := int(calEnd.Sub(calStart).Hours()/24) + 1
	c := &calendar{
		n:       n,
		weekday: make([]time.Weekday, n),
		instr:   make([]bool, n),
		month:   make([]int, n),
		us:      make([]string, n),
		short:   make([]string, n),
		iso:     make([]string, n),
	}
	for d := 0; d < n; d++ {
		t := calStart.AddDate(0, 0, d)
		c.weekday[d] = t.Weekday()
		in := t.Weekday() != time.Saturday && t.Weekday() != time.Sunday
		for _, b := range breaks {
			if !t.Before(b[0]) && !t.After(b[1]) {
				in = false
			}
		}
		c.instr[d] = in
		if in {
			c.instrDays = append(c.instrDays, d)
		}
		c.month[d] = (t.Year()-2025)*12 + int(t.Month()) - 8
		c.us[d] = t.Format("01/02/2006")
		c.short[d] = t.Format("1/2/06")
		c.iso[d] = t.Format("2006-01-02")
	}
	for _, s := range snapshotDays {
		c.snapshots = append(c.snapshots, c.index(s))
	}
	c.hhmm = make([]string, 24*60)
	c.ampm = make([]string, 24*60)
	for m := range c.hhmm {
		t := calStart.Add(time.Duration(m) * time.Minute)
		c.hhmm[m] = t.Format("15:04")
		c.ampm[m] = t.Format("3:04 PM")
	}
	return c
}

// index is the day number of a date.
func (c *calendar) index(t time.Time) int { return int(t.Sub(calStart).Hours() / 24) }

// nthInstr returns the instructional day k instructional days after the first
// one on or after d (k = 0 gives that first one); it stays inside the year.
func (c *calendar) nthInstr(d, k int) int {
	i := sort.SearchInts(c.instrDays, d) + k
	if i >= len(c.instrDays) {
		i = len(c.instrDays) - 1
	}
	return c.instrDays[i]
}

// monthKey is "2025-09" for a month number (months since August 2025).
func monthKey(m int) string {
	return calStart.AddDate(0, m, 1-calStart.Day()).Format("2006-01")
}
