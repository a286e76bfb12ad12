package private

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// restrictACL gives dir a protected access list (nothing inherited from its
// parent) that grants full control to the user running hitreflect, SYSTEM
// and the Administrators group (the counterparts of a Unix owner and root),
// inherited by every file and folder in it. Windows applies it to what dir
// already holds as well.
func restrictACL(dir string) error {
	sddl, err := ownerOnlySDDL()
	if err != nil {
		return err
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return fmt.Errorf("build the access list: %w", err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("build the access list: %w", err)
	}
	return windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION,
		nil, nil, dacl, nil)
}

// ownerOnlySDDL is the access list in SDDL: protected (P), and one
// full-access (FA) entry each, inherited by files (OI) and folders (CI).
func ownerOnlySDDL() (string, error) {
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("find the current user: %w", err)
	}
	return "D:P(A;OICI;FA;;;" + user.User.Sid.String() + ")(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", nil
}
