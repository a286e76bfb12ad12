// Package ucrtshim lets the Windows build link DuckDB's prebuilt static
// library with Debian's mingw-w64. That library was compiled against the
// Universal C Runtime (UCRT, as msys2's ucrt64 does), and Debian's
// mingw-w64 targets the older msvcrt.dll, so five symbols are missing at
// link time: four UCRT entry points and one libstdc++ member whose mangled
// name carries UCRT's mbstate_t. This package defines them on top of
// msvcrt. With a UCRT toolchain the shims compile to nothing (the C and C++
// files test _UCRT), so the package is harmless there. It is empty on every
// other system. The packages that import DuckDB (pipeline/warehouse,
// pipeline/export) import it on Windows, so every binary and test that
// links DuckDB gets it.
package ucrtshim
