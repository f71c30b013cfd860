#pragma once
// A private directory under /tmp for one test, removed with its content.

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace silo::runtime::store {

class TempDirForTest {
 public:
  TempDirForTest() {
    char tmpl[] = "/tmp/silo-store-test-XXXXXX";
    char* made = mkdtemp(tmpl);
    path_ = made != nullptr ? made : "";
  }
  ~TempDirForTest() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDirForTest(const TempDirForTest&) = delete;
  TempDirForTest& operator=(const TempDirForTest&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace silo::runtime::store
