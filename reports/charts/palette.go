package charts

import (
	"image/color"
	"sort"
)

// The Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008):
// eight colours people with the common colour-vision deficiencies can still
// tell apart. Providers take them in this order, chosen for a white
// background: the strong colours first, yellow (faint on white) last.
// Black is kept for the district-wide figures.
var okabeIto = [...]color.RGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // blue
	{0xE6, 0x9F, 0x00, 0xFF}, // orange
	{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	{0xF0, 0xE4, 0x42, 0xFF}, // yellow
}

// Colours that are nobody's: the district-wide figures, withheld slots,
// reference lines and series that are not providers (subjects).
var (
	black     = color.RGBA{0x00, 0x00, 0x00, 0xFF}
	allColor  = color.RGBA{0x59, 0x59, 0x59, 0xFF} // "all providers"
	darkGrey  = color.RGBA{0x40, 0x40, 0x40, 0xFF}
	midGrey   = color.RGBA{0x8C, 0x8C, 0x8C, 0xFF}
	hatchGrey = color.RGBA{0xB3, 0xB3, 0xB3, 0xFF}
	paleGrey  = color.RGBA{0xF2, 0xF2, 0xF2, 0xFF}
	gridGrey  = color.RGBA{0xD9, 0xD9, 0xD9, 0xFF}
	white     = color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}
)

// Palette gives every provider its colour: the providers' ids are sorted
// and take the Okabe-Ito colours in order, so a provider keeps its colour in
// every chart built with the same list. Pass every provider of the config,
// not only those a table shows: a school's or a provider's packet then
// colours each provider as the district's does. Empty and repeated ids are
// ignored. With more than seven providers the colours repeat.
func Palette(providers []string) map[string]color.Color {
	ids := make([]string, 0, len(providers))
	seen := map[string]bool{}
	for _, p := range providers {
		if p != "" && !seen[p] {
			seen[p] = true
			ids = append(ids, p)
		}
	}
	sort.Strings(ids)
	out := make(map[string]color.Color, len(ids))
	for i, id := range ids {
		out[id] = okabeIto[i%len(okabeIto)]
	}
	return out
}
