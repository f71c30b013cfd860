# Cross-compile for x86_64 Windows with Debian's mingw-w64 (g++-mingw-w64-x86-64).
# The -posix compilers are required: the win32-thread variants of GCC 12 have
# no std::thread/std::mutex, which the HCS event dispatch uses.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(SILO_MINGW_TRIPLE x86_64-w64-mingw32)

find_program(CMAKE_C_COMPILER NAMES ${SILO_MINGW_TRIPLE}-gcc-posix REQUIRED)
find_program(CMAKE_CXX_COMPILER NAMES ${SILO_MINGW_TRIPLE}-g++-posix REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${SILO_MINGW_TRIPLE}-windres)

# Windows 10 / Server 2019 and later (mingw-w64's default, stated so the
# libraries and silod agree on the API level they compile against).
set(CMAKE_C_FLAGS_INIT "-D_WIN32_WINNT=0x0A00")
set(CMAKE_CXX_FLAGS_INIT "-D_WIN32_WINNT=0x0A00")

# SILO_WIN_DEPS_PREFIX (a -D option or the environment): the libraries
# cross-built by deploy/windows/deps/build-deps.sh (its --print-prefix). It is
# searched before the mingw-w64 sysroot, whose zlib import library would
# otherwise win over the prefix's static libz.a.
if(NOT SILO_WIN_DEPS_PREFIX AND DEFINED ENV{SILO_WIN_DEPS_PREFIX})
  set(SILO_WIN_DEPS_PREFIX "$ENV{SILO_WIN_DEPS_PREFIX}")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SILO_WIN_DEPS_PREFIX)
set(CMAKE_FIND_ROOT_PATH ${SILO_WIN_DEPS_PREFIX} /usr/${SILO_MINGW_TRIPLE})
if(SILO_WIN_DEPS_PREFIX)
  # The prefix is static only: have the Find modules pick static archives and
  # add the system libraries those need (ws2_32 and crypt32 for OpenSSL).
  set(OPENSSL_USE_STATIC_LIBS TRUE)
  set(ZLIB_USE_STATIC_LIBS TRUE)
  set(Protobuf_USE_STATIC_LIBS TRUE)
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
