package synth

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Synthetic files in the layouts of the built-in vendor profiles, for their
// tests: made-up students (no real person's data), written the way each
// vendor's export writes them (headers and their order, codes, date
// formats, empty blocks, discontinued subtests, grades as words), from the
// public anonymized samples of edanalytics/earthmover_edfi_bundles and the
// vendors' documentation. The school year is 2025-26; schools are 101
// (Lincoln Elementary) and 102 (Washington Middle).

// VendorFixture is one synthetic file and the built-in profile that reads it.
type VendorFixture struct {
	Profile string // the built-in profile
	Kind    string // assessments or roster
	Name    string // the file's name
	// Rows is what a load must find: data rows read, and of them loaded
	// and skipped on purpose (the rest would be rejects: none).
	Read, Loaded, Skipped int64
	Data                  []byte
}

// VendorFixtures writes every fixture, the same bytes for the same seed.
func VendorFixtures(seed uint64) ([]VendorFixture, error) {
	var out []VendorFixture
	for _, gen := range []func(*rand.Rand) (VendorFixture, error){dibels8Fixture, isipFixture, onerosterFixture, starFixture(false), starFixture(true), mapFluencyFixture, fastbridgeFixture, ireadyFixture} {
		f, err := gen(rand.New(rand.NewPCG(seed, 0x5eed)))
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// WriteVendorFixtures writes the fixtures into dir.
func WriteVendorFixtures(dir string, seed uint64) ([]VendorFixture, error) {
	fs, err := VendorFixtures(seed)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, f := range fs {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return nil, err
		}
	}
	return fs, nil
}

// sheet builds a CSV in a fixed header order from rows given by header.
type sheet struct {
	headers []string
	rows    [][]string
	eol     string
}

func newSheet(header string) *sheet { return &sheet{headers: strings.Split(header, ","), eol: "\n"} }

func (s *sheet) add(cells map[string]string) {
	row := make([]string, len(s.headers))
	for i, h := range s.headers {
		row[i] = cells[h]
	}
	for h := range cells {
		if !contains(s.headers, h) {
			panic("synth: no header " + h)
		}
	}
	s.rows = append(s.rows, row)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *sheet) bytes() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = s.eol == "\r\n"
	w.Write(s.headers)
	w.WriteAll(s.rows)
	return b.Bytes()
}

var fixtureSchools = []struct{ id, name string }{{"101", "Lincoln Elementary"}, {"102", "Washington Middle"}}

// dibels8Header is mCLASS's DIBELS 8th Edition benchmark export, column for column.
const dibels8Header = `School Year,State,Account Name,Municipality Name,Municipality Primary ID,District Name,District Primary ID,Internal Program,External Program,School Name,Primary School ID,Secondary School ID,Student Last Name,Student First Name,Student Middle Name,Enrollment Date,Enrollment Grade,Date of Birth,Gender,Race,Special Education,Disability,Specific Disability,Section 504,Economically Disadvantaged,Meal Status,Title 1,Migrant,English Proficiency,ELL Status,Home Language,Alternate Assessment,Approved Accommodations,Classed,Reporting Class Name,Reporting Class ID,Official Teacher Name,Official Teacher Staff ID,Assessing Teacher Name,Assessing Teacher Staff ID,Assessment,Assessment Edition,Assessment Grade,Benchmark Period,Composite Level,Composite Score,Composite - National Norm Percentile,Composite - Semester Growth,Composite - Year Growth,Letter Names (LNF) - Level,Letter Names (LNF) - Score,Letter Names (LNF) - National Norm Percentile,Letter Names (LNF) - Semester Growth,Letter Names (LNF) - Year Growth,Phonemic Awareness (PSF) - Level,Phonemic Awareness (PSF) - Score,Phonemic Awareness (PSF) - National Norm Percentile,Phonemic Awareness (PSF) - Semester Growth,Phonemic Awareness (PSF) - Year Growth,Letter Sounds (NWF-CLS) - Level,Letter Sounds (NWF-CLS) - Score,Letter Sounds (NWF-CLS) - National Norm Percentile,Letter Sounds (NWF-CLS) - Semester Growth,Letter Sounds (NWF-CLS) - Year Growth,Decoding (NWF-WRC) - Level,Decoding (NWF-WRC) - Score,Decoding (NWF-WRC) - National Norm Percentile,Decoding (NWF-WRC) - Semester Growth,Decoding (NWF-WRC) - Year Growth,Word Reading (WRF) - Level,Word Reading (WRF) - Score,Word Reading (WRF) - National Norm Percentile,Word Reading (WRF) - Semester Growth,Word Reading (WRF) - Year Growth,Reading Accuracy (ORF-Accu) - Level,Reading Accuracy (ORF-Accu) - Score,Reading Accuracy (ORF-Accu) - National Norm Percentile,Reading Accuracy (ORF-Accu) - Semester Growth,Reading Accuracy (ORF-Accu) - Year Growth,Reading Fluency (ORF) - Level,Reading Fluency (ORF) - Score,Reading Fluency (ORF) - National Norm Percentile,Reading Fluency (ORF) - Semester Growth,Reading Fluency (ORF) - Year Growth,Error Rate (ORF) - Score,Reading Comprehension (Maze) - Level,Reading Comprehension (Maze) - Score,Reading Comprehension (Maze) - National Norm Percentile,Reading Comprehension (Maze) - Semester Growth,Reading Comprehension (Maze) - Year Growth,Correct Responses (Maze) - Score,Incorrect Responses (Maze) - Score,Client Date,Sync Date,Student Primary ID,Primary ID - Student ID (State ID),Administration Type,Vocabulary - Level,Vocabulary - Score,Spelling - Level,Spelling - Score,RAN - Level,RAN - Score,Risk Indicator - Level,DIBELS Composite Score - Lexile`

// dibels8Fixture: 24 students in K-3, each tested at BOY and MOY; K has
// no ORF or Maze, grades 2-3 no letter names; some kindergartners are
// discontinued on LNF (a level, no score, "Discontinue"), which skips that
// block; one student missed MOY (no row).
func dibels8Fixture(r *rand.Rand) (VendorFixture, error) {
	s := newSheet(dibels8Header)
	f := VendorFixture{Profile: "dibels8-benchmark", Kind: "assessments", Name: "dibels8_benchmark_2025-26.csv"}
	type measure struct {
		prefix string
		grades []int
		level  bool
		pct    bool
	}
	measures := []measure{
		{"Letter Names (LNF)", []int{0, 1}, true, true},
		{"Phonemic Awareness (PSF)", []int{0, 1}, true, true},
		{"Letter Sounds (NWF-CLS)", []int{0, 1, 2, 3}, true, true},
		{"Decoding (NWF-WRC)", []int{1, 2, 3}, true, true},
		{"Word Reading (WRF)", []int{0, 1, 2, 3}, true, true},
		{"Reading Accuracy (ORF-Accu)", []int{1, 2, 3}, true, true},
		{"Reading Fluency (ORF)", []int{1, 2, 3}, true, true},
		{"Error Rate (ORF)", []int{1, 2, 3}, false, false},
		{"Reading Comprehension (Maze)", []int{3}, true, true},
	}
	levels := []string{"Well Below Benchmark", "Below Benchmark", "At Benchmark", "Above Benchmark"}
	gradeText := []string{"K", "1", "2", "3"}
	for i := 0; i < 24; i++ {
		grade := i % 4
		school := fixtureSchools[i%2]
		id := fmt.Sprintf("3%05d", 100+i)
		for p, period := range []string{"BOY", "MOY"} {
			if i == 7 && period == "MOY" {
				continue // absent at MOY
			}
			date := time.Date(2025, 9, 8+r.IntN(10), 0, 0, 0, 0, time.UTC)
			if p == 1 {
				date = time.Date(2026, 1, 12+r.IntN(10), 0, 0, 0, 0, time.UTC)
			}
			c := map[string]string{
				"School Year": "2025-2026", "State": "TX", "Account Name": "Riverside Unified", "District Name": "Riverside Unified",
				"School Name": school.name, "Primary School ID": school.id, "Student Last Name": "Synthetic", "Student First Name": fmt.Sprintf("Student%d", i),
				"Enrollment Grade": gradeText[grade], "Assessment Grade": gradeText[grade], "Date of Birth": fmt.Sprintf("%d-0%d-1%d", 2019-grade, 1+i%9, i%10),
				"Assessment": "DIBELS 8th Edition", "Assessment Edition": "DIBELS 8th Edition", "Benchmark Period": period,
				"Client Date": date.Format("2006-01-02"), "Sync Date": date.AddDate(0, 0, 1).Format("2006-01-02"),
				"Student Primary ID": id, "Primary ID - Student ID (State ID)": "S" + id, "Administration Type": "Benchmark",
				"Official Teacher Name": "Teacher Synthetic", "Assessing Teacher Name": "Teacher Synthetic",
			}
			composite := 300 + 40*grade + 30*p + r.IntN(60)
			c["Composite Score"] = fmt.Sprint(composite)
			c["Composite Level"] = levels[r.IntN(4)]
			c["Composite - National Norm Percentile"] = fmt.Sprint(5 + r.IntN(90))
			f.Read++
			f.Loaded++
			for _, m := range measures {
				f.Read++ // every block of every row is read
				if !containsInt(m.grades, grade) {
					f.Skipped++ // the block is empty in this grade
					continue
				}
				if m.prefix == "Letter Names (LNF)" && grade == 0 && p == 0 && i%8 == 0 {
					// discontinued: a level but no score
					c[m.prefix+" - Level"] = "Well Below Benchmark"
					c[m.prefix+" - National Norm Percentile"] = "Discontinue"
					f.Skipped++
					continue
				}
				c[m.prefix+" - Score"] = fmt.Sprint(5 + r.IntN(80))
				if m.level {
					c[m.prefix+" - Level"] = levels[r.IntN(4)]
				}
				if m.pct {
					c[m.prefix+" - National Norm Percentile"] = fmt.Sprint(1 + r.IntN(98))
				}
				f.Loaded++
			}
			// Correct/Incorrect Responses (Maze), Vocabulary, Spelling, RAN:
			// not given in these grades.
			f.Read += 5
			f.Skipped += 5
			s.add(c)
		}
	}
	f.Data = s.bytes()
	return f, nil
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// isipHeader is Istation's ISIP report download, column for column.
const isipHeader = `STUDENT_ID,LNAME,FNAME,DOMAIN,GRADE,ISIP_ACCOM,GENDER,RACE,SPECIAL_ED,CLASS_INSTR,ECON_DISADV,ENG_PROFICIENCY,DISABILITY,ETHNICITY,August_SCORE,August_PTILE,August_OVERFLOW,August_TIER,August_ADMIN_DATE,September_SCORE,September_PTILE,September_OVERFLOW,September_TIER,September_ADMIN_DATE,October_SCORE,October_PTILE,October_OVERFLOW,October_TIER,October_ADMIN_DATE,November_SCORE,November_PTILE,November_OVERFLOW,November_TIER,November_ADMIN_DATE,December_SCORE,December_PTILE,December_OVERFLOW,December_TIER,December_ADMIN_DATE,January_SCORE,January_PTILE,January_OVERFLOW,January_TIER,January_ADMIN_DATE,February_SCORE,February_PTILE,February_OVERFLOW,February_TIER,February_ADMIN_DATE,March_SCORE,March_PTILE,March_OVERFLOW,March_TIER,March_ADMIN_DATE,April_SCORE,April_PTILE,April_OVERFLOW,April_TIER,April_ADMIN_DATE,May_SCORE,May_PTILE,May_OVERFLOW,May_TIER,May_ADMIN_DATE,June_SCORE,June_PTILE,June_OVERFLOW,June_TIER,June_ADMIN_DATE,July_SCORE,July_PTILE,July_OVERFLOW,July_TIER,July_ADMIN_DATE,G/T,HOMELESS,MIGRANT,NATIVE_LANG,DOMAIN_AT_TAKE,BIRTHDATE,ROI`

// isipFixture: 20 students in grades K-5 (Istation writes K as 0), tested
// monthly from September to May with a month missed here and there; two
// students have no grade level (-1). Every month block is a row read;
// months not tested are empty blocks, skipped.
func isipFixture(r *rand.Rand) (VendorFixture, error) {
	s := newSheet(isipHeader)
	f := VendorFixture{Profile: "istation-isip", Kind: "assessments", Name: "ISIP_Reading_2025-26.csv"}
	months := []string{"August", "September", "October", "November", "December", "January", "February", "March", "April", "May", "June", "July"}
	for i := 0; i < 20; i++ {
		grade := fmt.Sprint(i % 6)
		if i == 5 || i == 13 {
			grade = "-1"
		}
		c := map[string]string{
			"STUDENT_ID": fmt.Sprintf("4%05d", 200+i), "LNAME": "SyntheticLast", "FNAME": fmt.Sprintf("First%d", i),
			"DOMAIN": "school1.riverside.k12", "DOMAIN_AT_TAKE": "school1.riverside.k12", "GRADE": grade, "ISIP_ACCOM": "N",
			"GENDER": []string{"M", "F"}[i%2], "BIRTHDATE": fmt.Sprintf("%d/1/%d", 1+i%12, 2014+i%6), "ROI": []string{"Low", "High", "N/A"}[i%3],
		}
		score := 180 + 10*(i%6) + r.IntN(20)
		for m, month := range months {
			f.Read++
			tested := m >= 1 && m <= 9 && (i+m)%7 != 0 // September-May, now and then missed
			if !tested {
				f.Skipped++
				continue
			}
			year, mon := 2025, time.Month(8+m)
			if m >= 5 {
				year, mon = 2026, time.Month(m-4)
			}
			score += r.IntN(8)
			pct := 1 + r.IntN(99)
			tier := "1"
			switch {
			case pct <= 20:
				tier = "3"
			case pct <= 40:
				tier = "2"
			}
			c[month+"_SCORE"] = fmt.Sprint(score)
			c[month+"_PTILE"] = fmt.Sprint(pct)
			c[month+"_OVERFLOW"] = "0"
			c[month+"_TIER"] = tier
			c[month+"_ADMIN_DATE"] = fmt.Sprintf("%d/%d/%d", mon, 3+r.IntN(20), year)
			f.Loaded++
		}
		s.add(c)
	}
	f.Data = s.bytes()
	return f, nil
}

// onerosterFixture is a OneRoster 1.1 bundle as a zip: 30 students (grades
// KG-05), 4 teachers and 6 parents in users.csv (only students load), two
// schools and the district in orgs.csv, sex in demographics.csv.
func onerosterFixture(r *rand.Rand) (VendorFixture, error) {
	f := VendorFixture{Profile: "oneroster", Kind: "roster", Name: "oneroster_2025-08-15.zip"}
	users := newSheet("sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password")
	demo := newSheet("sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus")
	orgs := newSheet("sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId")
	orgs.add(map[string]string{"sourcedId": "org-d", "status": "active", "dateLastModified": "2025-08-15T02:00:00Z", "name": "Riverside Unified", "type": "district", "identifier": "RUSD"})
	for k, sc := range fixtureSchools {
		orgs.add(map[string]string{"sourcedId": fmt.Sprintf("org-%d", k+1), "status": "active", "dateLastModified": "2025-08-15T02:00:00Z",
			"name": sc.name, "type": "school", "identifier": sc.id, "parentSourcedId": "org-d"})
	}
	grades := []string{"KG", "01", "02", "03", "04", "05"}
	for i := 0; i < 40; i++ {
		role, grade, id, org := "student", grades[i%6], fmt.Sprintf("0%05d", 5000+i), fmt.Sprintf("org-%d", 1+i%2)
		switch {
		case i >= 36:
			role, grade, id = "teacher", "", fmt.Sprintf("T%03d", i)
		case i >= 30:
			role, grade, id = "parent", "", ""
		}
		if i == 3 {
			org = "org-1,org-2" // enrolled in both: the first counts
		}
		sid := fmt.Sprintf("u-%04d", r.IntN(9000)+1000) + fmt.Sprint(i)
		users.add(map[string]string{"sourcedId": sid, "status": "active", "dateLastModified": "2025-08-15T02:00:00Z", "enabledUser": "true",
			"orgSourcedIds": org, "role": role, "username": fmt.Sprintf("user%d", i), "givenName": fmt.Sprintf("Given%d", i), "familyName": "Synthetic",
			"identifier": id, "email": fmt.Sprintf("user%d@example.org", i), "grades": grade})
		f.Read++
		if role != "student" {
			f.Skipped++
			continue
		}
		f.Loaded++
		if i%5 != 4 { // some students have no demographics row
			demo.add(map[string]string{"sourcedId": sid, "status": "active", "dateLastModified": "2025-08-15T02:00:00Z",
				"birthDate": fmt.Sprintf("%d-05-0%d", 2019-i%6, 1+i%9), "sex": []string{"female", "male"}[i%2],
				"white": "false", "asian": "false", "hispanicOrLatinoEthnicity": "false"})
		}
	}
	manifest := "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.users,bulk\nfile.orgs,bulk\nfile.demographics,bulk\n"
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	stamp := time.Date(2025, 8, 15, 2, 0, 0, 0, time.UTC)
	for _, m := range []struct {
		name string
		data []byte
	}{{"manifest.csv", []byte(manifest)}, {"users.csv", users.bytes()}, {"orgs.csv", orgs.bytes()}, {"demographics.csv", demo.bytes()}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Deflate, Modified: stamp})
		if err != nil {
			return f, err
		}
		if _, err := w.Write(m.data); err != nil {
			return f, err
		}
	}
	if err := zw.Close(); err != nil {
		return f, err
	}
	f.Data = b.Bytes()
	return f, nil
}

// starReadingHeader is Renaissance's Star Reading data export (SR_v2),
// column for column.
const starReadingHeader = `RenaissanceClientID,SchoolYear,SchoolYearStartDate,SchoolYearEndDate,StudentRenaissanceID,StudentSourcedID,StudentIdentifier,StudentUserID,StudentStateID,StudentEmail,StudentFirstName,StudentMiddleName,StudentLastName,Gender,BirthDate,MultiRace,HispanicOrLatino,AmericanIndianOrAlaskaNative,Asian,BlackOrAfricanAmerican,NativeHawaiianOrOtherPacificIslander,White,CurrentGrade,EnrollmentStatus,DistrictRenaissanceID,DistrictSourcedID,DistrictIdentifier,DistrictStateID,DistrictName,SchoolRenaissanceID,SchoolSourcedID,SchoolIdentifier,SchoolStateID,SchoolName,CourseRenaissanceID,CourseSourcedID,CourseCode,CourseName,ClassRenaissanceID,ClassSourcedID,ClassCode,GroupID,GroupOrClassName,TeacherRenaissanceID,TeacherSourcedID,TeacherIdentifier,TeacherUserID,TeacherStateID,TeacherEmail,TeacherFirstName,TeacherMiddleName,TeacherLastName,AssessmentID,LaunchDate,CompletedDate,CompletedDateLocal,AssessmentNumber,AssessmentType,AssessmentStatus,DeactivationReason,GradePlacement,Grade,ExtraTime,ScaledScore,StandardErrorOfMeasurement,RaschScore,UnifiedScore,PartnershipForAssessmentOfReadinessForCollegeAndCareers,SmarterBalancedAssessmentConsortium,OpenGrowthScore,GradeEquivalent,PercentileRank,NormalCurveEquivalent,InstructionalReadingLevel,EstimatedOralReadingFluency,LowerZoneOfProximalDevelopment,UpperZoneOfProximalDevelopment,Lexile,LowerLexileZoneOfProximalDevelopment,UpperLexileZoneOfProximalDevelopment,TotalTimeInSeconds,TotalCorrect,TotalPossible,Grade3_AssessmentAttempts,Grade3_PassingStatus,Grade3_PassingScore,StudentGrowthPercentileFallFall,StudentGrowthPercentileFallSpring,StudentGrowthPercentileFallWinter,StudentGrowthPercentileSpringFall,StudentGrowthPercentileSpringSpring,StudentGrowthPercentileWinterSpring,ScreeningPeriodWindowName,ScreeningWindowStartDate,ScreeningWindowEndDate,RenaissanceBenchmarkCategoryName,RenaissanceBenchmarkCategoryLevel,RenaissanceBenchmarkCategoryNumberOfLevels,RenaissanceBenchmarkCategoryMinPercentileRank,RenaissanceBenchmarkCategoryMaxPercentileRank,StateBenchmarkAssessmentName,StateBenchmarkCategoryName,StateBenchmarkProficient,StateBenchmarkCategoryLevel,StateBenchmarkNumberOfCategoryLevels,StateBenchmarkMinScaledScore,StateBenchmarkMaxScaledScore,DistrictBenchmarkCategoryName,DistrictBenchmarkProficient,DistrictBenchmarkCategoryLevel,DistrictBenchmarkNumberOfCategoryLevels,DistrictBenchmarkMinPercentileRank,DistrictBenchmarkMaxPercentileRank,SchoolBenchmarkCategoryName,SchoolBenchmarkProficient,SchoolBenchmarkCategoryLevel,SchoolBenchmarkNumberOfCategoryLevels,SchoolBenchmarkMinPercentileRank,SchoolBenchmarkMaxPercentileRank,CurrentSGP,TakenAt,TakenAtByIPAddress,StudentDisplayID,TeacherDisplayID,SATBenchmarkCategory,ACTBenchmarkCategory`

// starMathHeader is the Star Math export (SM_v2): Star Reading's columns
// with Audio after ExtraTime, no reading-level, Lexile or Grade 3 columns,
// and Quantile after CurrentSGP.
func starMathHeader() string {
	var out []string
	for _, h := range strings.Split(starReadingHeader, ",") {
		switch h {
		case "InstructionalReadingLevel", "EstimatedOralReadingFluency", "LowerZoneOfProximalDevelopment", "UpperZoneOfProximalDevelopment",
			"Lexile", "LowerLexileZoneOfProximalDevelopment", "UpperLexileZoneOfProximalDevelopment",
			"Grade3_AssessmentAttempts", "Grade3_PassingStatus", "Grade3_PassingScore":
			continue
		}
		out = append(out, h)
		switch h {
		case "ExtraTime":
			out = append(out, "Audio")
		case "CurrentSGP":
			out = append(out, "Quantile")
		}
	}
	return strings.Join(out, ",")
}

// starFixture: Star Reading or Math, 20 students tested in the fall,
// winter and spring screening periods (one district names its winter
// period "Benchmark #2": the window then comes from the date), a retest
// deactivated (skipped: rows_where), a summer test (skipped).
func starFixture(math bool) func(r *rand.Rand) (VendorFixture, error) {
	return func(r *rand.Rand) (VendorFixture, error) {
		f := VendorFixture{Profile: "renaissance-star", Kind: "assessments", Name: "SR_v2.csv"}
		s := newSheet(starReadingHeader)
		if math {
			f.Name = "SM_v2.csv"
			s = newSheet(starMathHeader())
		}
		cats := []string{"Urgent Intervention", "Intervention", "On Watch", "At/Above Benchmark"}
		periods := []struct {
			name       string
			start, end time.Time
		}{
			{"Fall", time.Date(2025, 8, 25, 0, 0, 0, 0, time.UTC), time.Date(2025, 9, 19, 0, 0, 0, 0, time.UTC)},
			{"Benchmark #2", time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC)},
			{"Spring", time.Date(2026, 4, 13, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 8, 0, 0, 0, 0, time.UTC)},
			{"Summer", time.Date(2026, 6, 22, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC)},
		}
		n := 0
		for i := 0; i < 20; i++ {
			grade := 2 + i%6
			school := fixtureSchools[i%2]
			for p, per := range periods {
				if per.name == "Summer" && i%5 != 0 {
					continue
				}
				n++
				local := per.start.Add(time.Duration(r.IntN(15*24)) * time.Hour).Add(time.Duration(8+r.IntN(7)) * time.Hour)
				utc := local.Add(5 * time.Hour)
				pr := 1 + r.IntN(99)
				cat := 3
				switch {
				case pr < 10:
					cat = 0
				case pr < 25:
					cat = 1
				case pr < 40:
					cat = 2
				}
				scaled := 300 + 60*grade + 40*p + r.IntN(120)
				c := map[string]string{
					"RenaissanceClientID": "100", "SchoolYear": "2025-2026", "SchoolYearStartDate": "2025-08-11T00:00:00Z", "SchoolYearEndDate": "2026-06-05T00:00:00Z",
					"StudentRenaissanceID": fmt.Sprintf("00000000-0000-0000-0000-%012d", 1+i), "StudentIdentifier": fmt.Sprintf("%05d", 700+i),
					"StudentStateID": fmt.Sprintf("%08d", 700+i), "StudentFirstName": "Student", "StudentLastName": fmt.Sprintf("Synthetic%d", i),
					"StudentEmail": "", "Gender": []string{"F", "M"}[i%2], "BirthDate": fmt.Sprintf("%d-01-01T00:00:00Z", 2018-grade),
					"CurrentGrade": fmt.Sprint(grade), "EnrollmentStatus": "Enrolled", "DistrictName": "Riverside Unified",
					"SchoolIdentifier": school.id, "SchoolName": school.name, "TeacherFirstName": "Teacher", "TeacherLastName": "Synthetic",
					"TeacherEmail": "teacher@example.org", "AssessmentID": fmt.Sprintf("00000000-0000-0000-0001-%012d", n),
					"LaunchDate": utc.Add(-20 * time.Minute).Format("2006-01-02T15:04:05.000Z"), "CompletedDate": utc.Format("2006-01-02T15:04:05.000Z"),
					"CompletedDateLocal": local.Format("2006-01-02T15:04:05.000Z"), "AssessmentNumber": fmt.Sprint(p + 1), "AssessmentType": "Enterprise",
					"AssessmentStatus": "Active", "Grade": fmt.Sprint(grade), "ScaledScore": fmt.Sprint(scaled), "UnifiedScore": fmt.Sprint(600 + scaled/2),
					"PercentileRank": fmt.Sprint(pr), "ScreeningPeriodWindowName": per.name,
					"ScreeningWindowStartDate": per.start.Format("2006-01-02T15:04:05Z"), "ScreeningWindowEndDate": per.end.Format("2006-01-02T15:04:05Z"),
					"RenaissanceBenchmarkCategoryName": cats[cat], "RenaissanceBenchmarkCategoryLevel": fmt.Sprint(4 - cat),
				}
				if math {
					c["Quantile"] = fmt.Sprintf("%dQ", 200+50*grade+r.IntN(100))
				} else {
					c["InstructionalReadingLevel"] = fmt.Sprintf("%d.%d", grade, r.IntN(9))
					c["Lexile"] = fmt.Sprintf("%dL", 200+80*grade+r.IntN(100))
				}
				f.Read += 2 // the scaled and the unified score
				switch {
				case per.name == "Summer":
					f.Skipped += 2 // window skipped
				case i == 6 && p == 0:
					// a deactivated test, and its retest the next day
					d := c
					d["AssessmentStatus"] = "Deactivated"
					s.add(d)
					f.Skipped += 2
					c = map[string]string{}
					for k, v := range d {
						c[k] = v
					}
					c["AssessmentStatus"] = "Active"
					c["CompletedDateLocal"] = local.AddDate(0, 0, 1).Format("2006-01-02T15:04:05.000Z")
					f.Read += 2
					f.Loaded += 2
				default:
					f.Loaded += 2
				}
				s.add(c)
			}
		}
		f.Data = s.bytes()
		return f, nil
	}
}

// mapFluencyHeader is NWEA MAP Reading Fluency's student results export,
// column for column.
const mapFluencyHeader = `TermName,DistrictName,SchoolName,StudentID,Grade,AssignedTestType,ResultType,TestLanguage,TestCompletionDate,PrintConceptCorrect,PrintConceptAttempted,PrintConceptPerformanceLevel,ListeningComprehensionCorrect,ListeningComprehensionAttempted,ListeningComprehensionPerformanceLevel,PictureVocabCorrect,PictureVocabAttempted,PictureVocabPerformanceLevel,PhonologicalAwarenessDomainScore,PhonologicalAwarenessTestPercentile,PhonologicalAwarenessZPDName,PhonologicalAwarenessZPDLevel,PhonologicalAwarenessPerformanceLevel,PhonicsWordRecognitionDomainScore,PhonicsWordRecognitionTestPercentile,PhonicsWordRecognitionZPDName,PhonicsWordRecognitionZPDLevel,PhonicsWordRecognitionPerformanceLevel,LanguageComprehensionDomainScore,LanguageComprehensionTestPercentile,SentenceReadingFluencyCorrect,SentenceReadingFluencyAttempted,SentenceReadingFluencyPerformanceLevel,OralReadingRatePerformanceLevel,OralReadingWCPMScaled,OralReadingAccuracyPerformanceLevel,OralReadingAccuracyScore,LiteralComprehensionPerformanceLevel,LexileOralReadingMeasure,ProgressMonitoringLexileTextMeasureRange,ProgressMonitoringOralReadingWCPMScaled,ProgressMonitoringOralReadingAccuracyScore,ProgressMonitoringOralReadingComprehensionCorrect,ProgressMonitoringOralReadingComprehensionAttempted,ProgressMonitoringFoundationalSkillsPhonologicalAwarenessDomainScore,ProgressMonitoringFoundationalSkillsPhonicsWordRecognitionDomainScore,DyslexiaScreenerOutcome,RANDurationOverallScore,RANPicturesCorrectPerSecondOverallScore,RANDurationPage1,RANPicturesCorrectPerSecondPage1,RANDurationPage2,RANPicturesCorrectPerSecondPage2,UniversalScreenerOutcome`

// mapFluencyFixture: 24 students K-3, a benchmark test each in fall and
// winter: Foundational Skills in K-1 (three domain scores), Adaptive Oral
// Reading in 2-3 (scaled WCPM and accuracy; "No Score" when a student was
// routed away). CRLF line ends, as MAP writes them.
func mapFluencyFixture(r *rand.Rand) (VendorFixture, error) {
	s := newSheet(mapFluencyHeader)
	s.eol = "\r\n"
	f := VendorFixture{Profile: "map-fluency", Kind: "assessments", Name: "MAP_Reading_Fluency_2025-26.csv"}
	grades := []string{"K", "1", "2", "3"}
	for i := 0; i < 24; i++ {
		g := i % 4
		school := fixtureSchools[i%2]
		for p, term := range []string{"Fall 2025-2026", "Winter 2025-2026"} {
			date := time.Date(2025, 9, 15+r.IntN(20), 0, 0, 0, 0, time.UTC)
			if p == 1 {
				date = time.Date(2026, 1, 12+r.IntN(15), 0, 0, 0, 0, time.UTC)
			}
			c := map[string]string{"TermName": term, "DistrictName": "Riverside Unified", "SchoolName": school.name,
				"StudentID": fmt.Sprintf("%06d", 800000+i), "Grade": grades[g], "TestLanguage": "English",
				"TestCompletionDate": fmt.Sprintf("%d/%d/%d", date.Month(), date.Day(), date.Year()), "DyslexiaScreenerOutcome": "N/A",
				"UniversalScreenerOutcome": []string{"Flagged", "Not Flagged", "Not Flagged", "Insufficient Data"}[r.IntN(4)]}
			f.Read += 5 // five measure blocks
			if g < 2 {
				c["AssignedTestType"], c["ResultType"] = "Foundational Skills", "Foundational Skills"
				for _, d := range []string{"PhonologicalAwareness", "PhonicsWordRecognition", "LanguageComprehension"} {
					c[d+"DomainScore"] = fmt.Sprint(440 + 10*g + 10*p + r.IntN(40))
					c[d+"TestPercentile"] = fmt.Sprint(1 + r.IntN(99))
				}
				c["ListeningComprehensionCorrect"], c["ListeningComprehensionAttempted"] = fmt.Sprint(r.IntN(16)), "15"
				f.Loaded += 3
				f.Skipped += 2 // no oral reading
			} else {
				c["AssignedTestType"], c["ResultType"] = "Adaptive Oral Reading", "Adaptive Oral Reading"
				if i%7 == 3 {
					for _, k := range []string{"OralReadingWCPMScaled", "OralReadingAccuracyScore", "OralReadingRatePerformanceLevel", "OralReadingAccuracyPerformanceLevel"} {
						c[k] = "No Score"
					}
					f.Skipped += 5
				} else {
					c["OralReadingWCPMScaled"] = fmt.Sprint(20 + 30*g + 15*p + r.IntN(40))
					c["OralReadingAccuracyScore"] = fmt.Sprintf("0.%02d", 70+r.IntN(30))
					c["OralReadingRatePerformanceLevel"] = "Meets Expectation"
					c["LexileOralReadingMeasure"] = fmt.Sprintf("%dL", 100*g+r.IntN(200))
					f.Loaded += 2
					f.Skipped += 3
				}
			}
			s.add(c)
		}
	}
	f.Data = s.bytes()
	return f, nil
}

// fastbridgeAMathHeader is FastBridge's aMath screening export, column for
// column (its 16th header is "Unnamed: 15", as FastBridge writes it).
const fastbridgeAMathHeader = `Assessment,Assessment Language,State,District,School,Local ID,State ID,FAST ID,First Name,Last Name,Gender,DOB,Race,Special Ed. Status,Grade,Unnamed: 15,Fall aMath Test Theta,Fall aMath Percentile at School,Fall aMath Percentile at LEA,Fall aMath Percentile at Nation,Fall aMath Risk Level,Fall aMath Final Date,Winter aMath Test Theta,Winter aMath Percentile at School,Winter aMath Percentile at LEA,Winter aMath Percentile at Nation,Winter aMath Risk Level,Winter aMath Final Date,Growth Score from Fall to Winter,School Growth Percentile from Fall to Winter,District Growth Percentile from Fall to Winter,National Growth Percentile from Fall to Winter,Growth Percentile by Start Score from Fall to Winter,Spring aMath Test Theta,Spring aMath Percentile at School,Spring aMath Percentile at LEA,Spring aMath Percentile at Nation,Spring aMath Risk Level,Spring aMath Final Date,Growth Score from Fall to Spring,School Growth Percentile from Fall to Spring,District Growth Percentile from Fall to Spring,National Growth Percentile from Fall to Spring,Growth Percentile by Start Score from Fall to Spring,Growth Score from Winter to Spring,School Growth Percentile from Winter to Spring,District Growth Percentile from Winter to Spring,National Growth Percentile from Winter to Spring,Growth Percentile by Start Score from Winter to Spring,Screening Period 4 aMath Test Theta,Screening Period 4 aMath Percentile at School,Screening Period 4 aMath Percentile at LEA,Screening Period 4 aMath Percentile at Nation,Screening Period 4 aMath Risk Level,Screening Period 4 aMath Final Date,Growth Score from Fall to Screening Period 4,School Growth Percentile from Fall to Screening Period 4,District Growth Percentile from Fall to Screening Period 4,National Growth Percentile from Fall to Screening Period 4,Growth Percentile by Start Score from Fall to Screening Period 4,Growth Score from Winter to Screening Period 4,School Growth Percentile from Winter to Screening Period 4,District Growth Percentile from Winter to Screening Period 4,National Growth Percentile from Winter to Screening Period 4,Growth Percentile by Start Score from Winter to Screening Period 4,Growth Score from Spring to Screening Period 4,School Growth Percentile from Spring to Screening Period 4,District Growth Percentile from Spring to Screening Period 4,National Growth Percentile from Spring to Screening Period 4,Growth Percentile by Start Score from Spring to Screening Period 4,Screening Period 5 aMath Test Theta,Screening Period 5 aMath Percentile at School,Screening Period 5 aMath Percentile at LEA,Screening Period 5 aMath Percentile at Nation,Screening Period 5 aMath Risk Level,Screening Period 5 aMath Final Date,Growth Score from Fall to Screening Period 5,School Growth Percentile from Fall to Screening Period 5,District Growth Percentile from Fall to Screening Period 5,National Growth Percentile from Fall to Screening Period 5,Growth Percentile by Start Score from Fall to Screening Period 5,Growth Score from Winter to Screening Period 5,School Growth Percentile from Winter to Screening Period 5,District Growth Percentile from Winter to Screening Period 5,National Growth Percentile from Winter to Screening Period 5,Growth Percentile by Start Score from Winter to Screening Period 5,Growth Score from Spring to Screening Period 5,School Growth Percentile from Spring to Screening Period 5,District Growth Percentile from Spring to Screening Period 5,National Growth Percentile from Spring to Screening Period 5,Growth Percentile by Start Score from Spring to Screening Period 5,Growth Score from Screening Period 4 to Screening Period 5,School Growth Percentile from Screening Period 4 to Screening Period 5,District Growth Percentile from Screening Period 4 to Screening Period 5,National Growth Percentile from Screening Period 4 to Screening Period 5,Growth Percentile by Start Score from Screening Period 4 to Screening Period 5,Fall Quantile,Winter Quantile,Spring Quantile,Screening Period 4 Quantile,Screening Period 5 Quantile`

// fastbridgeFixture: aMath for 24 students in grades K-11 written as words
// (Kindergarten, One, ... Eleven), tested in the fall, most in the winter,
// some in the spring (an untested season is an empty block, skipped);
// school and district percentiles "N/A*" and now and then a national one.
func fastbridgeFixture(r *rand.Rand) (VendorFixture, error) {
	s := newSheet(fastbridgeAMathHeader)
	f := VendorFixture{Profile: "fastbridge", Kind: "assessments", Name: "FastBridge_aMath_2025-26.csv"}
	words := []string{"Kindergarten", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven"}
	risks := []string{"highRisk", "someRisk", "lowRisk"}
	for i := 0; i < 24; i++ {
		c := map[string]string{"Assessment": "aMath", "Assessment Language": "English", "State": "TX", "District": "Riverside Unified",
			"School": fixtureSchools[i%2].name, "Local ID": fmt.Sprintf("%05d", 61000+i), "State ID": fmt.Sprintf("%06d", 600000+i),
			"FAST ID": fmt.Sprintf("%06d", 400000+i), "First Name": "SYNTHETIC", "Last Name": fmt.Sprintf("STUDENT%d", i),
			"Gender": []string{"Female", "Male"}[i%2], "DOB": fmt.Sprintf("%d-03-1%d", 2019-i%12, i%10), "Race": "White", "Grade": words[i%12]}
		theta := 170 + 5*float64(i%12) + 10*r.Float64()
		for p, season := range []string{"Fall", "Winter", "Spring"} {
			f.Read++
			if p == 1 && i%6 == 5 || p == 2 && i%3 != 0 {
				f.Skipped++ // not tested this season
				continue
			}
			month, year := []int{9, 1, 4}[p], []int{2025, 2026, 2026}[p]
			theta += 3 + 4*r.Float64()
			c[season+" aMath Test Theta"] = fmt.Sprintf("%.5f", theta)
			c[season+" aMath Percentile at School"] = "N/A*"
			c[season+" aMath Percentile at LEA"] = "N/A*"
			c[season+" aMath Percentile at Nation"] = fmt.Sprintf("%.1f", float64(1+r.IntN(99)))
			if i == 4 && p == 0 {
				c[season+" aMath Percentile at Nation"] = "N/A*"
			}
			c[season+" aMath Risk Level"] = risks[r.IntN(3)]
			c[season+" aMath Final Date"] = fmt.Sprintf("%02d/%02d/%d", month, 5+r.IntN(20), year)
			f.Loaded++
		}
		s.add(c)
	}
	f.Data = s.bytes()
	return f, nil
}

// screenerRow writes a student's FastBridge aMath row for the demo: each
// season the student took MAP math in, a screening a few days later whose
// theta follows the RIT score (and so the tutoring effect). Its random
// stream is the student's own, apart from the district's.
func (g *gen) screenerRow(i int, id string, grade int, school string, has [3][2]bool, score, pct [3][2]int, test [3][2]int) {
	r := rand.New(rand.NewPCG(g.seed^0xfa57b1d6e, uint64(i)))
	words := []string{"Kindergarten", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight"}
	c := map[string]string{"Assessment": "aMath", "Assessment Language": "English", "State": "TX", "District": "Riverside Unified School District",
		"School": school, "Local ID": id, "Grade": words[grade], "First Name": "DEMO", "Last Name": "STUDENT"}
	any := false
	for win, season := range []string{"Fall", "Winter", "Spring"} {
		if !has[win][subjMath] {
			continue // not tested: an empty block
		}
		any = true
		day := calStart.AddDate(0, 0, g.w.cal.nthInstr(test[win][subjMath], 2+r.IntN(4)))
		p := min(max(pct[win][subjMath]+r.IntN(7)-3, 1), 99)
		risk := "lowRisk"
		switch {
		case p < 20:
			risk = "highRisk"
		case p < 40:
			risk = "someRisk"
		}
		c[season+" aMath Test Theta"] = fmt.Sprintf("%.5f", 0.9*float64(score[win][subjMath])+22+2*r.NormFloat64())
		c[season+" aMath Percentile at School"] = "N/A*"
		c[season+" aMath Percentile at LEA"] = "N/A*"
		c[season+" aMath Percentile at Nation"] = fmt.Sprintf("%.1f", float64(p))
		c[season+" aMath Risk Level"] = risk
		c[season+" aMath Final Date"] = day.Format("01/02/2006")
	}
	if !any {
		return
	}
	s := newSheet(fastbridgeAMathHeader)
	s.add(c)
	line := s.bytes()
	line = line[bytes.IndexByte(line, '\n')+1:] // the row, without the header
	g.screen.row(bytes.TrimRight(line, "\n"))
}

// ireadyMathHeader is Curriculum Associates' i-Ready Diagnostic results
// export for math, column for column.
const ireadyMathHeader = `Last Name,First Name,Student ID,Student Grade,Academic Year,School,Enrolled,District State ID,Account State ID,School State ID,Student State ID,User Name,Sex,Hispanic or Latino,Race,English Language Learner,Special Education,Economically Disadvantaged,Migrant,Class(es),Class Teacher(s),Report Group(s),Start Date,Completion Date,Norming Window,Baseline Diagnostic (Y/N),Most Recent Diagnostic YTD (Y/N),Duration (min),Rush Flag,Read Aloud,Overall Scale Score,Overall Placement,Overall Relative Placement,Percentile,Grouping,Quantile Measure,Quantile Range,Number and Operations Scale Score,Number and Operations Placement,Number and Operations Relative Placement,Algebra and Algebraic Thinking Scale Score,Algebra and Algebraic Thinking Placement,Algebra and Algebraic Thinking Relative Placement,Measurement and Data Scale Score,Measurement and Data Placement,Measurement and Data Relative Placement,Geometry Scale Score,Geometry Placement,Geometry Relative Placement,Diagnostic Gain,Annual Typical Growth Measure,Annual Stretch Growth Measure,Percent Progress to Annual Typical Growth (%),Percent Progress to Annual Stretch Growth (%),Mid On Grade Level Scale Score,Proficiency if Student Shows No Additional Growth,Projection if Student Achieves Typical Growth,Projection if Student Achieves Stretch Growth`

// ireadyFixture: i-Ready math for 24 students in grades K-5 at two schools
// (named, not numbered: the id comes from the config's schools list),
// tested in each norming window, a retest now and then (both kept).
func ireadyFixture(r *rand.Rand) (VendorFixture, error) {
	s := newSheet(ireadyMathHeader)
	s.eol = "\r\n"
	f := VendorFixture{Profile: "iready-diagnostic", Kind: "assessments", Name: "iready_diagnostic_math_2025-26.csv"}
	windows := []struct {
		name  string
		month time.Month
		year  int
	}{{"Fall (Beginning of Year - November 15)", time.September, 2025}, {"Winter (November 16 - March 1)", time.January, 2026}, {"Spring (March 2 - End of Year)", time.May, 2026}}
	places := []string{"3 or More Grade Levels Below", "2 Grade Levels Below", "1 Grade Level Below", "Early On Grade Level", "Mid or Above Grade Level"}
	for i := 0; i < 24; i++ {
		grade := i % 6
		for w, win := range windows {
			tests := 1
			if i%9 == 4 && w == 1 {
				tests = 2 // a retest in the winter
			}
			for k := 0; k < tests; k++ {
				day := time.Date(win.year, win.month, 8+r.IntN(12)+10*k, 0, 0, 0, 0, time.UTC)
				date := fmt.Sprintf("%d/%d/%d", day.Month(), day.Day(), day.Year())
				s.add(map[string]string{"Last Name": fmt.Sprintf("Synthetic%d", i), "First Name": "Student", "Student ID": fmt.Sprintf("%06d", 900100+i),
					"Student Grade": []string{"K", "1", "2", "3", "4", "5"}[grade], "Academic Year": "2025-2026", "School": fixtureSchools[i%2].name,
					"Enrolled": "Enrolled", "User Name": fmt.Sprintf("AUTO_%d", 1000+i), "Start Date": date, "Completion Date": date,
					"Norming Window": win.name, "Overall Scale Score": fmt.Sprint(350 + 20*grade + 15*w + r.IntN(40)),
					"Overall Relative Placement": places[r.IntN(len(places))], "Percentile": fmt.Sprint(1 + r.IntN(99)),
					"Quantile Measure": fmt.Sprintf("%dQ", 200+60*grade+r.IntN(100))})
				f.Read++
				f.Loaded++
			}
		}
	}
	f.Data = append([]byte("\xef\xbb\xbf"), s.bytes()...) // i-Ready writes a byte-order mark
	return f, nil
}
