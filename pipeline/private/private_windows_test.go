package private

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

// A folder made private, and a file created in it afterwards, carry only
// the owner's, SYSTEM's and the Administrators' entries, nothing inherited.
func TestDirIsOwnerOnly(t *testing.T) {
	// Wine accepts an access list but keeps none (it answers from the Unix
	// mode), so there is nothing to check under it.
	if windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil {
		t.Skip("under Wine, which does not store access lists")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Dir(dir); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "w.duckdb")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, file} {
		sd, err := windows.GetNamedSecurityInfo(p, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		sddl := sd.String()
		control, _, _ := sd.Control()
		if p == dir && control&windows.SE_DACL_PROTECTED == 0 {
			t.Errorf("%s: access list inherits from the parent: %s", p, sddl)
		}
		entries := strings.Count(sddl, "(")
		for _, sid := range []string{user.User.Sid.String(), ";SY)", ";BA)"} {
			if !strings.Contains(sddl, sid) {
				t.Errorf("%s: no entry for %s in %s", p, sid, sddl)
			}
		}
		if entries != 3 {
			t.Errorf("%s: %d entries, want 3 (owner, SYSTEM, Administrators): %s", p, entries, sddl)
		}
	}
}
