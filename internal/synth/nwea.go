package synth

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// nweaHeader is the header of NWEA MAP Growth's comprehensive data file
// (AssessmentResults.csv), all 143 columns in order.
const nweaHeader = "TermName,DistrictName,District_StateID,SchoolName,School_StateID,StudentID,Student_StateID,Subject,Course,GrowthMeasureYN,NormsReferenceData,WISelectedAYFall,WISelectedAYWinter,WISelectedAYSpring,WIPreviousAYFall,WIPreviousAYWinter,WIPreviousAYSpring,TestType,TestName,TestID,TestStartDate,TestStartTime,TestDurationMinutes,TestRITScore,TestStandardError,TestPercentile,AchievementQuintile,PercentCorrect,RapidGuessingPercentage,FallToFallProjectedGrowth,FallToFallObservedGrowth,FallToFallObservedGrowthSE,FallToFallMetProjectedGrowth,FallToFallConditionalGrowthIndex,FallToFallConditionalGrowthPercentile,FallToFallGrowthQuintile,FallToWinterProjectedGrowth,FallToWinterObservedGrowth,FallToWinterObservedGrowthSE,FallToWinterMetProjectedGrowth,FallToWinterConditionalGrowthIndex,FallToWinterConditionalGrowthPercentile,FallToWinterGrowthQuintile,FallToSpringProjectedGrowth,FallToSpringObservedGrowth,FallToSpringObservedGrowthSE,FallToSpringMetProjectedGrowth,FallToSpringConditionalGrowthIndex,FallToSpringConditionalGrowthPercentile,FallToSpringGrowthQuintile,WinterToWinterProjectedGrowth,WinterToWinterObservedGrowth,WinterToWinterObservedGrowthSE,WinterToWinterMetProjectedGrowth,WinterToWinterConditionalGrowthIndex,WinterToWinterConditionalGrowthPercentile,WinterToWinterGrowthQuintile,WinterToSpringProjectedGrowth,WinterToSpringObservedGrowth,WinterToSpringObservedGrowthSE,WinterToSpringMetProjectedGrowth,WinterToSpringConditionalGrowthIndex,WinterToSpringConditionalGrowthPercentile,WinterToSpringGrowthQuintile,SpringToSpringProjectedGrowth,SpringToSpringObservedGrowth,SpringToSpringObservedGrowthSE,SpringToSpringMetProjectedGrowth,SpringToSpringConditionalGrowthIndex,SpringToSpringConditionalGrowthPercentile,SpringToSpringGrowthQuintile,LexileScore,LexileMin,LexileMax,QuantileScore,QuantileMin,QuantileMax,Goal1Name,Goal1RitScore,Goal1StdErr,Goal1Range,Goal1Adjective,Goal2Name,Goal2RitScore,Goal2StdErr,Goal2Range,Goal2Adjective,Goal3Name,Goal3RitScore,Goal3StdErr,Goal3Range,Goal3Adjective,Goal4Name,Goal4RitScore,Goal4StdErr,Goal4Range,Goal4Adjective,Goal5Name,Goal5RitScore,Goal5StdErr,Goal5Range,Goal5Adjective,Goal6Name,Goal6RitScore,Goal6StdErr,Goal6Range,Goal6Adjective,Goal7Name,Goal7RitScore,Goal7StdErr,Goal7Range,Goal7Adjective,Goal8Name,Goal8RitScore,Goal8StdErr,Goal8Range,Goal8Adjective,TypicalFallToFallGrowth,TypicalFallToWinterGrowth,TypicalFallToSpringGrowth,TypicalWinterToWinterGrowth,TypicalWinterToSpringGrowth,TypicalSpringToSpringGrowth,ProjectedProficiencyStudy1,ProjectedProficiencyLevel1,ProjectedProficiencyStudy2,ProjectedProficiencyLevel2,ProjectedProficiencyStudy3,ProjectedProficiencyLevel3,ProjectedProficiencyStudy4,ProjectedProficiencyLevel4,ProjectedProficiencyStudy5,ProjectedProficiencyLevel5,ProjectedProficiencyStudy6,ProjectedProficiencyLevel6,ProjectedProficiencyStudy7,ProjectedProficiencyLevel7,ProjectedProficiencyStudy8,ProjectedProficiencyLevel8,ProjectedProficiencyStudy9,ProjectedProficiencyLevel9,ProjectedProficiencyStudy10,ProjectedProficiencyLevel10"

const (
	nweaCourseScience = 2
	districtStateID   = "4812345"
)

var nweaTerm = [3]string{"Fall 2025-2026", "Winter 2025-2026", "Spring 2025-2026"}
var nweaWindowPrefix = [3]string{"Fall", "Winter", "Spring"}

// nweaGoals names the goal areas reported per course and grade band (elementary, middle).
var nweaGoals = [3][2][]string{
	{ // math
		{"Operations and Algebraic Thinking", "Number and Operations", "Measurement and Data", "Geometry"},
		{"Operations and Algebraic Thinking", "The Real and Complex Number Systems", "Geometry", "Statistics and Probability"},
	},
	{ // reading
		{"Literary Text: Language, Craft, and Structure", "Informational Text: Key Ideas and Details", "Vocabulary: Acquisition and Use"},
		{"Literary Text: Language, Craft, and Structure", "Literary Text: Key Ideas and Details", "Informational Text: Language, Craft, and Structure", "Informational Text: Key Ideas and Details"},
	},
	{ // science
		{"Life Science", "Earth and Space Science", "Physical Science"},
		{"Life Science", "Earth and Space Science", "Physical Science"},
	},
}

// nweaWriter writes AssessmentResults rows; it reuses its buffers.
type nweaWriter struct {
	col    map[string]int
	fields []string
	buf    []byte
}

func newNWEAWriter() *nweaWriter {
	cols := strings.Split(nweaHeader, ",")
	n := &nweaWriter{col: make(map[string]int, len(cols)), fields: make([]string, len(cols))}
	for i, c := range cols {
		n.col[c] = i
	}
	return n
}

func (n *nweaWriter) set(col, v string) { n.fields[n.col[col]] = v }

// nweaTest is one test result to write.
type nweaTest struct {
	win        int
	course     int // subjMath, subjELA or nweaCourseScience
	grade      int
	day        int
	score      int
	pct        int
	fallScore  int // fall score of the same subject, 0 when missing
	testID     int64
	studentID  string
	stateID    string
	schoolID   string
	schoolName string
}

// row formats one test result: header-order fields, every one quoted.
func (n *nweaWriter) row(c *calendar, r *rand.Rand, t *nweaTest) []byte {
	for i := range n.fields {
		n.fields[i] = ""
	}
	band := 0
	if t.grade >= 6 {
		band = 1
	}
	n.set("TermName", nweaTerm[t.win])
	n.set("DistrictName", districtName)
	n.set("District_StateID", districtStateID)
	n.set("SchoolName", t.schoolName)
	n.set("School_StateID", t.schoolID)
	n.set("StudentID", t.studentID)
	n.set("Student_StateID", t.stateID)
	var bandName string
	if band == 0 {
		bandName = "2-5"
	} else {
		bandName = "6+"
	}
	switch t.course {
	case subjMath:
		n.set("Subject", "Mathematics")
		n.set("Course", "Math K-12")
		n.set("TestName", "Growth: Math "+bandName+" TX 2017")
	case subjELA:
		n.set("Subject", "Language Arts")
		n.set("Course", "Reading")
		n.set("TestName", "Growth: Reading "+bandName+" TX 2017")
	default:
		n.set("Subject", "Science")
		n.set("Course", "Science K-12")
		n.set("TestName", "Growth: Science "+bandName+" TX 2017")
	}
	n.set("GrowthMeasureYN", "TRUE")
	n.set("NormsReferenceData", "2020")
	n.set("WISelectedAY"+nweaWindowPrefix[t.win], "1")
	n.set("TestType", "Survey With Goals")
	n.set("TestID", strconv.FormatInt(t.testID, 10))
	n.set("TestStartDate", c.us[t.day])
	start := 8*3600 + r.IntN(6*3600+30*60)
	n.set("TestStartTime", pad(start/3600, 2)+":"+pad(start/60%60, 2)+":"+pad(start%60, 2))
	n.set("TestDurationMinutes", strconv.Itoa(25+r.IntN(45)))
	n.set("TestRITScore", strconv.Itoa(t.score))
	n.set("TestStandardError", "3."+strconv.Itoa(r.IntN(6)))
	n.set("TestPercentile", strconv.Itoa(t.pct))
	n.set("AchievementQuintile", quintile(t.pct))
	n.set("PercentCorrect", strconv.Itoa(40+r.IntN(35)))
	if r.IntN(20) == 0 {
		n.set("RapidGuessingPercentage", "0.0"+strconv.Itoa(1+r.IntN(9))+"00")
	} else {
		n.set("RapidGuessingPercentage", "0.0000")
	}
	if t.course != nweaCourseScience {
		typW := int(math.Round(normMean(t.course, t.grade, winWinter) - normMean(t.course, t.grade, winFall)))
		typS := int(math.Round(normMean(t.course, t.grade, winSpring) - normMean(t.course, t.grade, winFall)))
		n.set("TypicalFallToWinterGrowth", strconv.Itoa(typW))
		n.set("TypicalFallToSpringGrowth", strconv.Itoa(typS))
		n.set("TypicalWinterToSpringGrowth", strconv.Itoa(typS-typW))
		switch t.win {
		case winFall:
			n.set("FallToWinterProjectedGrowth", strconv.Itoa(typW))
			n.set("FallToSpringProjectedGrowth", strconv.Itoa(typS))
		case winWinter:
			n.set("FallToWinterProjectedGrowth", strconv.Itoa(typW))
			if t.fallScore > 0 {
				n.set("FallToWinterObservedGrowth", strconv.Itoa(t.score-t.fallScore))
				n.set("FallToWinterObservedGrowthSE", "4.6")
				n.set("FallToWinterMetProjectedGrowth", yesNo(t.score-t.fallScore >= typW))
			}
		case winSpring:
			n.set("FallToSpringProjectedGrowth", strconv.Itoa(typS))
			if t.fallScore > 0 {
				n.set("FallToSpringObservedGrowth", strconv.Itoa(t.score-t.fallScore))
				n.set("FallToSpringObservedGrowthSE", "4.5")
				n.set("FallToSpringMetProjectedGrowth", yesNo(t.score-t.fallScore >= typS))
			}
		}
	}
	switch t.course {
	case subjMath:
		q := max(0, (t.score-150)*12-50)
		n.set("QuantileScore", strconv.Itoa(q)+"Q")
		n.set("QuantileMin", strconv.Itoa(max(0, q-100))+"Q")
		n.set("QuantileMax", strconv.Itoa(q+100)+"Q")
	case subjELA:
		if l := (t.score - 160) * 14; l <= 0 {
			n.set("LexileScore", "BR")
		} else {
			n.set("LexileScore", strconv.Itoa(l)+"L")
			n.set("LexileMin", strconv.Itoa(max(0, l-100))+"L")
			n.set("LexileMax", strconv.Itoa(l+50)+"L")
		}
	}
	for k, name := range nweaGoals[t.course][band] {
		g := "Goal" + strconv.Itoa(k+1)
		gs := t.score + int(math.Round(6*r.NormFloat64()))
		se := 6 + r.IntN(15)
		n.set(g+"Name", name)
		n.set(g+"RitScore", strconv.Itoa(gs))
		n.set(g+"StdErr", strconv.Itoa(se/10+5)+"."+strconv.Itoa(se%10))
		n.set(g+"Range", strconv.Itoa(gs-6)+"-"+strconv.Itoa(gs+6))
		gp := t.pct
		if t.course != nweaCourseScience {
			gp = percentile(t.course, t.grade, t.win, gs)
		}
		n.set(g+"Adjective", quintile(gp))
	}
	b := n.buf[:0]
	for i, f := range n.fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, f...)
		b = append(b, '"')
	}
	n.buf = b
	return b
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}
