# Precompiled headers for every target of the project, and unity builds.
#
# Most of the compile time of a silo object is spent parsing the same few
# third-party headers again and again: the generated CRI messages (60,000
# lines), nlohmann-json, spdlog with fmt, Abseil's Status and strings, and in
# tests GoogleTest and GoogleMock. They are parsed once per build directory
# into two precompiled headers, one for the product and one for tests, that
# every target reuses (REUSE_FROM), so the cost is paid twice per build
# instead of once per object.
#
# The list holds only headers that change with a package upgrade or with
# api.proto, never a header of ours that changes with everyday work (that
# would rebuild everything on each edit). Every source still includes what it
# uses: the mingw-w64 cross build and SILO_PCH=OFF compile without this.
#
# ccache caches both the creation and the use of a precompiled header when
# it is told to be sloppy about the macros and timestamps they carry (see the
# launcher in the top-level CMakeLists.txt).

option(SILO_PCH "Precompile the heavy third-party and CRI headers" ON)
# Unity builds of the product's libraries: each object compiles a batch of
# sources, so the templates they all instantiate (fmt, nlohmann-json, Abseil)
# are compiled once per batch instead of once per source. Cold builds (the
# README commands) turn it on; while editing one file, configure with
# -DSILO_UNITY_BUILD=OFF so that a change recompiles only that file. Test
# targets never use it: their helpers would collide.
option(SILO_UNITY_BUILD "Compile the product's libraries in batches (cold builds)" OFF)

# GCC uses a precompiled header only where the macros its headers test are
# defined as they were when it was made (-pthread defines _REENTRANT, spdlog's
# targets define how fmt and spdlog are linked). So every object of the
# project compiles with them, not only the objects of targets that link
# Threads or spdlog, and a header that cannot be used is an error rather than
# a silent fall back to parsing everything.
if(SILO_PCH)
  add_compile_options(-pthread -Werror=invalid-pch)
  add_compile_definitions(FMT_SHARED SPDLOG_COMPILED_LIB SPDLOG_FMT_EXTERNAL SPDLOG_SHARED_LIB)
endif()

set(SILO_PCH_HEADERS
  <algorithm> <atomic> <chrono> <cstdint> <functional> <map> <memory> <mutex>
  <optional> <set> <string> <thread> <unordered_map> <utility> <vector>
  <absl/status/status.h> <absl/status/statusor.h> <absl/strings/str_cat.h>
  <absl/strings/str_join.h> <absl/strings/str_split.h> <absl/strings/string_view.h>
  <absl/synchronization/mutex.h> <absl/time/time.h>
  <nlohmann/json.hpp> <spdlog/spdlog.h>
  # Last: it shields the generated messages from <signal.h>'s macros itself.
  <cri/api/cri.h>)
set(SILO_TEST_PCH_HEADERS ${SILO_PCH_HEADERS} <gmock/gmock.h> <gtest/gtest.h>)

# Collects every build-system target defined in DIR and below.
function(silo_targets_below dir out)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    silo_targets_below("${sub}" sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()

function(silo_add_pch_anchor name headers libs)
  set(anchor "${CMAKE_BINARY_DIR}/generated/${name}_anchor.cc")
  file(WRITE "${anchor}" "// Compiles ${name}, the precompiled header other targets reuse.\n")
  add_library(${name} OBJECT "${anchor}")
  target_link_libraries(${name} PRIVATE ${libs})
  target_precompile_headers(${name} PRIVATE ${headers})
endfunction()

# Include this file before the subdirectories; call this once after them.
function(silo_apply_precompiled_headers)
  if(SILO_PCH)
    set(product_libs silo_cri_proto absl::status absl::statusor absl::strings absl::synchronization
      absl::time nlohmann_json::nlohmann_json spdlog::spdlog)
    silo_add_pch_anchor(silo_pch "${SILO_PCH_HEADERS}" "${product_libs}")
    silo_add_pch_anchor(silo_test_pch "${SILO_TEST_PCH_HEADERS}" "${product_libs};GTest::gmock;GTest::gtest")
  endif()

  silo_targets_below("${CMAKE_SOURCE_DIR}" targets)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(NOT type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$")
      continue()
    endif()
    # The generated CRI code builds with its own flags; the anchors are the PCH.
    if(target MATCHES "^(silo_cri_proto|silo_pch|silo_test_pch)$")
      continue()
    endif()
    get_target_property(libs ${target} LINK_LIBRARIES)
    if(libs MATCHES "GTest::")
      set(pch silo_test_pch)
    else()
      set(pch silo_pch)
      set_property(TARGET ${target} PROPERTY UNITY_BUILD ${SILO_UNITY_BUILD})
    endif()
    if(SILO_PCH)
      target_precompile_headers(${target} REUSE_FROM ${pch})
    endif()
  endforeach()
endfunction()
