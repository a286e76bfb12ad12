package packet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hitreflect/hitreflect/reports/charts"
)

// A headline too long for one line of a slide wraps onto as many lines as
// it needs: every word is on the slide, none replaced by an ellipsis, and
// the prompts follow on the next slide.
func TestSlidesWrapLongHeadlines(t *testing.T) {
	pdftotext := tool(t, "pdftotext", "poppler-utils")
	long := strings.Repeat("Attendance of every tutored student at Benito Juárez Elementary and Cesar Chavez Middle School, ", 3) + "week by week"
	reading := strings.Repeat("Attendance ranged from 70% to 81% across schools and providers. ", 4)
	c := &charts.Chart{Name: "long", Title: long, Reading: reading, N: "n = 12 students served",
		Notes: []string{"Withheld: 1 group with fewer than 10 students"}}
	b, err := writeSlides(cover{District: "Riverside Unified", Audience: "District", Period: "year", Made: fixedNow()}, []drawn{{chart: c}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "slides.pdf")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	slide, prompts := squash(pdfPage(t, pdftotext, path, 3)), squash(pdfPage(t, pdftotext, path, 4))
	for _, want := range []string{squash(long), squash(reading), c.N, c.Notes[0]} {
		if !strings.Contains(slide, want) {
			t.Errorf("the chart's slide lacks %q:\n%s", want, slide)
		}
	}
	if !strings.Contains(prompts, squash(long)) || !strings.Contains(prompts, "What do we wonder?") {
		t.Errorf("the prompt slide lacks the headline or a prompt:\n%s", prompts)
	}
	if strings.Contains(slide+prompts, "…") {
		t.Errorf("text cut short:\n%s\n%s", slide, prompts)
	}
}

// Sheet names are Excel's: at most 31 characters, none of []:*?/\', unique
// without regard to case, never "About".
func TestSheetNames(t *testing.T) {
	mk := func(name string) drawn { return drawn{chart: &charts.Chart{Name: name}} }
	got := sheetNames([]drawn{mk("share-meeting-target-by-school-and-provider-a"), mk("share-meeting-target-by-school-and-provider-b"),
		mk("about"), mk("a/b:c")})
	want := []string{"share-meeting-target-by-school-", "share-meeting-target-by-schoo~2", "about~2", "a-b-c"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sheet %d: %q, want %q", i, got[i], want[i])
		}
	}
}
