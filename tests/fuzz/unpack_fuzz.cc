// Fuzz target: layer unpacking of hostile tars (plain or gzip). Each input is
// unpacked into a fresh directory inside a private parent; afterwards the
// parent must hold nothing but that directory (nothing escaped), and a
// Windows import plan of the same bytes must not crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "image/layers/unpack.h"
#include "image/layers/windows_layer.h"

namespace layers = silo::image::layers;
namespace fs = std::filesystem;

// The private parent directory, removed when the process exits.
struct Parent {
  Parent() {
    char tmpl[] = "/tmp/silo-unpack-fuzz-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    path = tmpl;
  }
  ~Parent() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Parent p;
  const std::string& parent = p.path;
  const std::string blob(reinterpret_cast<const char*>(data), size);
  const std::string target = parent + "/snap";
  {
    std::istringstream in(blob);
    layers::IstreamSource src(in);
    layers::UnpackOptions o;
    o.preserve_ownership = false;
    o.max_total_bytes = 16 << 20;
    o.max_entry_bytes = 8 << 20;
    (void)layers::UnpackToSnapshot(src, target, o);
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    if (e.path().filename() != "snap") std::abort();  // something was written outside the target
  }
  fs::remove_all(target, ec);
  {
    std::istringstream in(blob);
    layers::IstreamSource src(in);
    (void)layers::PlanWindowsLayer(src);
  }
  return 0;
}
