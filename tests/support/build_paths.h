#pragma once
// Where this build's sources and binaries are, for tests. The values are
// compiled into one file that CMake generates per build directory
// (silo_build_paths), not into the tests' own objects: an absolute path on a
// compile command line keeps ccache from sharing that object between
// checkouts, so every test that named one was compiled again in each clone.

#include <string>

namespace silo::testing {

std::string SourceDir();   // the checkout
std::string BuiltSilod();  // this build's silod
std::string BuiltShim();   // this build's silo-shim

}  // namespace silo::testing
