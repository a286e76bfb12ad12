package synth

import (
	"math"
	"sort"
)

// Truth is what DIR/truth.json says: the planted effects and every planted
// file defect, for tests that check the pipeline recovers them.
type Truth struct {
	Generator   string                             `json:"generator"`
	Seed        int64                              `json:"seed"`
	Students    int                                `json:"students"`
	Schools     int                                `json:"schools"`
	Notes       []string                           `json:"notes"`
	EffectModel EffectModel                        `json:"effect_model"`
	Impact      map[string]map[string]*WindowTruth `json:"impact"` // subject -> outcome window
	Providers   map[string]*ProviderTruth          `json:"providers"`
	Assessments AssessmentTruth                    `json:"assessments"`
	Files       []FileTruth                        `json:"files"`
}

// EffectModel states how the effect was planted.
type EffectModel struct {
	Dosage               string             `json:"dosage"`
	DosageScaleHours     float64            `json:"dosage_scale_hours"`
	PointsPerSD          float64            `json:"points_per_sd"`
	EffectSDAtFullDosage map[string]float64 `json:"effect_sd_at_full_dosage"`
	Bands                []string           `json:"bands"`
}

// WindowTruth is the true effect for one subject and outcome window.
type WindowTruth struct {
	OutcomeSDByGrade map[string]float64      `json:"outcome_sd_by_grade"`
	NComparison      int                     `json:"n_comparison"`
	Overall          EffectTruth             `json:"overall"`
	Providers        map[string]*EffectTruth `json:"providers"`
}

// EffectTruth is a mean planted effect over tutored students, overall and by dosage band.
type EffectTruth struct {
	EffectSD  *float64    `json:"effect_sd"`
	NTutored  int         `json:"n_tutored"`
	MeanHours *float64    `json:"mean_hours"`
	Bands     []BandTruth `json:"bands"`
}

// BandTruth is the mean planted effect of the tutored students in one dosage band.
type BandTruth struct {
	Band      string   `json:"band"`
	EffectSD  *float64 `json:"effect_sd"`
	N         int      `json:"n"`
	MeanHours *float64 `json:"mean_hours"`
}

// ProviderTruth is what a provider's files hold and what the warehouse should end up with.
type ProviderTruth struct {
	Name                 string              `json:"name"`
	Layout               string              `json:"layout"`
	Source               string              `json:"source"`
	LoadMode             string              `json:"load_mode"`
	Schools              []string            `json:"schools"`
	SharedSchools        map[string][]string `json:"shared_schools"`
	EffectSDAtFullDosage float64             `json:"effect_sd_at_full_dosage"`
	Files                int                 `json:"files"`
	RowsWritten          int64               `json:"rows_written"`
	PlantedBadRows       int                 `json:"planted_bad_rows"`
	StrippedIDRows       int64               `json:"stripped_id_rows"`
	CorrectedRows        int64               `json:"corrected_rows"`
	ExactDuplicateRows   int64               `json:"exact_duplicate_rows"`
	SnapshotRemovedRows  int64               `json:"snapshot_removed_rows"`
	Final                FinalSessions       `json:"final"`
}

// FinalSessions is the provider's sessions once every file is loaded in name order.
type FinalSessions struct {
	Sessions            int64            `json:"sessions"`
	ByStatus            map[string]int64 `json:"by_status"`
	AttendedHours       float64          `json:"attended_hours"`
	UnmatchedStudentIDs int64            `json:"unmatched_student_id_sessions"`
	StudentsScheduled   int              `json:"students_scheduled"`
	StudentsServed      int              `json:"students_served"`
}

// AssessmentTruth counts the assessment rows written.
type AssessmentTruth struct {
	Rows        int64            `json:"rows"`
	ByWindow    map[string]int64 `json:"by_window"`
	ScienceRows int64            `json:"science_rows"`
	MathELARows int64            `json:"math_ela_rows"`
}

// FileTruth describes one data file: where its header is, how many rows it has
// and which of them were planted as defects.
type FileTruth struct {
	Path               string   `json:"path"`
	Kind               string   `json:"kind"`
	Provider           string   `json:"provider,omitempty"`
	HeaderLine         int      `json:"header_line"`
	DataRows           int64    `json:"data_rows"`
	FooterLines        int      `json:"footer_lines"`
	SkippedRows        int64    `json:"skipped_rows"`
	PlantedBadRows     int      `json:"planted_bad_rows"`
	BadRows            []BadRow `json:"bad_rows"`
	ExactDuplicateRows int64    `json:"exact_duplicate_rows"`
	StrippedIDRows     int64    `json:"stripped_id_rows"`
	CorrectedRows      int64    `json:"corrected_rows"`
	SnapshotRemoved    int64    `json:"snapshot_removed_rows"`
}

// BadRow is one planted bad row: its physical line (1-based) and the spoiled column.
type BadRow struct {
	Line    int    `json:"line"`
	Column  string `json:"column"`
	Value   string `json:"value"`
	Problem string `json:"problem"`
}

var bandNames = []string{"(0,5]", "(5,10]", "(10,20]", "(20,30]", ">30"}

func bandOf(h float64) int {
	switch {
	case h <= 5:
		return 0
	case h <= 10:
		return 1
	case h <= 20:
		return 2
	case h <= 30:
		return 3
	}
	return 4
}

// effectRec is one tutored student in the analytic sample of a subject and window.
type effectRec struct {
	grade int8
	subj  int8
	win   int8 // 0 winter, 1 spring
	prov  int8 // -1: tutored by more than one provider in the subject
	hours float32
	inc   float32 // planted increment in scale points
}

// truthAcc gathers what truth.json needs while students are generated.
type truthAcc struct {
	nSchools int
	// outcome score moments by [grade][subj][win-1]
	sum, sumSq [9][2][2]float64
	n          [9][2][2]int64
	recs       []effectRec
	// analytic-sample counts per school x grade x subject x window cell
	cellTut, cellComp []int32
	// provider finals
	byStatus  [3][4]int64
	minutes   [3]int64
	unmatched [3]int64
	scheduled [3]int
	served    [3]int
	// assessments
	assessByWin [3]int64
	science     int64
}

func newTruthAcc(nSchools int) *truthAcc {
	return &truthAcc{nSchools: nSchools, cellTut: make([]int32, nSchools*9*4), cellComp: make([]int32, nSchools*9*4)}
}

func cellIndex(school, grade, subj, win int) int { return ((school*9+grade)*2+subj)*2 + win }

func (a *truthAcc) score(grade, subj, win, score int) {
	v := float64(score)
	a.sum[grade][subj][win] += v
	a.sumSq[grade][subj][win] += v * v
	a.n[grade][subj][win]++
}

func (a *truthAcc) sd(grade, subj, win int) float64 {
	n := float64(a.n[grade][subj][win])
	if n < 2 {
		return math.NaN()
	}
	m := a.sum[grade][subj][win] / n
	return math.Sqrt((a.sumSq[grade][subj][win] - n*m*m) / (n - 1))
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func ptr(v float64) *float64 { return &v }

type meanAcc struct {
	n     int
	sum   float64
	hours float64
}

func (m *meanAcc) add(v, h float64) { m.n++; m.sum += v; m.hours += h }

func (m *meanAcc) effect() (*float64, *float64) {
	if m.n == 0 {
		return nil, nil
	}
	return ptr(round4(m.sum / float64(m.n))), ptr(round4(m.hours / float64(m.n)))
}

func effectTruth(all meanAcc, bands [5]meanAcc) EffectTruth {
	e := EffectTruth{NTutored: all.n}
	e.EffectSD, e.MeanHours = all.effect()
	for b := range bands {
		bt := BandTruth{Band: bandNames[b], N: bands[b].n}
		bt.EffectSD, bt.MeanHours = bands[b].effect()
		e.Bands = append(e.Bands, bt)
	}
	return e
}

// impact turns the records into the per subject and window truths.
func (a *truthAcc) impact(provIDs []string) map[string]map[string]*WindowTruth {
	out := map[string]map[string]*WindowTruth{}
	for subj := 0; subj < 2; subj++ {
		out[subjectNames[subj]] = map[string]*WindowTruth{}
		for win := 0; win < 2; win++ {
			var all meanAcc
			var allB [5]meanAcc
			var prov [3]meanAcc
			var provB [3][5]meanAcc
			for _, r := range a.recs {
				if int(r.subj) != subj || int(r.win) != win {
					continue
				}
				e := float64(r.inc) / a.sd(int(r.grade), subj, win)
				h := float64(r.hours)
				b := bandOf(h)
				all.add(e, h)
				allB[b].add(e, h)
				if r.prov >= 0 {
					prov[r.prov].add(e, h)
					provB[r.prov][b].add(e, h)
				}
			}
			wt := &WindowTruth{OutcomeSDByGrade: map[string]float64{}, Providers: map[string]*EffectTruth{}}
			for g := 3; g <= 8; g++ {
				if sd := a.sd(g, subj, win); !math.IsNaN(sd) {
					wt.OutcomeSDByGrade[string(rune('0'+g))] = round4(sd)
				}
			}
			for s := 0; s < a.nSchools; s++ {
				for g := 3; g <= 8; g++ {
					i := cellIndex(s, g, subj, win)
					if a.cellTut[i] > 0 {
						wt.NComparison += int(a.cellComp[i])
					}
				}
			}
			wt.Overall = effectTruth(all, allB)
			for p, id := range provIDs {
				et := effectTruth(prov[p], provB[p])
				wt.Providers[id] = &et
			}
			out[subjectNames[subj]][windowNames[win+1]] = wt
		}
	}
	return out
}

func sortedStrings(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
