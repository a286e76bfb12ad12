package warehouse

// DuckDB's prebuilt Windows library needs a few UCRT symbols that Debian's
// mingw-w64 (msvcrt) lacks; see pipeline/ucrtshim.
import _ "github.com/hitreflect/hitreflect/pipeline/ucrtshim"
