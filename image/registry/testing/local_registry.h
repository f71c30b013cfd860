#pragma once
// LocalRegistry: a real Distribution registry (Debian's `docker-registry
// serve`) on 127.0.0.1 with a free port and its own temporary storage, for
// tests. Optionally protected by htpasswd Basic auth; the bcrypt hash is made
// in-process with libxcrypt's crypt_gensalt/crypt ($2b$), so no
// apache2-utils is needed. Start() returns once GET /v2/ answers; the
// destructor kills the process and removes the directory. Test-only.

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "image/digest.h"

namespace silo::image::registry::testing {

struct LocalRegistryOptions {
  std::string username = {};  // non-empty: require htpasswd auth
  std::string password = {};
  int port = 0;  // 0: a free port
};

class LocalRegistry {
 public:
  static absl::StatusOr<std::unique_ptr<LocalRegistry>> Start(LocalRegistryOptions options = {});
  ~LocalRegistry();

  std::string host() const;  // "127.0.0.1:PORT"
  const std::string& dir() const { return dir_; }
  // Where the registry keeps blob `d` (tests tamper with it).
  std::string BlobDataPath(const Digest& d) const;

  // skopeo copy [--all] oci:LAYOUT:TAG docker://HOST/NAME:TAG, with the
  // registry's credentials when it has some.
  absl::Status Push(const std::string& layout_dir, const std::string& tag, const std::string& name, bool all = false);

 private:
  LocalRegistry() = default;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  LocalRegistryOptions options_;
};

// Runs argv, waits, returns Internal with its output on a non-zero exit.
absl::Status RunCommand(const std::vector<std::string>& argv);

}  // namespace silo::image::registry::testing
