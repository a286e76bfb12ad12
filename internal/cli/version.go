package cli

import (
	"fmt"
	"runtime"

	"github.com/duckdb/duckdb-go/v2/mapping"
)

// versionTemplate is what --version prints: hitreflect's version (cobra
// fills in the root command's Version), then the embedded DuckDB's, which
// decides the warehouse file format an analyst's own DuckDB must read, the
// Go release and the platform, e.g.
// "hitreflect 0.1.0 (DuckDB v1.5.6, go1.26.8, linux/amd64)". DuckDB's
// version comes from the linked library, without opening a database.
func versionTemplate() string {
	return fmt.Sprintf("hitreflect {{.Version}} (DuckDB %s, %s, %s/%s)\n",
		mapping.LibraryVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
