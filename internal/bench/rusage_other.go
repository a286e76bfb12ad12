//go:build !unix

package bench

import "os"

// peakRSS is not known here: the report shows it as unknown.
func peakRSS(*os.ProcessState) int64 { return 0 }
