package synth

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

var truthNotes = []string{
	"All figures are computed from the data as generated, after the planted defects are resolved: final statuses (corrections applied), tutorcorps copies a later snapshot drops removed, rejected bad rows excluded.",
	"Impact, per subject and outcome window (winter or spring): the analytic sample is students with a fall (baseline) score and an outcome score in that subject. Tutored = at least 1 attended session in the subject between the fall and the outcome test dates; every session comes after the student's fall tests and no session falls on one of the student's test days, so 'before' and 'up to' the test date agree.",
	"hours = attended minutes / 60 in that subject before the outcome test date, over every provider. Bands follow METRICS.md: (0,5], (5,10], (10,20], (20,30], >30 hours.",
	"Planted increment of a tutored student (scale points) = pointsPerSD * dosage(hours) * (hour-weighted mean of the full-dosage effects of the providers who tutored the student in that subject), dosage(h) = 1 - exp(-h/dosage_scale_hours). Untutored students get none.",
	"effect_sd = mean over the tutored students of (planted increment / within grade x subject x window SD of the outcome scale scores as written, sample SD over every student with that score). outcome_sd_by_grade gives those SDs.",
	"providers.<id> under impact: only students whose sessions in that subject were all with that provider; the few students who switched provider mid-year count in overall only.",
	"n_comparison = students in the analytic sample with no attended session in the subject before the outcome test, in school x grade cells with at least one tutored student.",
	"Selection into tutoring depends only on the fall percentile in that subject (below 40: 70% if it is the student's primary subject, else 15%; second subject 10% / 2%) and on the school, so an OLS of z_outcome on tutored, z_baseline, grade and school indicators is unbiased for effect_sd.",
	"providers.<id>.final is the provider's sessions once every file of its source is loaded in file-name order with its load mode: sessions, by canonical status, attended hours, sessions whose student id matches no student (leading zeros lost), and students scheduled/served counted by true student.",
	"files[].bad_rows lists every planted bad row with its physical line number in the file (1-based; title lines and the header count, a BOM does not) and the spoiled column; a loader should reject exactly these rows. skipped_rows are rows the profile skips on purpose (Science in the NWEA files); footer_lines is the totals line profiles skip with skip_footer.",
	"Other planted mess: brightpath_2026-02.csv lost leading zeros of student ids (stripped_id_rows); brightpath and learnwell re-send a few rows in the next month's file with a corrected status (corrected_rows, counted in the file that carries the correction); learnwell_2025-11.tsv repeats a few rows exactly (exact_duplicate_rows); tutorcorps snapshots correct some earlier statuses (corrected_rows) and drop some earlier rows (snapshot_removed_rows, counted in the snapshot that drops them).",
}

func (g *gen) truth() *Truth {
	ids := make([]string, len(g.w.provs))
	for p, ps := range g.w.provs {
		ids[p] = ps.id
	}
	t := &Truth{
		Generator: "hitreflect internal/synth",
		Seed:      g.opt.Seed,
		Students:  g.opt.Students,
		Schools:   g.opt.Schools,
		Notes:     truthNotes,
		EffectModel: EffectModel{
			Dosage:               "effect_sd_at_full_dosage * (1 - exp(-hours / dosage_scale_hours))",
			DosageScaleHours:     dosageScale,
			PointsPerSD:          pointsPerSD,
			EffectSDAtFullDosage: map[string]float64{},
			Bands:                bandNames,
		},
		Impact:    g.acc.impact(ids),
		Providers: map[string]*ProviderTruth{},
	}
	for p, ps := range g.w.provs {
		t.EffectModel.EffectSDAtFullDosage[ps.id] = ps.effect
		pt := &ProviderTruth{
			Name: ps.name, Layout: ps.layout, Source: ps.id + "-sessions", LoadMode: ps.loadMode,
			SharedSchools: map[string][]string{}, EffectSDAtFullDosage: ps.effect,
		}
		shared := map[string]map[string]bool{}
		for _, s := range g.w.schools {
			serves := false
			for _, q := range s.provs {
				serves = serves || q == p
			}
			if !serves {
				continue
			}
			pt.Schools = append(pt.Schools, s.id)
			for _, q := range s.provs {
				if q != p {
					if shared[ids[q]] == nil {
						shared[ids[q]] = map[string]bool{}
					}
					shared[ids[q]][s.id] = true
				}
			}
		}
		for q, set := range shared {
			pt.SharedSchools[q] = sortedStrings(set)
		}
		if pt.Schools == nil {
			pt.Schools = []string{}
		}
		for _, o := range g.all {
			if o.provider != ps.id {
				continue
			}
			pt.Files++
			pt.RowsWritten += o.rows
			pt.PlantedBadRows += o.truth.PlantedBadRows
			pt.StrippedIDRows += o.truth.StrippedIDRows
			pt.CorrectedRows += o.truth.CorrectedRows
			pt.ExactDuplicateRows += o.truth.ExactDuplicateRows
			pt.SnapshotRemovedRows += o.truth.SnapshotRemoved
		}
		f := FinalSessions{ByStatus: map[string]int64{}, UnmatchedStudentIDs: g.acc.unmatched[p],
			StudentsScheduled: g.acc.scheduled[p], StudentsServed: g.acc.served[p]}
		for st, n := range g.acc.byStatus[p] {
			f.ByStatus[statusNames[st]] = n
			f.Sessions += n
		}
		f.AttendedHours = round4(float64(g.acc.minutes[p]) / 60)
		pt.Final = f
		t.Providers[ps.id] = pt
	}
	t.Assessments = AssessmentTruth{ByWindow: map[string]int64{}, ScienceRows: g.acc.science}
	for win, o := range g.nwea {
		t.Assessments.ByWindow[windowNames[win]] = o.rows
		t.Assessments.Rows += o.rows
	}
	t.Assessments.MathELARows = t.Assessments.Rows - t.Assessments.ScienceRows
	files := append([]*outFile(nil), g.all...)
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	for _, o := range files {
		t.Files = append(t.Files, o.truth)
	}
	return t
}

// configYAML is the district's config: everything `hitreflect run` needs to read the files.
func (g *gen) configYAML() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# A synthetic district written by `hitreflect demo` (seed %d, %d students, %d schools).\n", g.opt.Seed, g.opt.Students, g.opt.Schools)
	w("# Every student, score and session in it is made up; truth.json beside this file\n")
	w("# says which effects were planted, so the reports can be checked against it.\n")
	w("district: %s\n", districtName)
	w("school_year: 2025-26\n")
	w("timezone: America/Chicago\n")
	w(`calendar:
  start: 2025-08-18
  end: 2026-06-05
  breaks:
    - {from: 2025-11-24, to: 2025-11-28}
    - {from: 2025-12-22, to: 2026-01-02}
  windows:
    fall: [2025-08-18, 2025-10-31]
    winter: [2025-12-01, 2026-02-13]
    spring: [2026-04-13, 2026-06-05]
  periods:
    - {name: Q1, from: 2025-08-18, to: 2025-10-17}
    - {name: Q2, from: 2025-10-20, to: 2026-01-16}
    - {name: Q3, from: 2026-01-19, to: 2026-03-20}
    - {name: Q4, from: 2026-03-23, to: 2026-06-05}
warehouse: data/hitreflect.duckdb
output: out
privacy:
  min_cell_size: 10
  pseudonym_key_env: HITREFLECT_PSEUDONYM_KEY
dosage_target:
  sessions_per_week: 3
  minutes_per_week: 90
eligibility:
  percentile_below: 40
impact:
  min_sessions: 1
  outcome_window: spring
  benchmark_percentile: 40
`)
	w("schools:\n")
	for _, s := range g.w.schools {
		w("  - {id: %q, name: %q}\n", s.id, s.name)
	}
	total := math.Round(350000 * float64(g.opt.Students) / 6000)
	w(`providers:
  - id: brightpath
    name: BrightPath Tutoring
    cost: {per_student: 1200}
  - id: learnwell
    name: LearnWell Academic Services
    cost: {per_hour: 45}
  - id: tutorcorps
    name: TutorCorps
    cost: {total: %s}
`, strconv.FormatFloat(total, 'f', 0, 64))
	w(`sources:
  # BrightPath sends one file a month; a later file may re-send corrected rows.
  - name: brightpath-sessions
    kind: sessions
    provider: brightpath
    connector: {type: local, path: landing/brightpath, pattern: "*.csv"}
    profile: brightpath
    load_mode: upsert
  # LearnWell sends one tab-separated file a month from a Windows system.
  - name: learnwell-sessions
    kind: sessions
    provider: learnwell
    connector: {type: local, path: landing/learnwell, pattern: "*.tsv"}
    profile: learnwell
    load_mode: upsert
  # TutorCorps sends every session to date each time: each file replaces the ones before.
  - name: tutorcorps-sessions
    kind: sessions
    provider: tutorcorps
    connector: {type: local, path: landing/tutorcorps, pattern: "*.csv"}
    profile: tutorcorps
    load_mode: snapshot
  - name: map-growth
    kind: assessments
    connector: {type: local, path: landing/nwea, pattern: "AssessmentResults*.csv"}
    profile: nwea-map-cdf
  - name: roster
    kind: roster
    connector: {type: local, path: landing/roster, pattern: "*.csv"}
    profile: canonical-roster
`)
	if g.opt.Screener {
		w(`  # A screening export wide by season: a block of columns per fall, winter
  # and spring (docs/profiles.md, "Wide layouts"), read by the built-in profile.
  - name: fastbridge
    kind: assessments
    connector: {type: local, path: landing/fastbridge, pattern: "FastBridge_*.csv"}
    profile: fastbridge
`)
	}
	w(`profiles:
`)
	for _, name := range SessionLayouts() {
		w("  %s:\n", name)
		for _, line := range strings.Split(strings.TrimRight(SessionProfileYAML(name), "\n"), "\n") {
			if line == "" {
				w("\n")
				continue
			}
			w("    %s\n", line)
		}
	}
	return b.String()
}
