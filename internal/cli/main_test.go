package cli

import (
	"context"
	"os"
	"testing"
)

// TestMain lets a test start this test binary as the hitreflect command in
// another process (HITREFLECT_TEST_AS_CLI=1), for what needs two processes:
// the warehouse lock and stopping on a signal.
func TestMain(m *testing.M) {
	if os.Getenv("HITREFLECT_TEST_AS_CLI") == "1" {
		if len(os.Args) > 1 && os.Args[1] == "hold-lock-for-test" {
			os.Exit(holdLockForTest(os.Args[2:]))
		}
		os.Exit(Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
