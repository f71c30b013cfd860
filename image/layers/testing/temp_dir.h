#pragma once
// Test-only: a mkdtemp directory under /tmp, removed with everything in it.

#include <cstdlib>
#include <string>

#include "image/layers/safe_path.h"

namespace silo::image::layers::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/silo-layers-XXXXXX";
    path_ = ::mkdtemp(tmpl) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    if (!path_.empty()) (void)RemoveTree(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace silo::image::layers::testing
