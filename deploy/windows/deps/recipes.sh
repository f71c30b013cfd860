# How each library is built (sourced by build-deps.sh). A recipe runs with
# src (unpacked and patched Debian source), build (scratch dir), stage (its
# install dir) and build_prefix (everything built before it) set; it must install
# only static libraries, headers and CMake/pkg-config files into the stage.
# shellcheck shell=bash disable=SC2154

# Configure, build and install one CMake project, statically, for Windows 10+.
cmake_lib() { # source_dir [cmake args...]
  local dir="$1"; shift
  cmake -S "${dir}" -B "${build}" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="${toolchain}" -DSILO_WIN_DEPS_PREFIX="${build_prefix}" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="${stage}" -DCMAKE_INSTALL_LIBDIR=lib \
    -DCMAKE_CXX_STANDARD=17 -DCMAKE_CXX_STANDARD_REQUIRED=ON \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF -DCMAKE_POLICY_DEFAULT_CMP0077=NEW "$@"
  cmake --build "${build}" -j"${jobs}"
  cmake --install "${build}"
  stage_install
}

# Drops what a static prefix must not carry: DLLs, import libraries, docs and
# target executables, which some projects install regardless of options.
stage_install() {
  find "${stage}" \( -name '*.dll' -o -name '*.dll.a' -o -name '*.exe' \) -delete
  rm -rf "${stage}/share/doc" "${stage}/share/man" "${stage}/bin"
}

# zlib comes from Debian's libz-mingw-w64-dev when it is installed (its static
# libz.a, copied so the prefix, searched first, has no import library beside
# it); otherwise from that package's source.
zlib_source() {
  if [[ -f /usr/${triple}/lib/libz.a ]]; then echo system; else echo source; fi
}

build_absl() {
  cmake_lib "${src}" -DABSL_PROPAGATE_CXX_STD=ON -DABSL_ENABLE_INSTALL=ON -DABSL_BUILD_TESTING=OFF
}

build_fmt() {
  cmake_lib "${src}" -DFMT_DOC=OFF -DFMT_TEST=OFF -DFMT_INSTALL=ON
}

build_spdlog() {
  cmake_lib "${src}" -DSPDLOG_FMT_EXTERNAL=ON -DSPDLOG_BUILD_EXAMPLE=OFF -DSPDLOG_BUILD_TESTS=OFF \
    -DSPDLOG_BUILD_BENCH=OFF -DSPDLOG_INSTALL=ON
}

build_yaml_cpp() {
  cmake_lib "${src}" -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF -DYAML_CPP_BUILD_CONTRIB=OFF \
    -DYAML_BUILD_SHARED_LIBS=OFF -DYAML_CPP_INSTALL=ON
}

build_nlohmann_json() {
  cmake_lib "${src}" -DJSON_BuildTests=OFF -DJSON_Install=ON -DJSON_MultipleHeaders=ON
}

# Header-only Boost (Beast, Asio and what they include) from the installed
# libboost-dev; CMake's FindBoost finds it by boost/version.hpp.
build_boost() {
  mkdir -p "${stage}/include"
  cp -a /usr/include/boost "${stage}/include/"
}

build_protobuf() {
  cmake_lib "${src}" -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF \
    -Dprotobuf_BUILD_LIBPROTOC=OFF -Dprotobuf_BUILD_SHARED_LIBS=OFF -Dprotobuf_WITH_ZLIB=OFF \
    -Dprotobuf_MSVC_STATIC_RUNTIME=OFF -Dprotobuf_BUILD_EXAMPLES=OFF
}

build_c_ares() {
  cmake_lib "${src}" -DCARES_STATIC=ON -DCARES_SHARED=OFF -DCARES_BUILD_TOOLS=OFF -DCARES_BUILD_TESTS=OFF \
    -DCARES_INSTALL=ON
}

# Debian's source drops the generated Unicode tables: regenerate them as its
# build does (REBUILD_TABLES), from the unicode-data package.
build_re2() {
  [[ -f /usr/share/unicode/UnicodeData.txt ]] || { echo "re2 needs the unicode-data package" >&2; return 1; }
  make -C "${src}" REBUILD_TABLES=1 re2/perl_groups.cc re2/unicode_casefold.cc re2/unicode_groups.cc
  cmake_lib "${src}" -DRE2_BUILD_TESTING=OFF
}

build_zlib() {
  if [[ $(zlib_source) == system ]]; then
    mkdir -p "${stage}/lib/pkgconfig" "${stage}/include"
    cp /usr/${triple}/lib/libz.a "${stage}/lib/"
    cp /usr/${triple}/include/zlib.h /usr/${triple}/include/zconf.h "${stage}/include/"
    sed "s#^prefix=.*#prefix=${stage}#" /usr/${triple}/lib/pkgconfig/zlib.pc >"${stage}/lib/pkgconfig/zlib.pc"
  else
    cmake_lib "${src}"
    rm -f "${stage}/lib/libzlib.a"
    [[ -f ${stage}/lib/libzlibstatic.a ]] && mv "${stage}/lib/libzlibstatic.a" "${stage}/lib/libz.a"
  fi
}

# OpenSSL 3.0 has no no-docs option: building only build_libs and install_dev
# leaves the docs and the openssl executable out. The prefix is "/" and the
# stage a DESTDIR, so no work path reaches the compile lines (ccache hits
# across keys) or the library's strings.
build_openssl() {
  mkdir -p "${build}"
  (
    cd "${build}"
    "${src}/Configure" mingw64 no-shared no-tests no-module no-legacy no-engine no-dso \
      --prefix=/ --libdir=lib --openssldir="C:/ProgramData/silo/ssl" \
      CC="ccache ${triple}-gcc-posix" AR="${triple}-ar" RANLIB="${triple}-ranlib" RC="${triple}-windres" \
      -D_WIN32_WINNT=0x0A00
    make -j"${jobs}" build_libs
    make install_dev DESTDIR="${stage}"
  )
  sed -i "s#^prefix=.*#prefix=${stage}#" "${stage}"/lib/pkgconfig/*.pc
  stage_install
}

# Libraries only (grpc, grpc++, grpc++_reflection, gpr, address_sorting,
# upb); protoc and grpc_cpp_plugin are Debian's host executables. Codegen
# stays on because grpc++_reflection is built from generated sources; their
# protoc import path (the well-known .proto files) would come from the
# protoc library, which is not built, so it is named.
build_grpc() {
  local plugin plugins=()
  for plugin in CPP CSHARP NODE OBJECTIVE_C PHP PYTHON RUBY; do plugins+=("-DgRPC_BUILD_GRPC_${plugin}_PLUGIN=OFF"); done
  cmake_lib "${src}" -DgRPC_INSTALL=ON -DgRPC_BUILD_TESTS=OFF -DgRPC_BUILD_CODEGEN=ON -DgRPC_BUILD_CSHARP_EXT=OFF \
    "${plugins[@]}" -DgRPC_ABSL_PROVIDER=package -DgRPC_CARES_PROVIDER=package -DgRPC_PROTOBUF_PROVIDER=package \
    -DgRPC_PROTOBUF_PACKAGE_TYPE=CONFIG -DgRPC_RE2_PROVIDER=package -DgRPC_SSL_PROVIDER=package \
    -DgRPC_ZLIB_PROVIDER=package -DgRPC_BENCHMARK_PROVIDER=none \
    -DgRPC_BUILD_UNSECURE=OFF -DPROTOBUF_INCLUDE_DIRS="${build_prefix}/include" \
    -D_gRPC_PROTOBUF_PROTOC_EXECUTABLE=/usr/bin/protoc -D_gRPC_CPP_PLUGIN=/usr/bin/grpc_cpp_plugin
  rm -f "${stage}"/lib/pkgconfig/grpc*_unsecure.pc
}

# The amalgamation is generated by the source tree's own build (host compiler
# and tclsh), then compiled for the target.
build_sqlite() {
  mkdir -p "${build}" "${stage}/include" "${stage}/lib/pkgconfig"
  (cd "${build}" && "${src}/configure" --disable-tcl --disable-readline >/dev/null && make sqlite3.c)
  ccache "${triple}-gcc-posix" -O2 -D_WIN32_WINNT=0x0A00 -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION \
    -c "${build}/sqlite3.c" -o "${build}/sqlite3.o"
  "${triple}-ar" rcs "${stage}/lib/libsqlite3.a" "${build}/sqlite3.o"
  cp "${build}/sqlite3.h" "${src}/src/sqlite3ext.h" "${stage}/include/"
  printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\n\nName: SQLite\nDescription: SQL database engine\nVersion: %s\nLibs: -L${libdir} -lsqlite3\nCflags: -I${includedir}\n' \
    "${stage}" "$(cat "${src}/VERSION")" >"${stage}/lib/pkgconfig/sqlite3.pc"
}

build_zstd() {
  cmake_lib "${src}/build/cmake" -DZSTD_BUILD_PROGRAMS=OFF -DZSTD_BUILD_SHARED=OFF -DZSTD_BUILD_STATIC=ON \
    -DZSTD_BUILD_TESTS=OFF -DZSTD_BUILD_CONTRIB=OFF -DZSTD_LEGACY_SUPPORT=OFF -DZSTD_MULTITHREAD_SUPPORT=ON
}

# HTTP(S) only, TLS through Windows' Schannel (no OpenSSL in curl).
build_curl() {
  cmake_lib "${src}" -DBUILD_CURL_EXE=OFF -DCURL_USE_SCHANNEL=ON -DCURL_USE_OPENSSL=OFF -DCURL_USE_LIBSSH2=OFF \
    -DCURL_USE_LIBSSH=OFF -DCURL_USE_GSSAPI=OFF -DUSE_LIBIDN2=OFF -DUSE_NGHTTP2=OFF -DCURL_ZLIB=ON \
    -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON -DHTTP_ONLY=ON \
    -DENABLE_MANUAL=OFF -DBUILD_LIBCURL_DOCS=OFF -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none
}

build_civetweb() {
  cmake_lib "${src}" -DCIVETWEB_BUILD_TESTING=OFF -DCIVETWEB_ENABLE_CXX=ON -DCIVETWEB_ENABLE_SSL=OFF \
    -DCIVETWEB_ENABLE_SERVER_EXECUTABLE=OFF -DCIVETWEB_INSTALL_EXECUTABLE=OFF -DCIVETWEB_ENABLE_IPV6=ON \
    -DCIVETWEB_ENABLE_WEBSOCKETS=OFF -DCIVETWEB_ENABLE_ASAN=OFF -DCIVETWEB_ENABLE_LUA=OFF \
    -DCIVETWEB_ENABLE_DUKTAPE=OFF -DCIVETWEB_ENABLE_ZLIB=OFF -DCIVETWEB_DISABLE_CGI=ON
}

build_prometheus_cpp() {
  cmake_lib "${src}" -DENABLE_PUSH=OFF -DENABLE_PULL=ON -DENABLE_COMPRESSION=OFF -DENABLE_TESTING=OFF \
    -DUSE_THIRDPARTY_LIBRARIES=OFF -DGENERATE_PKGCONFIG=OFF -DOVERRIDE_CXX_STANDARD_FLAGS=OFF
}

# Reads tar with gzip (zlib) and zstd; nothing else. Consumers define
# LIBARCHIVE_STATIC. 3.6 always builds the DLL too: only the static one stays.
# Its ZLIB_WINAPI probe runs a test program, which CMake 3.25 crashes on in a
# cross build: Debian's zlib is built without ZLIB_WINAPI, so the answer is
# given, with the library it holds for (or the probe runs again).
build_libarchive() {
  cmake_lib "${src}" -DZLIB_WINAPI=OFF -DZLIB_WINAPI_WITH_LIB="${build_prefix}/lib/libz.a" -DENABLE_TAR=OFF -DENABLE_CPIO=OFF -DENABLE_CAT=OFF -DENABLE_TEST=OFF -DENABLE_INSTALL=ON \
    -DENABLE_OPENSSL=OFF -DENABLE_MBEDTLS=OFF -DENABLE_NETTLE=OFF -DENABLE_LIBB2=OFF -DENABLE_LZ4=OFF \
    -DENABLE_LZO=OFF -DENABLE_LZMA=OFF -DENABLE_ZSTD=ON -DENABLE_ZLIB=ON -DENABLE_BZip2=OFF -DENABLE_LIBXML2=OFF \
    -DENABLE_EXPAT=OFF -DENABLE_PCREPOSIX=OFF -DENABLE_LibGCC=OFF -DENABLE_CNG=ON -DENABLE_ICONV=OFF \
    -DENABLE_ACL=OFF -DENABLE_XATTR=OFF -DENABLE_WERROR=OFF
  mv "${stage}/lib/libarchive_static.a" "${stage}/lib/libarchive.a"
}

build_googletest() {
  cmake_lib "${src}" -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON
}
