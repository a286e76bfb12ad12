package synth

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"
)

// Subjects and windows.
const (
	subjMath = 0
	subjELA  = 1

	winFall   = 0
	winWinter = 1
	winSpring = 2
)

var subjectNames = [2]string{"math", "ela"}
var windowNames = [3]string{"fall", "winter", "spring"}

// Canonical statuses.
const (
	stAttended = iota
	stStudentAbsent
	stTutorAbsent
	stCancelled
)

var statusNames = [4]string{"attended", "student_absent", "tutor_absent", "cancelled"}

// Providers, in a fixed order.
const (
	provBrightpath = 0
	provLearnwell  = 1
	provTutorcorps = 2
)

// providerSpec is how one provider runs its program and sends its files.
type providerSpec struct {
	id, name, layout string
	loadMode         string
	effect           float64 // planted effect in SD at full dosage
	durations        []int
	startTimes       []int // minutes after midnight
	pCancel          float64
	pTutorAbsent     float64
	pInPerson        float64
	maxGroup         int
}

func providerSpecs() []providerSpec {
	return []providerSpec{
		{id: "brightpath", name: "BrightPath Tutoring", layout: "brightpath", loadMode: "upsert", effect: 0.40,
			durations: []int{30, 45, 45}, startTimes: []int{10 * 60, 13*60 + 15, 15*60 + 15, 15*60 + 30, 15*60 + 45},
			pCancel: 0.02, pTutorAbsent: 0.02, pInPerson: 0.75, maxGroup: 4},
		{id: "learnwell", name: "LearnWell Academic Services", layout: "learnwell", loadMode: "upsert", effect: 0.18,
			durations: []int{45, 60, 60}, startTimes: []int{15*60 + 30, 15*60 + 45, 16 * 60, 16*60 + 15},
			pCancel: 0.03, pTutorAbsent: 0.015, pInPerson: 0.5, maxGroup: 3},
		{id: "tutorcorps", name: "TutorCorps", layout: "tutorcorps", loadMode: "snapshot", effect: 0.30,
			durations: []int{30, 45, 60}, startTimes: []int{8*60 + 30, 9*60 + 40, 11 * 60, 13 * 60, 14*60 + 10},
			pCancel: 0.015, pTutorAbsent: 0.02, pInPerson: 0.4, maxGroup: 3},
	}
}

// dosageScale is the hours at which the planted effect reaches 1-1/e of its
// full size: effect(h) = full * (1 - exp(-h/dosageScale)).
const dosageScale = 25.0

// dosage is the share of the full effect reached after h attended hours.
func dosage(h float64) float64 { return 1 - math.Exp(-h/dosageScale) }

// pointsPerSD turns a planted effect in SD units into scale-score points; it
// is about the within-grade SD of the outcome scores.
const pointsPerSD = 14.5

type school struct {
	id, name string
	grades   []int
	weight   float64
	shift    [2]float64 // ability shift per subject
	growth   [2]float64 // extra growth per subject (spring; half by winter)
	ellRate  float64
	econRate float64
	fallOff  int // instructional days after the start of each testing window
	winOff   int
	sprOff   int
	provs    []int
}

// tutor pools: provider p's tutors at school s are tutors[p][pool[p][s][0] : +pool[p][s][1]].
type world struct {
	cal       *calendar
	schools   []school
	cumWeight []float64
	provs     []providerSpec
	tutors    [3][]string
	pool      [3][][2]int
}

var schoolStems = []string{
	"Lincoln", "Washington", "Roosevelt", "Benito Juárez", "Riverside", "Oak Grove", "Cedar Ridge",
	"Maple Hill", "César Chávez", "Sojourner Truth", "Eastwood", "Westlake", "Northgate", "Southview",
	"Hillcrest", "Lakeside", "Pinecrest", "Meadowbrook", "Brookside", "Fairview", "Highland", "Valley View",
	"Parkside", "Willow Creek", "Stonebridge", "Mission", "Frederick Douglass", "Mary McLeod Bethune",
	"Sequoyah", "Jefferson", "Franklin", "Garfield", "Audubon", "Bluebonnet", "Prairie Wind", "Red Oak",
	"Sycamore", "Magnolia", "Crockett", "Dolores Huerta",
}

// School types by position in a block of twelve: elementary (3-5), middle (6-8), K-8 (3-8 tested).
var schoolTypes = []int{0, 0, 1, 0, 0, 1, 0, 2, 1, 0, 0, 1}

// providerBuckets says which providers serve a school by its position in a
// shuffled list, in twelfths: three schools share brightpath and learnwell,
// one shares brightpath and tutorcorps.
var providerBuckets = [12][]int{
	{provBrightpath, provLearnwell}, {provBrightpath, provLearnwell}, {provBrightpath, provLearnwell},
	{provBrightpath}, {provBrightpath}, {provBrightpath},
	{provLearnwell}, {provLearnwell},
	{provBrightpath, provTutorcorps},
	{provTutorcorps}, {provTutorcorps}, {provTutorcorps},
}

func newWorld(nSchools, nStudents int, seed uint64) *world {
	w := &world{cal: newCalendar(), provs: providerSpecs()}
	r := rand.New(rand.NewPCG(seed, mix(0x5c001, 0)))
	w.schools = make([]school, nSchools)
	total := 0.0
	for i := range w.schools {
		s := &w.schools[i]
		s.id = strconv.Itoa(101 + i)
		stem := schoolStems[i%len(schoolStems)]
		if k := i / len(schoolStems); k > 0 {
			stem += " " + strconv.Itoa(k+1)
		}
		switch schoolTypes[i%len(schoolTypes)] {
		case 0:
			s.name, s.grades = stem+" Elementary", []int{3, 4, 5}
		case 1:
			s.name, s.grades = stem+" Middle School", []int{6, 7, 8}
		default:
			s.name, s.grades = stem+" K-8 Academy", []int{3, 4, 5, 6, 7, 8}
		}
		s.weight = (0.7 + 0.6*r.Float64()) * float64(len(s.grades))
		total += s.weight
		s.shift[subjMath] = 4 * r.NormFloat64()
		s.shift[subjELA] = 0.7*s.shift[subjMath] + 2.5*r.NormFloat64()
		s.growth[subjMath] = 1.5 * r.NormFloat64()
		s.growth[subjELA] = 1.2 * r.NormFloat64()
		s.ellRate = 0.05 + 0.25*r.Float64()
		s.econRate = 0.3 + 0.5*r.Float64()
		s.fallOff, s.winOff, s.sprOff = r.IntN(10), r.IntN(10), r.IntN(10)
		w.cumWeight = append(w.cumWeight, total)
	}
	perm := r.Perm(nSchools)
	for k, si := range perm {
		w.schools[si].provs = append([]int(nil), providerBuckets[k*12/nSchools]...)
	}
	// Tutor pools, about one tutor for every ten students expected to be tutored.
	for si := range w.schools {
		s := &w.schools[si]
		expected := float64(nStudents) * s.weight / total * 0.35 / float64(len(s.provs))
		for p := range w.pool {
			if w.pool[p] == nil {
				w.pool[p] = make([][2]int, nSchools)
			}
		}
		for _, p := range s.provs {
			size := max(2, int(math.Ceil(expected/10)))
			start := len(w.tutors[p])
			for k := 0; k < size; k++ {
				w.tutors[p] = append(w.tutors[p], tutorLabel(p, start+k))
			}
			w.pool[p][si] = [2]int{start, size}
		}
	}
	for p := range w.tutors {
		if len(w.tutors[p]) == 0 { // serves no school; bad rows still need a tutor
			w.tutors[p] = append(w.tutors[p], tutorLabel(p, 0))
		}
	}
	return w
}

var tutorFirst = []string{
	"Renée", "José", "Ana", "Marcus", "Zoë", "Priya", "Inés", "David", "Chloé", "Joaquín", "Aisha", "Tom",
	"Sofía", "Kevin", "Noémie", "Liam", "Agustín", "Grace", "Maël", "Hannah", "Raúl", "Mei", "Andrés", "Olivia",
}

var tutorLast = []string{
	"O’Brien", "Muñoz", "Nguyen", "Peña", "Smith", "D’Angelo", "Okafor", "García", "Kowalski", "Hernández",
	"Johnson", "Lefèvre", "Patel", "Nuñez", "Brown", "Ibáñez", "Martin", "Chen", "Rossi", "Ortíz",
}

// tutorLabel is the tutor id a provider's files carry.
func tutorLabel(p, k int) string {
	switch p {
	case provBrightpath:
		return "BPT-" + pad(k+1, 4)
	case provLearnwell:
		n := len(tutorFirst) * len(tutorLast)
		name := tutorFirst[k%len(tutorFirst)] + " " + tutorLast[(k/len(tutorFirst))%len(tutorLast)]
		if k >= n {
			name += " " + strconv.Itoa(k/n+1)
		}
		return name
	default:
		return "tc-" + pad(k+1001, 5)
	}
}

// pad writes n in decimal with at least width digits.
func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// pickSchool draws a school by enrolment weight.
func (w *world) pickSchool(r *rand.Rand) int {
	u := r.Float64() * w.cumWeight[len(w.cumWeight)-1]
	i := sort.SearchFloat64s(w.cumWeight, u)
	if i >= len(w.schools) {
		i = len(w.schools) - 1
	}
	return i
}

// plan is one student's tutoring in one subject with one provider.
type plan struct {
	prov     int
	subj     int
	start    int // first day, inclusive
	end      int // last day, inclusive
	dow      [7]bool
	startMin int
	dur      int
	group    int
	inPerson bool
	pAttend  float64
	main     int // tutor index in the provider's table
	poolLo   int
	poolN    int
	stream   uint64
}

// newPlan draws a plan starting no earlier than earliest.
func (w *world) newPlan(r *rand.Rand, prov, school, subj, earliest int, stream uint64) plan {
	ps := &w.provs[prov]
	c := w.cal
	var start int
	if r.Float64() < 0.85 {
		// the main cohort starts in September or October
		lo, hi := c.index(civil(2025, time.September, 8)), c.index(civil(2025, time.October, 31))
		start = lo + r.IntN(hi-lo+1)
	} else {
		// a second-semester cohort
		lo, hi := c.index(civil(2026, time.January, 5)), c.index(civil(2026, time.April, 10))
		start = lo + r.IntN(hi-lo+1)
	}
	start = max(start, earliest)
	var end int
	switch u := r.Float64(); {
	case u < 0.65:
		lo, hi := c.index(civil(2026, time.May, 11)), c.index(civil(2026, time.May, 29))
		end = lo + r.IntN(hi-lo+1)
	case u < 0.8:
		// leaves the program within a few weeks
		end = start + 7*(1+r.IntN(6))
	default:
		// leaves the program later
		end = start + 7*(2+r.IntN(24))
	}
	end = min(end, c.index(civil(2026, time.May, 29)))
	pl := plan{prov: prov, subj: subj, start: start, end: end, stream: stream}
	k := 3
	switch u := r.Float64(); {
	case u < 0.3:
		k = 2
	case u >= 0.75:
		k = 4
	}
	days := r.Perm(5)
	for _, d := range days[:k] {
		pl.dow[time.Monday+time.Weekday(d)] = true
	}
	pl.startMin = ps.startTimes[r.IntN(len(ps.startTimes))]
	pl.dur = ps.durations[r.IntN(len(ps.durations))]
	pl.group = 1 + r.IntN(ps.maxGroup)
	pl.inPerson = r.Float64() < ps.pInPerson
	pl.pAttend = 0.6 + 0.35*r.Float64()
	pool := w.pool[prov][school]
	pl.poolLo, pl.poolN = pool[0], max(pool[1], 1)
	pl.main = pl.poolLo + r.IntN(pl.poolN)
	return pl
}

// session is one scheduled session as it really happened (final status).
type session struct {
	day      int
	startMin int
	dur      int
	status   int
	noShow   bool // a student absence the provider writes as "No Show"
	tutor    int
	group    int
	inPerson bool
	subj     int
	mess     float64 // uniform draw deciding corrections and phantom copies
}

// runPlan calls emit for every session of a plan, in date order, skipping
// the days in skip (the student's test days). r is reseeded from the plan's stream.
func (w *world) runPlan(pcg *rand.PCG, r *rand.Rand, seed uint64, pl *plan, skip []int, emit func(s *session)) {
	pcg.Seed(seed, pl.stream)
	ps := &w.provs[pl.prov]
	c := w.cal
	for i := sort.SearchInts(c.instrDays, pl.start); i < len(c.instrDays) && c.instrDays[i] <= pl.end; i++ {
		d := c.instrDays[i]
		if !pl.dow[c.weekday[d]] {
			continue
		}
		skipped := false
		for _, sd := range skip {
			if sd == d {
				skipped = true
			}
		}
		if skipped {
			continue
		}
		s := session{day: d, startMin: pl.startMin, dur: pl.dur, tutor: pl.main, group: pl.group, inPerson: pl.inPerson, subj: pl.subj}
		switch u := r.Float64(); {
		case u < ps.pCancel:
			s.status = stCancelled
		case u < ps.pCancel+ps.pTutorAbsent:
			s.status = stTutorAbsent
		case r.Float64() < pl.pAttend:
			s.status = stAttended
		default:
			s.status = stStudentAbsent
			s.noShow = r.Float64() < 0.3
		}
		if r.Float64() >= 0.8 && pl.poolN > 1 {
			s.tutor = pl.poolLo + (pl.main-pl.poolLo+1+r.IntN(pl.poolN-1))%pl.poolN
		}
		if s.status == stAttended && r.Float64() < 0.15 {
			s.dur += 5 * (2*r.IntN(2) - 1)
		}
		if r.Float64() < 0.2 {
			s.group = min(max(1, s.group+2*r.IntN(2)-1), ps.maxGroup)
		}
		s.mess = r.Float64()
		emit(&s)
	}
}

// mix is splitmix64's finaliser of a and b: a bijection of a for each b.
func mix(a, b uint64) uint64 {
	z := a + 0x9e3779b97f4a7c15*(b+1)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// normCDF is the standard normal distribution function.
func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// Score norms: fall mean by subject and grade, typical growth to each window.
func normMean(subj, grade, win int) float64 {
	g := float64(grade)
	if subj == subjMath {
		return 190 + 5*g + [3]float64{0, 7 - 0.6*(g-3), 11 - 1.0*(g-3)}[win]
	}
	return 187 + 4*g + [3]float64{0, 5 - 0.5*(g-3), 8 - 0.8*(g-3)}[win]
}

const normSD = 14.0

// percentile is the national percentile rank of a scale score, 1 to 99.
func percentile(subj, grade, win, score int) int {
	sd := normSD
	if win > winFall {
		sd = normSD + 0.5
	}
	p := int(math.Round(100 * normCDF((float64(score)-normMean(subj, grade, win))/sd)))
	return min(max(p, 1), 99)
}

// quintile is NWEA's achievement quintile of a percentile.
func quintile(p int) string {
	switch {
	case p <= 20:
		return "Low"
	case p <= 40:
		return "LoAvg"
	case p <= 60:
		return "Avg"
	case p <= 80:
		return "HiAvg"
	default:
		return "High"
	}
}
