#pragma once
// Force-included into every C++ source of the Windows build (see the
// top-level CMakeLists.txt). mingw-w64's <stdio.h> defines stdin, stdout and
// stderr as expressions ((__acrt_iob_func(0)) ...), which breaks every other
// use of those names: the generated CRI accessors stdin() and stdout(), and
// the stream members of our own structs. Here they become plain objects,
// defined once per source before anything else, so `stdout` still names the
// C stream and `request.stdout()` is a member call again.
#include <stdio.h>

#undef stdin
#undef stdout
#undef stderr
inline FILE* const stdin = __acrt_iob_func(0);
inline FILE* const stdout = __acrt_iob_func(1);
inline FILE* const stderr = __acrt_iob_func(2);
