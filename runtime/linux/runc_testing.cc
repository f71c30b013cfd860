#include "runtime/linux/runc_testing.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "runtime/base/ids.h"

namespace silo::runtime::linux_backend::testing {

absl::StatusOr<BusyboxBundle> BusyboxBundle::Create(OciSpecInput input) {
  char tmpl[] = "/tmp/silo-bundle-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return ErrnoToStatus(errno, "mkdtemp bundle");
  BusyboxBundle bundle(tmpl);
  std::string rootfs = bundle.path("rootfs");
  for (const char* d : {"/bin", "/proc", "/dev", "/sys", "/tmp", "/etc"}) {
    absl::Status s = MakeDirs(rootfs + d);
    if (!s.ok()) return s;
  }
  std::error_code ec;
  std::filesystem::copy_file("/bin/busybox", rootfs + "/bin/busybox", ec);
  if (ec) return absl::InternalError(absl::StrCat("copy /bin/busybox: ", ec.message()));
  for (const char* applet : {"sh", "echo", "sleep", "cat", "ls", "true", "false"}) {
    std::string link = absl::StrCat(rootfs, "/bin/", applet);
    if (::link((rootfs + "/bin/busybox").c_str(), link.c_str()) != 0) return ErrnoToStatus(errno, link);
  }
  input.rootfs = rootfs;
  auto floor = ReadOwnOomScoreAdj();
  if (!floor.ok()) return floor.status();
  auto spec = BuildOciSpec(input, *floor);
  if (!spec.ok()) return spec.status();
  absl::Status s = AtomicWriteFile(bundle.path("config.json"), spec->dump(2));
  if (!s.ok()) return s;
  return bundle;
}

BusyboxBundle::~BusyboxBundle() {
  if (dir_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string UniqueContainerId() { return "silo-test-" + RandomHex(6); }

bool CgroupExists(const std::string& relative) {
  std::error_code ec;
  return std::filesystem::exists("/sys/fs/cgroup/pids" + relative, ec) ||
         std::filesystem::exists("/sys/fs/cgroup/unified" + relative, ec) ||
         std::filesystem::exists("/sys/fs/cgroup" + relative + "/cgroup.procs", ec);
}

}  // namespace silo::runtime::linux_backend::testing
