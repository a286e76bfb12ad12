// Package synth writes a synthetic school district: a roster, three NWEA MAP
// Growth files, three tutoring providers' session files in three different
// layouts (with the mess real files have), the config that reads them, and
// truth.json, which says what effects and defects were planted. It is what
// `hitreflect demo` writes, and what tests and benchmarks use for large inputs.
//
// Everything is deterministic per seed and streamed: a district of 300,000
// students (about 10 million sessions) is written without holding its
// sessions in memory.
package synth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	districtName = "Riverside Unified (synthetic)"
	rosterHeader = "student_id,school_id,school_name,grade,ell,sped,econ_disadv,race_ethnicity,gender"
)

// DefaultStudents and DemoSeed make the demo district, what `hitreflect
// demo` writes unless told otherwise.
const (
	DefaultStudents = 6000
	DemoSeed        = 2
)

// Options says how big a district to write.
type Options struct {
	Students int   // default DefaultStudents when 0
	Seed     int64 // default DemoSeed when 0
	Schools  int   // default max(12, Students/500) when 0
	// Screener adds a FastBridge aMath screening export, wide by season
	// (a block of columns per fall, winter and spring), for grades 1-8, as
	// a second math assessment: the demo shows a wide layout loading. It
	// draws from a random stream of its own, so the rest of the district
	// is the same with or without it.
	Screener bool
}

// Summary is what Generate wrote.
type Summary struct {
	ConfigPath string           // dir/hitreflect.yaml
	Files      []string         // every data file written, relative to dir, slash-separated, sorted
	Rows       map[string]int64 // data rows written per kind: "sessions", "assessments", "roster"
	Students   int
	Schools    int
}

// TruthFile is the name of the truth file Generate writes beside the config.
const TruthFile = "truth.json"

// ConfigFile is the name of the config Generate writes.
const ConfigFile = "hitreflect.yaml"

// Generate writes a whole synthetic district into dir (created if needed) and returns what it wrote.
func Generate(ctx context.Context, dir string, opt Options) (*Summary, error) {
	if opt.Students < 0 || opt.Schools < 0 {
		return nil, fmt.Errorf("generate synthetic district: students and schools must be zero (default) or more")
	}
	if opt.Students == 0 {
		opt.Students = DefaultStudents
	}
	if opt.Seed == 0 {
		opt.Seed = DemoSeed
	}
	if opt.Schools == 0 {
		opt.Schools = max(12, opt.Students/500)
	}
	if opt.Students > 5_000_000 {
		return nil, fmt.Errorf("generate synthetic district: at most 5,000,000 students, got %d", opt.Students)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("generate synthetic district: %w", err)
	}
	g, err := newGen(dir, opt)
	if err != nil {
		return nil, err
	}
	for i := 0; i < opt.Students; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				g.abort()
				return nil, fmt.Errorf("generate synthetic district: %w", err)
			}
		}
		g.student(i)
	}
	var errs []error
	for _, o := range g.all {
		if err := o.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("generate synthetic district: %w", err)
	}

	sum := &Summary{ConfigPath: filepath.Join(dir, ConfigFile), Rows: map[string]int64{}, Students: opt.Students, Schools: opt.Schools}
	for _, o := range g.all {
		sum.Files = append(sum.Files, o.rel)
		sum.Rows[o.kind] += o.rows
	}
	sort.Strings(sum.Files)

	truth := g.truth()
	data, err := json.MarshalIndent(truth, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("generate synthetic district: encode truth: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, TruthFile), append(data, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("generate synthetic district: %w", err)
	}
	if err := os.WriteFile(sum.ConfigPath, []byte(g.configYAML()), 0o644); err != nil {
		return nil, fmt.Errorf("generate synthetic district: %w", err)
	}
	return sum, nil
}

// ReadTruth reads a truth.json written by Generate.
func ReadTruth(path string) (*Truth, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read truth: %w", err)
	}
	var t Truth
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("read truth %s: %w", path, err)
	}
	return &t, nil
}

// The files' planted defects.
const (
	correctionRate = 0.005 // brightpath, learnwell: a row re-sent next month with another status
	tcCorrection   = 0.004 // tutorcorps: status changes between snapshots
	tcPhantom      = 0.002 // tutorcorps: a duplicate entry that a later snapshot drops
	stripMonth     = 5     // brightpath_2026-02.csv went through Excel: leading zeros lost
	dupMonth       = 2     // learnwell_2025-11.tsv repeats a few rows exactly
)

type gen struct {
	opt     Options
	seed    uint64
	w       *world
	pcg     *rand.PCG
	r       *rand.Rand
	spcg    *rand.PCG
	sr      *rand.Rand
	ids     map[int32]struct{}
	idWidth int
	fmts    [3]*formatter
	monthly [2][]*outFile
	snaps   []*outFile
	nwea    [3]*outFile
	screen  *outFile // FastBridge aMath, with Options.Screener
	roster  *outFile
	all     []*outFile
	nw      *nweaWriter
	seq     [3]int64
	testID  int64
	buf     []byte
	acc     *truthAcc
	plans   []plan
}

func newGen(dir string, opt Options) (*gen, error) {
	seed := uint64(opt.Seed)
	g := &gen{
		opt:     opt,
		seed:    seed,
		w:       newWorld(opt.Schools, opt.Students, seed),
		pcg:     rand.NewPCG(seed, 0),
		spcg:    rand.NewPCG(seed, 0),
		ids:     make(map[int32]struct{}, opt.Students),
		idWidth: 6,
		nw:      newNWEAWriter(),
		testID:  700000000 + int64(seed%1000)*100000,
		acc:     newTruthAcc(opt.Schools),
	}
	if opt.Students > 500_000 {
		g.idWidth = 7
	}
	g.r = rand.New(g.pcg)
	g.sr = rand.New(g.spcg)
	if err := g.open(dir); err != nil {
		g.abort()
		return nil, err
	}
	return g, nil
}

func (g *gen) abort() {
	for _, o := range g.all {
		o.abort()
	}
}

func (g *gen) create(dir, rel, kind, provider string) (*outFile, error) {
	o, err := createOut(dir, rel, kind, provider)
	if err != nil {
		return nil, fmt.Errorf("generate synthetic district: %w", err)
	}
	g.all = append(g.all, o)
	return o, nil
}

// open creates every file and writes its preamble and planted bad rows' places.
func (g *gen) open(dir string) error {
	c := g.w.cal
	var err error
	if g.roster, err = g.create(dir, "landing/roster/roster_2025-26.csv", "roster", ""); err != nil {
		return err
	}
	g.roster.w.WriteString(rosterHeader + "\n")
	g.roster.preamble(1)
	for win := range g.nwea {
		rel := "landing/nwea/AssessmentResults_" + windowNames[win] + ".csv"
		if g.nwea[win], err = g.create(dir, rel, "assessments", ""); err != nil {
			return err
		}
		g.nwea[win].w.WriteString(nweaHeader + "\n")
		g.nwea[win].preamble(1)
	}
	if g.opt.Screener {
		if g.screen, err = g.create(dir, "landing/fastbridge/FastBridge_aMath_2025-26.csv", "assessments", ""); err != nil {
			return err
		}
		g.screen.w.WriteString(fastbridgeAMathHeader + "\n")
		g.screen.preamble(1)
	}
	for p := range g.w.provs {
		ps := &g.w.provs[p]
		lay, err := layoutByName(ps.layout)
		if err != nil {
			return err
		}
		if g.fmts[p], err = newFormatter(lay, c, g.w.tutors[p], g.seed); err != nil {
			return fmt.Errorf("generate synthetic district: %w", err)
		}
		specs := badSpecs(p)
		switch p {
		case provBrightpath, provLearnwell:
			for m := 0; m < sessionMonths; m++ {
				rel := "landing/" + ps.id + "/" + ps.id + "_" + monthKey(firstSessionMonth+m) + lay.ext
				o, err := g.create(dir, rel, "sessions", ps.id)
				if err != nil {
					return err
				}
				o.eol, o.footer = lay.eol, lay.footer
				lay.writePreamble(o.w, "")
				o.preamble(lay.headerLine())
				o.headerLine = lay.headerLine()
				g.monthly[p] = append(g.monthly[p], o)
			}
			months := [2][4]int{{1, 3, 5, 7}, {1, 4, 6, 8}}[p]
			for k, b := range specs {
				m := months[k%4]
				first := c.index(calStart.AddDate(0, firstSessionMonth+m, 1-calStart.Day()))
				rc := g.badCtx(p, k, c.nthInstr(first, 2+k))
				at := int64(25 + 40*(k/4))
				if p == provLearnwell {
					at = int64(30 + 50*(k/4))
				}
				o := g.monthly[p][m]
				o.pending = append(o.pending, pendingBad{at: at, row: g.fmts[p].badRow(&rc, b), spec: b})
			}
		default:
			for k, day := range snapshotDays {
				rel := "landing/" + ps.id + "/" + ps.id + "_cumulative_" + day.Format("2006-01-02") + lay.ext
				o, err := g.create(dir, rel, "sessions", ps.id)
				if err != nil {
					return err
				}
				o.eol = lay.eol
				lay.writePreamble(o.w, day.Format("2006-01-02")+" 23:"+pad(10+k, 2))
				o.preamble(lay.headerLine())
				o.headerLine = lay.headerLine()
				for j, b := range specs {
					rc := g.badCtx(p, j, c.nthInstr(c.index(civil(2025, time.October, 1)), 2+j))
					o.pending = append(o.pending, pendingBad{at: int64(100 + 200*j), row: g.fmts[p].badRow(&rc, b), spec: b})
				}
				g.snaps = append(g.snaps, o)
			}
		}
		for _, o := range g.all {
			sort.SliceStable(o.pending, func(i, j int) bool { return o.pending[i].at < o.pending[j].at })
		}
	}
	return nil
}

// badCtx is the valid row a planted bad row starts from.
func (g *gen) badCtx(p, k, day int) rowCtx {
	ps := &g.w.provs[p]
	school := "101"
	for si := range g.w.schools {
		if g.w.pool[p][si][1] > 0 {
			school = g.w.schools[si].id
			break
		}
	}
	s := &session{day: day, startMin: ps.startTimes[len(ps.startTimes)-1], dur: ps.durations[0], status: stAttended,
		group: 2, inPerson: true, subj: k % 2}
	return rowCtx{seq: 1_000_000_000 + int64(k), studentID: pad(100000+(k*7919)%900000, 6), schoolID: school, s: s}
}

// newID draws a unique student id; about 4% have leading zeros.
func (g *gen) newID() (string, bool) {
	lo := int32(1)
	for i := 1; i < g.idWidth; i++ {
		lo *= 10
	}
	for {
		var v int32
		if g.r.Float64() < 0.04 {
			v = 1000 + g.r.Int32N(lo-1000)
		} else {
			v = lo + g.r.Int32N(9*lo)
		}
		if _, dup := g.ids[v]; !dup {
			g.ids[v] = struct{}{}
			return pad(int(v), g.idWidth), v < lo
		}
	}
}

var raceCodes = []string{"HI", "WH", "BL", "AS", "MR", "AI", "PI"}
var raceCum = []float64{0.45, 0.70, 0.88, 0.94, 0.98, 0.99, 1}

// Where each testing window's tests begin; schools and students spread over the following weeks.
var testStarts = [3]time.Time{civil(2025, time.August, 25), civil(2026, time.January, 12), civil(2026, time.April, 27)}

// student generates one student: roster row, tests, tutoring, sessions.
func (g *gen) student(i int) {
	w, c, r := g.w, g.w.cal, g.r
	g.pcg.Seed(g.seed, mix(uint64(i), 0x5757))
	id, leadingZero := g.newID()
	si := w.pickSchool(r)
	sch := &w.schools[si]
	grade := sch.grades[r.IntN(len(sch.grades))]
	ell := r.Float64() < sch.ellRate
	sped := r.Float64() < 0.12
	econ := r.Float64() < sch.econRate
	race := raceCodes[sort.SearchFloat64s(raceCum, r.Float64())]
	gender := "F"
	switch u := r.Float64(); {
	case u < 0.49:
	case u < 0.98:
		gender = "M"
	default:
		gender = "X"
	}

	// True fall ability per subject; math and reading correlate.
	z0 := r.NormFloat64()
	z := [2]float64{z0, 0.7*z0 + 0.714*r.NormFloat64()}
	var ability [2]float64
	for j := 0; j < 2; j++ {
		shift := sch.shift[j] - 1.5
		if ell {
			shift -= [2]float64{2, 5}[j]
		}
		if sped {
			shift -= 6
		}
		if econ {
			shift -= 3
		}
		ability[j] = normMean(j, grade, winFall) + shift + 13*z[j]
	}

	// Test days: schools test over a couple of weeks, reading a few days after math.
	var test [3][2]int
	offs := [3]int{sch.fallOff, sch.winOff, sch.sprOff}
	for win := 0; win < 3; win++ {
		base := c.nthInstr(c.index(testStarts[win]), offs[win])
		test[win][subjMath] = c.nthInstr(base, r.IntN(5))
		test[win][subjELA] = c.nthInstr(test[win][subjMath], 1+r.IntN(3))
	}
	var has [3][2]bool
	for win := 0; win < 3; win++ {
		away := r.Float64() < 0.01
		for j := 0; j < 2; j++ {
			has[win][j] = !away && r.Float64() >= 0.03
		}
	}
	var score, pct [3][2]int
	for j := 0; j < 2; j++ {
		score[winFall][j] = int(math.Round(ability[j] + 3*r.NormFloat64()))
		pct[winFall][j] = percentile(j, grade, winFall, score[winFall][j])
	}

	// Tutoring: a primary subject chosen at random, tutored with a probability
	// that depends only on that subject's fall percentile; rarely the other too.
	g.plans = g.plans[:0]
	if len(sch.provs) > 0 {
		earliest := max(test[winFall][0], test[winFall][1]) + 1
		primary := subjMath
		if r.Float64() >= 0.55 {
			primary = subjELA
		}
		for k, j := range [2]int{primary, 1 - primary} {
			eligible := has[winFall][j] && pct[winFall][j] < 40
			p := [2][2]float64{{0.15, 0.70}, {0.02, 0.10}}[k][b2i(eligible)]
			if r.Float64() >= p {
				continue
			}
			prov := sch.provs[r.IntN(len(sch.provs))]
			pl := w.newPlan(r, prov, si, j, earliest, mix(uint64(i), uint64(10+2*k)))
			if len(sch.provs) > 1 && r.Float64() < 0.05 {
				// switches to the school's other provider in the middle of the year
				other := sch.provs[0]
				if other == prov {
					other = sch.provs[1]
				}
				sw := c.nthInstr(c.index(civil(2025, time.December, 8)), r.IntN(20))
				if sw > pl.start+14 && sw+14 < pl.end {
					p2 := w.newPlan(r, other, si, j, c.nthInstr(sw, 5), mix(uint64(i), uint64(11+2*k)))
					p2.end, pl.end = pl.end, sw
					if p2.start <= p2.end {
						g.plans = append(g.plans, p2)
					}
				}
			}
			g.plans = append(g.plans, pl)
		}
	}

	// Sessions, written as they are made; attended minutes before each outcome test.
	skip := []int{test[0][0], test[0][1], test[1][0], test[1][1], test[2][0], test[2][1]}
	var mins [2][2][3]float64 // [winter|spring][subject][provider]
	var anyProv [2][3]bool
	var sched, served [3]bool
	for pi := range g.plans {
		pl := &g.plans[pi]
		w.runPlan(g.spcg, g.sr, g.seed, pl, skip, func(s *session) {
			g.writeSession(id, sch.id, leadingZero, pl, s)
			anyProv[pl.subj][pl.prov] = true
			sched[pl.prov] = true
			if s.status == stAttended {
				served[pl.prov] = true
				for win := 0; win < 2; win++ {
					if s.day < test[win+1][pl.subj] {
						mins[win][pl.subj][pl.prov] += float64(s.dur)
					}
				}
			}
		})
	}
	for p := 0; p < 3; p++ {
		if sched[p] {
			g.acc.scheduled[p]++
		}
		if served[p] {
			g.acc.served[p]++
		}
	}

	// Outcomes: typical growth, school growth, individual growth, test noise and the tutoring effect.
	var inc, hours [2][2]float64
	for j := 0; j < 2; j++ {
		d1 := 3 * r.NormFloat64()
		d2 := 1.3*d1 + 2.5*r.NormFloat64()
		for win := winWinter; win <= winSpring; win++ {
			m := mins[win-1][j]
			total := m[0] + m[1] + m[2]
			if total > 0 {
				var weighted float64
				for p := 0; p < 3; p++ {
					weighted += m[p] * w.provs[p].effect
				}
				hours[win-1][j] = total / 60
				inc[win-1][j] = weighted / total * dosage(total/60) * pointsPerSD
			}
			growth := normMean(j, grade, win) - normMean(j, grade, winFall)
			latent := ability[j] + growth
			if win == winWinter {
				latent += 0.5*sch.growth[j] + d1
			} else {
				latent += sch.growth[j] + d2
			}
			score[win][j] = int(math.Round(latent + inc[win-1][j] + 3*r.NormFloat64()))
			pct[win][j] = percentile(j, grade, win, score[win][j])
		}
	}

	// Assessment rows, and the truth about them.
	stateID := strconv.FormatUint(1000000000+mix(uint64(i), g.seed)%8999999999, 10)
	t := nweaTest{grade: grade, studentID: id, stateID: stateID, schoolID: sch.id, schoolName: sch.name}
	for win := 0; win < 3; win++ {
		for j := 0; j < 2; j++ {
			if !has[win][j] {
				continue
			}
			g.testID++
			t.win, t.course, t.day, t.score, t.pct, t.testID = win, j, test[win][j], score[win][j], pct[win][j], g.testID
			t.fallScore = 0
			if has[winFall][j] {
				t.fallScore = score[winFall][j]
			}
			g.nwea[win].row(g.nw.row(c, r, &t))
			g.acc.assessByWin[win]++
			if win > winFall {
				g.acc.score(grade, j, win-1, score[win][j])
			}
		}
		if (grade == 5 || grade == 8) && win != winWinter && r.Float64() < 0.25 {
			g.testID++
			sc := int(math.Round(196 + 2.5*float64(grade) + 0.6*(ability[subjMath]-normMean(subjMath, grade, winFall)) + float64(2*win) + 9*r.NormFloat64()))
			t.win, t.course, t.day, t.score, t.testID, t.fallScore = win, nweaCourseScience, test[win][subjMath], sc, g.testID, 0
			t.pct = min(max(int(math.Round(100*normCDF((float64(sc)-(196+2.5*float64(grade)+float64(2*win)))/12))), 1), 99)
			g.nwea[win].row(g.nw.row(c, r, &t))
			g.nwea[win].truth.SkippedRows++
			g.acc.science++
		}
	}
	if g.screen != nil && grade >= 1 && grade <= 8 {
		g.screenerRow(i, id, grade, sch.name, has, score, pct, test)
	}
	for win := 0; win < 2; win++ {
		for j := 0; j < 2; j++ {
			if !has[winFall][j] || !has[win+1][j] {
				continue
			}
			cell := cellIndex(si, grade, j, win)
			if hours[win][j] == 0 {
				g.acc.cellComp[cell]++
				continue
			}
			g.acc.cellTut[cell]++
			prov := int8(-1)
			for p := 0; p < 3; p++ {
				if anyProv[j][p] {
					if prov == -1 {
						prov = int8(p)
					} else {
						prov = -2
					}
				}
			}
			if prov < 0 {
				prov = -1
			}
			g.acc.recs = append(g.acc.recs, effectRec{grade: int8(grade), subj: int8(j), win: int8(win), prov: prov,
				hours: float32(hours[win][j]), inc: float32(inc[win][j])})
		}
	}

	// Roster row.
	b := g.buf[:0]
	b = append(b, id...)
	b = append(b, ',')
	b = append(b, sch.id...)
	b = append(b, ',')
	b = append(b, csvField(sch.name)...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(grade), 10)
	for _, f := range []bool{ell, sped, econ} {
		b = append(b, ',', "NY"[b2i(f)])
	}
	b = append(b, ',')
	b = append(b, race...)
	b = append(b, ',')
	b = append(b, gender...)
	g.roster.row(b)
	g.buf = b
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func wrongStatus(st int) int {
	if st == stAttended {
		return stStudentAbsent
	}
	return stAttended
}

// writeSession writes one real session into its provider's files, with the
// planted corrections, phantom entries, stripped ids and duplicates.
func (g *gen) writeSession(studentID, schoolID string, leadingZero bool, pl *plan, s *session) {
	p := pl.prov
	c := g.w.cal
	g.seq[p]++
	rc := rowCtx{seq: g.seq[p], studentID: studentID, schoolID: schoolID, s: s, status: s.status}
	g.acc.byStatus[p][s.status]++
	if s.status == stAttended {
		g.acc.minutes[p] += int64(s.dur)
	}
	switch p {
	case provBrightpath, provLearnwell:
		fi := min(max(c.month[s.day]-firstSessionMonth, 0), sessionMonths-1)
		final := fi
		if s.mess < correctionRate && fi+1 < sessionMonths {
			rc.status = wrongStatus(s.status)
			g.putMonthly(p, fi, &rc)
			rc.status = s.status
			final = fi + 1
			g.putMonthly(p, final, &rc)
			g.monthly[p][final].truth.CorrectedRows++
		} else {
			g.putMonthly(p, fi, &rc)
		}
		if p == provBrightpath && final == stripMonth && leadingZero {
			g.acc.unmatched[p]++
		}
	default:
		k0 := 0
		for k0 < len(c.snapshots)-1 && s.day > c.snapshots[k0] {
			k0++
		}
		corrected := s.mess < tcCorrection && k0 < 2
		for k := k0; k < 3; k++ {
			rc.status = s.status
			if corrected && k == k0 {
				rc.status = wrongStatus(s.status)
			}
			if corrected && k == k0+1 {
				g.snaps[k].truth.CorrectedRows++
			}
			g.putSnap(k, &rc)
		}
		if s.mess >= tcCorrection && s.mess < tcCorrection+tcPhantom && k0 < 2 {
			// entered twice by mistake; a later snapshot no longer has the copy
			removeAt := k0 + 1
			if k0 == 0 && s.mess >= tcCorrection+tcPhantom/2 {
				removeAt = 2
			}
			g.seq[p]++
			ph := rowCtx{seq: g.seq[p], studentID: studentID, schoolID: schoolID, s: s, status: s.status}
			for k := k0; k < removeAt; k++ {
				g.putSnap(k, &ph)
			}
			g.snaps[removeAt].truth.SnapshotRemoved++
		}
	}
}

func (g *gen) putMonthly(p, m int, rc *rowCtx) {
	o := g.monthly[p][m]
	if p == provBrightpath && m == stripMonth && strings.HasPrefix(rc.studentID, "0") {
		saved := rc.studentID
		rc.studentID = strings.TrimLeft(saved, "0")
		g.buf = g.fmts[p].appendRow(g.buf[:0], rc)
		rc.studentID = saved
		o.truth.StrippedIDRows++
	} else {
		g.buf = g.fmts[p].appendRow(g.buf[:0], rc)
	}
	o.row(g.buf)
	if p == provLearnwell && m == dupMonth && o.rows <= 340 && o.rows%100 == 40 {
		o.row(g.buf)
		o.truth.ExactDuplicateRows++
	}
}

func (g *gen) putSnap(k int, rc *rowCtx) {
	g.buf = g.fmts[provTutorcorps].appendRow(g.buf[:0], rc)
	g.snaps[k].row(g.buf)
}
