#include "runtime/linux/oci_spec.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::linux_backend {
namespace {

using nlohmann::json;

// Every capability the kernel defines (linux/capability.h, up to 5.x).
constexpr const char* kKnownCapabilities[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",    "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",          "CAP_KILL",            "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",         "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",       "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",        "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",           "CAP_AUDIT_WRITE",     "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",       "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",      "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE"};

// "net_admin", "CAP_NET_ADMIN", "Net_Admin" -> "CAP_NET_ADMIN"; "ALL" stays.
std::string NormaliseCap(const std::string& name) {
  std::string upper = name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "ALL" || absl::StartsWith(upper, "CAP_")) return upper;
  return "CAP_" + upper;
}

bool IsKnownCap(const std::string& cap) {
  return std::find(std::begin(kKnownCapabilities), std::end(kKnownCapabilities), cap) !=
         std::end(kKnownCapabilities);
}

json MountJson(const OciMount& m) {
  json j = {{"destination", m.destination}, {"type", m.type}, {"source", m.source}};
  if (!m.options.empty()) j["options"] = m.options;
  return j;
}

}  // namespace

std::vector<OciNamespace> OciSpecInput::DefaultNamespaces() {
  return {{"pid", ""}, {"mount", ""}, {"ipc", ""}, {"uts", ""}, {"network", ""}};
}

const std::vector<std::string>& DefaultCapabilities() {
  static const auto* caps = new std::vector<std::string>{
      "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",     "CAP_FOWNER",           "CAP_MKNOD",
      "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",     "CAP_SETFCAP",          "CAP_SETPCAP",
      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
  return *caps;
}

const std::vector<std::string>& DefaultMaskedPaths() {
  static const auto* paths = new std::vector<std::string>{
      "/proc/acpi",        "/proc/asound",      "/proc/kcore", "/proc/keys",    "/proc/latency_stats",
      "/proc/timer_list",  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
      "/sys/devices/virtual/powercap"};
  return *paths;
}

const std::vector<std::string>& DefaultReadonlyPaths() {
  static const auto* paths =
      new std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  return *paths;
}

std::vector<std::string> CapabilityNames(uint64_t mask) {
  std::vector<std::string> names;
  // kKnownCapabilities is in the kernel's numbering order.
  for (size_t bit = 0; bit < std::size(kKnownCapabilities) && bit < 64; ++bit) {
    if (mask & (uint64_t{1} << bit)) names.push_back(kKnownCapabilities[bit]);
  }
  return names;
}

absl::StatusOr<std::vector<std::string>> BoundingCapabilities() {
  auto text = ReadFile("/proc/self/status");
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (!absl::ConsumePrefix(&line, "CapBnd:")) continue;
    uint64_t mask = 0;
    if (!absl::SimpleHexAtoi(absl::StripAsciiWhitespace(line), &mask)) {
      return absl::InternalError(absl::StrCat("unparsable CapBnd in /proc/self/status: ", line));
    }
    return CapabilityNames(mask);
  }
  return absl::InternalError("no CapBnd line in /proc/self/status");
}

std::vector<OciMount> DefaultMounts() {
  return {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      {"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}},
  };
}

absl::StatusOr<std::vector<std::string>> EffectiveCapabilities(const std::vector<std::string>& add,
                                                              const std::vector<std::string>& drop) {
  std::vector<std::string> caps = DefaultCapabilities();
  for (const std::string& raw : drop) {
    std::string cap = NormaliseCap(raw);
    if (cap == "ALL") {
      caps.clear();
      continue;
    }
    if (!IsKnownCap(cap)) return absl::InvalidArgumentError(absl::StrCat("unknown capability to drop: ", raw));
    caps.erase(std::remove(caps.begin(), caps.end(), cap), caps.end());
  }
  for (const std::string& raw : add) {
    std::string cap = NormaliseCap(raw);
    if (cap == "ALL") {
      caps.assign(std::begin(kKnownCapabilities), std::end(kKnownCapabilities));
      continue;
    }
    if (!IsKnownCap(cap)) return absl::InvalidArgumentError(absl::StrCat("unknown capability to add: ", raw));
    if (std::find(caps.begin(), caps.end(), cap) == caps.end()) caps.push_back(cap);
  }
  return caps;
}

absl::StatusOr<nlohmann::json> BuildOciProcess(const OciProcess& p, int oom_score_adj_floor) {
  if (p.args.empty()) return absl::InvalidArgumentError("OCI process needs at least one argument");
  if (p.cwd.empty() || p.cwd[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("OCI process cwd must be absolute: \"", p.cwd, "\""));
  }
  auto caps = EffectiveCapabilities(p.cap_add, p.cap_drop);
  if (!caps.ok()) return caps.status();
  json user = {{"uid", p.user.uid}, {"gid", p.user.gid}};
  if (!p.user.additional_gids.empty()) user["additionalGids"] = p.user.additional_gids;
  json j = {
      {"terminal", p.terminal},
      {"user", user},
      {"args", p.args},
      {"env", p.env},
      {"cwd", p.cwd},
      {"capabilities", {{"bounding", *caps}, {"effective", *caps}, {"permitted", *caps}}},
      {"noNewPrivileges", p.no_new_privileges},
  };
  if (p.oom_score_adj) j["oomScoreAdj"] = std::max(*p.oom_score_adj, oom_score_adj_floor);
  return j;
}

nlohmann::json BuildOciResources(const OciResources& r) {
  json resources = json::object();
  json cpu = json::object();
  if (r.cpu_shares) cpu["shares"] = *r.cpu_shares;
  if (r.cpu_quota) cpu["quota"] = *r.cpu_quota;
  if (r.cpu_period) cpu["period"] = *r.cpu_period;
  if (!r.cpuset_cpus.empty()) cpu["cpus"] = r.cpuset_cpus;
  if (!r.cpuset_mems.empty()) cpu["mems"] = r.cpuset_mems;
  if (!cpu.empty()) resources["cpu"] = cpu;
  json memory = json::object();
  if (r.memory_limit_bytes) memory["limit"] = *r.memory_limit_bytes;
  if (r.memory_swap_bytes) memory["swap"] = *r.memory_swap_bytes;
  if (!memory.empty()) resources["memory"] = memory;
  if (r.pids_limit) resources["pids"] = {{"limit", *r.pids_limit}};
  if (!r.hugepage_limits.empty()) {
    json limits = json::array();
    for (const auto& [size, limit] : r.hugepage_limits) limits.push_back({{"pageSize", size}, {"limit", limit}});
    resources["hugepageLimits"] = limits;
  }
  if (!r.unified.empty()) resources["unified"] = r.unified;
  return resources;
}

absl::StatusOr<nlohmann::json> BuildOciSpec(const OciSpecInput& in, int oom_score_adj_floor) {
  if (in.rootfs.empty() || in.rootfs[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("OCI rootfs must be an absolute path: \"", in.rootfs, "\""));
  }
  auto process = BuildOciProcess(in.process, oom_score_adj_floor);
  if (!process.ok()) return process.status();

  std::vector<OciMount> mounts = DefaultMounts();
  for (const OciMount& m : in.mounts) {
    if (m.destination.empty() || m.destination[0] != '/') {
      return absl::InvalidArgumentError(absl::StrCat("mount destination must be absolute: \"", m.destination, "\""));
    }
    mounts.erase(std::remove_if(mounts.begin(), mounts.end(),
                                [&m](const OciMount& d) { return d.destination == m.destination; }),
                 mounts.end());
    mounts.push_back(m);
  }
  json mounts_json = json::array();
  for (const OciMount& m : mounts) mounts_json.push_back(MountJson(m));

  json namespaces = json::array();
  for (const OciNamespace& ns : in.namespaces) {
    static constexpr const char* kTypes[] = {"pid", "mount", "ipc", "uts", "network", "cgroup", "user"};
    if (std::find(std::begin(kTypes), std::end(kTypes), ns.type) == std::end(kTypes)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown namespace type: ", ns.type));
    }
    json n = {{"type", ns.type}};
    if (!ns.path.empty()) n["path"] = ns.path;
    namespaces.push_back(n);
  }

  json resources = BuildOciResources(in.resources);
  // Privileged containers may use every device; others none beyond the
  // runtime's defaults (null, zero, tty, ...), which runc always allows.
  resources["devices"] = json::array({{{"allow", in.privileged}, {"access", "rwm"}}});
  for (const OciDevice& d : in.devices) {
    if (d.access.empty()) continue;
    resources["devices"].push_back({{"allow", true},
                                    {"type", std::string(1, d.type)},
                                    {"major", d.major},
                                    {"minor", d.minor},
                                    {"access", d.access}});
  }

  json linux_section = {{"namespaces", namespaces}, {"resources", resources}};
  if (!in.cgroups_path.empty()) linux_section["cgroupsPath"] = in.cgroups_path;
  if (!in.rootfs_propagation.empty()) linux_section["rootfsPropagation"] = in.rootfs_propagation;
  if (!in.devices.empty()) {
    json devices = json::array();
    for (const OciDevice& d : in.devices) {
      devices.push_back({{"path", d.path},
                         {"type", std::string(1, d.type)},
                         {"major", d.major},
                         {"minor", d.minor},
                         {"fileMode", d.file_mode},
                         {"uid", d.uid},
                         {"gid", d.gid}});
    }
    linux_section["devices"] = devices;
  }
  if (!in.sysctls.empty()) linux_section["sysctl"] = in.sysctls;
  if (!in.seccomp.is_null()) linux_section["seccomp"] = in.seccomp;
  if (in.privileged) {
    for (json& m : mounts_json) {
      if (m["destination"] == "/sys") {
        m["options"] = {"nosuid", "noexec", "nodev", "rw"};
      }
    }
  }
  if (in.masked_paths) {
    linux_section["maskedPaths"] = in.masked_path_list.empty() ? DefaultMaskedPaths() : in.masked_path_list;
    linux_section["readonlyPaths"] = in.readonly_path_list.empty() ? DefaultReadonlyPaths() : in.readonly_path_list;
  }

  json spec = {
      {"ociVersion", "1.0.2"},
      {"process", *process},
      {"root", {{"path", in.rootfs}, {"readonly", in.readonly_rootfs}}},
      {"mounts", mounts_json},
      {"linux", linux_section},
  };
  if (!in.hostname.empty()) spec["hostname"] = in.hostname;
  return spec;
}

absl::StatusOr<int> ReadOwnOomScoreAdj() {
  auto text = ReadFile("/proc/self/oom_score_adj");
  if (!text.ok()) return text.status();
  int value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value)) {
    return absl::InternalError(absl::StrCat("unparsable /proc/self/oom_score_adj: ", *text));
  }
  return value;
}

}  // namespace silo::runtime::linux_backend
