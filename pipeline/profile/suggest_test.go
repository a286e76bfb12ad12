package profile

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/hitreflect/hitreflect/config"
)

func TestSuggestSessions(t *testing.T) {
	t.Parallel()
	headers := []string{"Learner ID", "Student Name", "Sess Date", "Start", "Mins", "Attended?", "Coach", "Site", "Content Area", "Format"}
	rows := [][]string{
		{"004512", "Maya T", "9/3/2025", "3:30 PM", "30", "Yes", "C12", "101", "Math", "In Person"},
		{"004513", "Ali R", "9/3/2025", "3:30 PM", "30", "Tutor Out", "C12", "101", "Reading", "Zoom"},
	}
	s := Suggest("sessions", "SparkLearning_Sessions_2025-09.csv", headers, rows)
	want := map[string]string{"student_id": "Learner ID", "session_date": "Sess Date", "start_time": "Start", "duration_minutes": "Mins",
		"status": "Attended?", "tutor_id": "Coach", "school_id": "Site", "subject": "Content Area", "modality": "Format"}
	for f, h := range want {
		if got := s.Profile.Columns[f].First(); got != h {
			t.Errorf("%s: %q, want %q", f, got, h)
		}
	}
	if len(s.Dropped) != 1 || s.Dropped[0][0] != "Student Name" {
		t.Errorf("dropped %v", s.Dropped)
	}
	// status_values replace the default codes: every code seen is written.
	if s.Profile.StatusValues["Tutor Out"] != "TODO" || s.Profile.StatusValues["Yes"] != "attended" || len(s.Profile.StatusValues) != 2 {
		t.Errorf("status values %v: want Yes attended and Tutor Out TODO", s.Profile.StatusValues)
	}
	// What it prints is a profile YAML reads back.
	var back struct {
		Profiles map[string]config.Profile `yaml:"profiles"`
	}
	text := s.YAML("spark", "test")
	if err := yaml.Unmarshal([]byte(text), &back); err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if got := back.Profiles["spark"].Columns["status"].First(); got != "Attended?" || back.Profiles["spark"].StatusValues["Tutor Out"] != "TODO" {
		t.Errorf("read back %+v from\n%s", back.Profiles["spark"], text)
	}
}

func TestSuggestWideBlocks(t *testing.T) {
	t.Parallel()
	headers := []string{"Student_ID", "September_SCORE", "September_PTILE", "September_ADMIN_DATE", "October_SCORE", "October_PTILE", "October_ADMIN_DATE", "Grade"}
	s := Suggest("assessments", "ISIP_Reading_2025.csv", headers, nil)
	if len(s.Profile.Wide) != 1 {
		t.Fatalf("wide %+v", s.Profile.Wide)
	}
	w := s.Profile.Wide[0]
	if w.Placeholder != "month" || strings.Join(w.Values, ",") != "September,October" || w.Sets != "" {
		t.Errorf("block %+v", w)
	}
	for f, h := range map[string]string{"scale_score": "{month}_SCORE", "percentile": "{month}_PTILE", "test_date": "{month}_ADMIN_DATE"} {
		if got := w.Columns[f].First(); got != h {
			t.Errorf("%s: %q, want %q", f, got, h)
		}
	}
	if s.Profile.Constants["subject"] != "ela" || s.Profile.Constants["assessment"] != "isip_reading" {
		t.Errorf("constants %v", s.Profile.Constants)
	}
}
