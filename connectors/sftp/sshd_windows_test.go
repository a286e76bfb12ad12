package sftp

import "os/exec"

// There is no OpenSSH sshd at sshdPath on Windows, so the tests against a
// real server skip there; these keep the package's tests compiling.
func ownProcessGroup(*exec.Cmd) {}

func killProcessGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
