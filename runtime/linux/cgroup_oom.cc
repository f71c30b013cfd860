#include "runtime/linux/cgroup_oom.h"

#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::linux_backend {

absl::StatusOr<uint64_t> ParseOomKillCount(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (kv.size() != 2 || kv[0] != "oom_kill") continue;
    uint64_t value = 0;
    if (!absl::SimpleAtoi(kv[1], &value)) {
      return absl::InvalidArgumentError(absl::StrCat("unparsable oom_kill line: \"", line, "\""));
    }
    return value;
  }
  return 0;
}

absl::StatusOr<uint64_t> ReadOomKillCount(const std::string& cgroup_root, const std::string& cgroups_path) {
  const bool v2 = ::access((cgroup_root + "/cgroup.controllers").c_str(), F_OK) == 0;
  const std::string path = v2 ? absl::StrCat(cgroup_root, "/", cgroups_path, "/memory.events")
                              : absl::StrCat(cgroup_root, "/memory/", cgroups_path, "/memory.oom_control");
  SILO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto count = ParseOomKillCount(text);
  if (!count.ok()) return Annotate(count.status(), path);
  return *count;
}

}  // namespace silo::runtime::linux_backend
