package charts

import (
	"fmt"
	"image/color"
	"sort"

	"github.com/hitreflect/hitreflect/pipeline/metrics"
	"gonum.org/v1/plot"
)

// slot is one figure of a categorical chart before it is laid out.
type slot struct {
	series string // provider, subject or measure: the Point's Series
	color  color.Color
	value  float64
	low    float64
	high   float64
	gap    string // why there is no figure; empty when there is one
	text   string // the value's label
	// named: the gap's drawn text starts with the series ("TutorCorps:
	// withheld ..."), where a group holds several series.
	named bool
}

// group is a category (a school, a provider) and its slots.
type group struct {
	label string
	slots []slot
}

const (
	slotThick = 0.78 // a bar's share of its slot
	groupGap  = 0.5  // space between groups, in slots
)

// stack lays groups out top to bottom (or left to right when across is
// true): one unit per slot, half a unit between groups. It returns the
// marks, the category ticks (one per group, at its middle) and the axis
// length.
func stack(groups []group, kind markKind, across bool) ([]mark, []plot.Tick, float64) {
	n := 0
	for _, g := range groups {
		n += len(g.slots)
	}
	length := float64(n) + groupGap*float64(len(groups)-1)
	var items []mark
	var ticks []plot.Tick
	cursor := length
	if across {
		cursor = 0
	}
	for _, g := range groups {
		start := cursor
		for _, s := range g.slots {
			var pos float64
			if across {
				pos = cursor + 0.5
				cursor++
			} else {
				pos = cursor - 0.5
				cursor--
			}
			gap := s.gap
			if gap != "" && s.named {
				gap = s.series + ": " + gap
			}
			items = append(items, mark{kind: kind, pos: pos, thick: slotThick, value: s.value, low: s.low, high: s.high, fill: s.color, text: s.text, gap: gap})
		}
		ticks = append(ticks, plot.Tick{Value: (start + cursor) / 2, Label: g.label})
		if across {
			cursor += groupGap
		} else {
			cursor -= groupGap
		}
	}
	return items, ticks, length
}

// addPoints records the drawn figures of groups.
func (c *Chart) addPoints(panel string, groups []group) {
	for _, g := range groups {
		for _, s := range g.slots {
			p := Point{Panel: panel, Series: s.series, Category: g.label, Value: s.value, Low: s.low, High: s.high, Gap: s.gap}
			if s.gap != "" {
				p.Value, p.Low, p.High = 0, 0, 0
			}
			c.Points = append(c.Points, p)
		}
	}
}

// hasGap says whether any slot is a gap.
func hasGap(groups []group) bool {
	for _, g := range groups {
		for _, s := range g.slots {
			if s.gap != "" {
				return true
			}
		}
	}
	return false
}

// extreme finds the smallest and the largest figure among the slots
// (the first of equals, in drawing order).
type extreme struct {
	group string
	slot  slot
	ok    bool
}

func extremes(groups []group) (lo, hi extreme) {
	for _, g := range groups {
		for _, s := range g.slots {
			if s.gap != "" {
				continue
			}
			if !lo.ok || s.value < lo.slot.value {
				lo = extreme{g.label, s, true}
			}
			if !hi.ok || s.value > hi.slot.value {
				hi = extreme{g.label, s, true}
			}
		}
	}
	return lo, hi
}

// sortRows orders rows by the text of the given dimensions, rows without
// a value last: tables from the warehouse and hand-built ones draw alike.
func sortRows(v *view, rows []metrics.Row, dims ...string) []metrics.Row {
	out := append([]metrics.Row(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool {
		for _, d := range dims {
			a, b := v.str(out[i], d), v.str(out[j], d)
			if a == b {
				continue
			}
			if a == "" || b == "" {
				return b == ""
			}
			return a < b
		}
		return false
	})
	return out
}

// gapFor is why a row's figure is not drawn: withheld, or none (with the
// chart's reason), or "" when it has one.
func gapFor(row metrics.Row, has bool, none string) string {
	if row.Suppressed != "" {
		return gapText(row.Suppressed)
	}
	if !has {
		return none
	}
	return ""
}

// noFigureNote counts the rows that have no figure though nothing is
// withheld.
func noFigureNote(n int, one, many, why string) []string {
	if n == 0 {
		return nil
	}
	return []string{fmt.Sprintf("No figure for %d %s: %s", n, plural(n, one, many), why)}
}

// providersOf lists the provider ids of the rows.
func providersOf(v *view, rows []metrics.Row, column string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, v.str(r, column))
	}
	return out
}

// withheldLegend is the legend entry for withheld slots.
func withheldLegend() legendEntry {
	return legendEntry{kind: legendHatch, text: "withheld to protect privacy (see the notes)"}
}
