// UCRT entry points DuckDB's prebuilt library calls, for a msvcrt build.
#include <_mingw.h>

#ifndef _UCRT
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <wchar.h>

// UCRT's printf option bits (corecrt_stdio_config.h).
#define SHIM_STANDARD_SNPRINTF_BEHAVIOR 0x0002ULL

// vsnprintf_s: msvcrt has the same function under its old name.
int __cdecl __stdio_common_vsnprintf_s(unsigned __int64 options, char *buf, size_t size,
                                       size_t count, const char *format, _locale_t locale,
                                       va_list args) {
	(void)options;
	(void)locale;
	return _vsnprintf_s(buf, size, count, format, args);
}

// vswprintf and friends: msvcrt's _vsnwprintf returns -1 on truncation and
// may leave the buffer unterminated; the standard behaviour (C99) asked
// for by swprintf/vsnwprintf is a terminated buffer and the full length.
int __cdecl __stdio_common_vswprintf(unsigned __int64 options, wchar_t *buf, size_t len,
                                     const wchar_t *format, _locale_t locale, va_list args) {
	(void)locale;
	int standard = (options & SHIM_STANDARD_SNPRINTF_BEHAVIOR) != 0;
	va_list again;
	va_copy(again, args);
	int n;
	if (buf == NULL || len == 0) {
		n = _vscwprintf(format, again);
	} else {
		n = _vsnwprintf(buf, len, format, args);
		if (n < 0 || (size_t)n >= len) {
			buf[len - 1] = L'\0';
			n = standard ? _vscwprintf(format, again) : -1;
		}
	}
	va_end(again);
	return n;
}

// UCRT reaches the timezone globals through accessor functions imported
// from the DLL (hence the __imp_ pointers); msvcrt exports the variables.
static long *__cdecl shim_timezone(void) { return &_timezone; }
static char **__cdecl shim_tzname(void) { return _tzname; }
long *(__cdecl *__imp___timezone)(void) = shim_timezone;
char **(__cdecl *__imp___tzname)(void) = shim_tzname;
#endif
