#include "tests/bench/compare/process_rss.h"

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/base/file_util.h"

namespace silo::bench {

long RssKiB(int pid) {
  auto status = ReadFile(absl::StrCat("/proc/", pid, "/status"));
  if (!status.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(*status, '\n')) {
    if (!absl::ConsumePrefix(&line, "VmRSS:")) continue;
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, " kB");
    long kib = -1;
    return absl::SimpleAtoi(line, &kib) ? kib : -1;
  }
  return -1;  // kernel threads and zombies have no VmRSS
}

std::vector<int> FindProcesses(const std::string& name, const std::string& must_contain) {
  std::vector<int> pids;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e.path().filename().string(), &pid)) continue;
    auto cmdline = ReadFile(e.path().string() + "/cmdline");
    if (!cmdline.ok() || cmdline->empty()) continue;
    std::vector<std::string> argv = absl::StrSplit(*cmdline, '\0');
    if (std::filesystem::path(argv[0]).filename() != name) continue;
    if (absl::StrContains(*cmdline, must_contain)) pids.push_back(pid);
  }
  return pids;
}

}  // namespace silo::bench
