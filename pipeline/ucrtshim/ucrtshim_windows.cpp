// The one libstdc++ member DuckDB's prebuilt library names with UCRT's
// mbstate_t (struct _Mbstatet; msvcrt's is int): basic_streambuf<char>'s
// default seekpos, which duckdb_httplib's data_sink_streambuf inherits.
// Declaring the large mbstate_t before the headers and instantiating that
// one member gives the symbol that name; its body does not touch the state.
#include <_mingw.h>

#ifndef _UCRT
#define __LARGE_MBSTATE_T 1
#include <streambuf>

template std::basic_streambuf<char>::pos_type
std::basic_streambuf<char>::seekpos(pos_type, std::ios_base::openmode);
#endif
