#include "runtime/linux/cgroup_counters.h"

#include <sys/stat.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::linux_backend {
namespace {

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// One number from a single-value file; nullopt if missing or unparsable
// ("max" in memory.max is nullopt too, i.e. no limit).
std::optional<uint64_t> ReadNumber(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return std::nullopt;
  uint64_t v = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &v)) return std::nullopt;
  return v;
}

std::string ReadOrEmpty(const std::string& path) {
  auto text = ReadFile(path);
  return text.ok() ? *text : std::string();
}

uint64_t Key(absl::string_view text, absl::string_view key) {
  uint64_t v = 0;
  FlatKeyedValue(text, key, &v);
  return v;
}

uint64_t Sub(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

}  // namespace

bool FlatKeyedValue(absl::string_view text, absl::string_view key, uint64_t* out) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, key) || line.empty() || line[0] != ' ') continue;
    return absl::SimpleAtoi(absl::StripAsciiWhitespace(line), out);
  }
  return false;
}

absl::StatusOr<GroupCounters> CgroupCounters::Read(const std::string& group) const {
  return mode_ == linux_backend::CgroupMode::kV2 ? ReadV2(group) : ReadV1(group);
}

std::string CgroupCounters::V1Dir(absl::string_view controller, const std::string& group) const {
  // Controllers may be co-mounted ("cpu,cpuacct"); try the usual spellings.
  for (const std::string& name :
       {std::string(controller), absl::StrCat("cpu,", controller), absl::StrCat(controller, ",cpu")}) {
    std::string dir = absl::StrCat(root_, "/", name, group);
    if (IsDir(dir)) return dir;
  }
  return "";
}

absl::StatusOr<GroupCounters> CgroupCounters::ReadV1(const std::string& group) const {
  GroupCounters c;
  bool found = false;
  if (std::string dir = V1Dir("cpuacct", group); !dir.empty()) {
    found = true;
    c.cpu_usage_ns = ReadNumber(dir + "/cpuacct.usage");
  }
  if (std::string dir = V1Dir("memory", group); !dir.empty()) {
    found = true;
    std::optional<uint64_t> usage = ReadNumber(dir + "/memory.usage_in_bytes");
    if (usage) {
      std::string stat = ReadOrEmpty(dir + "/memory.stat");
      MemoryCounters m;
      m.usage_bytes = *usage;
      m.working_set_bytes = Sub(*usage, Key(stat, "total_inactive_file"));
      m.rss_bytes = Key(stat, "total_rss");
      m.page_faults = Key(stat, "total_pgfault");
      m.major_page_faults = Key(stat, "total_pgmajfault");
      m.oom_events = Key(ReadOrEmpty(dir + "/memory.oom_control"), "oom_kill");
      // v1 reports "no limit" as a huge page-aligned number.
      uint64_t limit = Key(stat, "hierarchical_memory_limit");
      if (limit != 0 && limit < (uint64_t{1} << 62)) m.limit_bytes = limit;
      c.memory = m;
    }
  }
  if (std::string dir = V1Dir("pids", group); !dir.empty()) {
    found = true;
    c.process_count = ReadNumber(dir + "/pids.current");
  }
  if (!found) return absl::NotFoundError(absl::StrCat("cgroup ", group, ": not found under ", root_));
  return c;
}

absl::StatusOr<GroupCounters> CgroupCounters::ReadV2(const std::string& group) const {
  std::string dir = root_ + group;
  if (!IsDir(dir)) return absl::NotFoundError(absl::StrCat("cgroup ", dir, ": not found"));
  GroupCounters c;
  uint64_t usec = 0;
  if (FlatKeyedValue(ReadOrEmpty(dir + "/cpu.stat"), "usage_usec", &usec)) c.cpu_usage_ns = usec * 1000;
  if (std::optional<uint64_t> usage = ReadNumber(dir + "/memory.current")) {
    std::string stat = ReadOrEmpty(dir + "/memory.stat");
    MemoryCounters m;
    m.usage_bytes = *usage;
    m.working_set_bytes = Sub(*usage, Key(stat, "inactive_file"));
    m.rss_bytes = Key(stat, "anon");
    m.page_faults = Key(stat, "pgfault");
    m.major_page_faults = Key(stat, "pgmajfault");
    m.oom_events = Key(ReadOrEmpty(dir + "/memory.events"), "oom_kill");
    m.limit_bytes = ReadNumber(dir + "/memory.max").value_or(0);
    c.memory = m;
  }
  c.process_count = ReadNumber(dir + "/pids.current");
  return c;
}

}  // namespace silo::runtime::linux_backend
