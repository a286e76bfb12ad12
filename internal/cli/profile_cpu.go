package cli

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// startCPUProfile writes a CPU profile of the command to the file named by
// HITREFLECT_CPUPROFILE, for `go tool pprof` (docs/performance.md: profile
// before optimising). It returns the function that ends the profile.
func startCPUProfile(stderr io.Writer) func() {
	path := os.Getenv("HITREFLECT_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "hitreflect: HITREFLECT_CPUPROFILE: %v (no profile written)\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		fmt.Fprintf(stderr, "hitreflect: HITREFLECT_CPUPROFILE: %v (no profile written)\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
