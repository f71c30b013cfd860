#pragma once
// Test helper: a mkdtemp directory under /tmp, removed with its contents.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace silo::runtime::stats::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/silo-stats-XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

  // Writes `text` to path()/rel, creating parent directories.
  void Write(const std::string& rel, const std::string& text) const {
    std::filesystem::path p = std::filesystem::path(path_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

 private:
  std::string path_;
};

}  // namespace silo::runtime::stats::testing
