#pragma once
// PrivateDirOs on a real volume (private_dir.h): attributes and owner of the
// path itself (FILE_FLAG_OPEN_REPARSE_POINT, so a junction is never
// followed), CreateDirectoryW with the private descriptor, and owner + DACL
// set through a handle to the folder, and the entries below reset to what
// they inherit, each through a handle to itself. Win32 only; stateless, thread-safe.

#include "runtime/base/windows/private_dir.h"

namespace silo::win32 {

class Win32PrivateDirOs final : public PrivateDirOs {
 public:
  uint32_t Inspect(const std::string& path, DirFacts* facts) override;
  uint32_t CreateSecured(const std::string& path) override;
  uint32_t Resecure(const std::string& path) override;
  uint32_t ListChildren(const std::string& path, std::vector<std::string>* names) override;
  uint32_t ResetToInherited(const std::string& path, bool* descend) override;
  std::string ProcessUserSid() override;
};

}  // namespace silo::win32
