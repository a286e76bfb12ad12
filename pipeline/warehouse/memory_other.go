//go:build !linux

package warehouse

// machineMemory is not read here: DuckDB's own default applies.
func machineMemory() int64 { return 0 }
