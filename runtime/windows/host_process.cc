#include "runtime/windows/host_process.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "runtime/windows/command_line.h"

namespace silo::runtime::windows {
namespace {

constexpr char kDefaultRootfsLocation[] = "C:\\hpc";

absl::Status Bad(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("HostProcess container: ", field, ": ", why));
}

std::string WithoutTrailingSlashes(std::string path) {
  while (path.size() > 3 && (path.back() == '\\' || path.back() == '/')) path.pop_back();
  return path;
}

// hcsshim substitutes the mount point without its trailing backslash, so
// "%CONTAINER_SANDBOX_MOUNT_POINT%\x" gives one separator. Returns whether
// the text named the mount point at all.
bool Expand(const std::string& text, const std::string& mount_point, std::string* out) {
  std::string root = mount_point;
  while (!root.empty() && root.back() == '\\') root.pop_back();
  *out = absl::StrReplaceAll(text, {{"%CONTAINER_SANDBOX_MOUNT_POINT%", root},
                                    {"$env:CONTAINER_SANDBOX_MOUNT_POINT", root}});
  return *out != text;
}

std::string Expand(const std::string& text, const std::string& mount_point) {
  std::string out;
  Expand(text, mount_point, &out);
  return out;
}

// Joins a container-side directory below the mount point the way hcsshim's
// filepath.Join(root, removeDriveLetter(dir)) does: the drive letter is
// dropped, separators normalised, "." removed and the result has no trailing
// backslash. Unlike a plain lexical join, ".." stops at the mount point: the
// path is relative to the container's volume, so it cannot name the host
// outside it.
std::string JoinUnderMountPoint(const std::string& mount_point, const std::string& dir) {
  std::string rest = dir;
  if (rest.size() >= 2 && rest[1] == ':') rest = rest.substr(2);
  std::replace(rest.begin(), rest.end(), '/', '\\');
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(rest, '\\', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  std::string out = mount_point;
  while (out.size() > 3 && out.back() == '\\') out.pop_back();
  for (const std::string& part : parts) {
    if (out.back() != '\\') out.push_back('\\');
    out += part;
  }
  return out;
}

bool IsAbsoluteWindowsPath(const std::string& p) {
  return p.size() >= 3 && absl::ascii_isalpha(static_cast<unsigned char>(p[0])) && p[1] == ':' &&
         (p[2] == '\\' || p[2] == '/');
}

absl::Status ResolveUser(const HostProcessInput& in, HostProcessPlan* plan) {
  auto inherit = in.annotations.find(kHostProcessInheritUserAnnotation);
  if (inherit != in.annotations.end() && inherit->second == "true") {
    plan->logon = LogonKind::kInherit;
    return absl::OkStatus();
  }
  if (in.user.empty()) {
    // hcsshim refuses an empty user rather than falling back to its own
    // token: silod runs as SYSTEM, and a pod must not get that by omission.
    return Bad("run_as_username",
               absl::StrCat("is empty; set windows.security_context.run_as_username (e.g. NT AUTHORITY\\SYSTEM) "
                            "or the ",
                            kHostProcessInheritUserAnnotation, "=true annotation to run as silod's own account"));
  }
  const std::string lower = absl::AsciiStrToLower(in.user);
  for (const char* account : {"nt authority\\system", "nt authority\\local service", "nt authority\\network service"}) {
    if (lower == account) {
      plan->logon = LogonKind::kServiceAccount;
      plan->account = in.user;
      return absl::OkStatus();
    }
  }
  if (in.user.find('\\') != std::string::npos || in.user.find('@') != std::string::npos) {
    return Bad("run_as_username",
               absl::StrCat("\"", in.user,
                            "\" is neither NT AUTHORITY\\SYSTEM, LOCAL SERVICE, NETWORK SERVICE nor a local group name"));
  }
  plan->logon = LogonKind::kLocalGroup;
  plan->account = in.user;
  return absl::OkStatus();
}

absl::Status ResolveCpu(const HostProcessInput& in, HostProcessPlan* plan) {
  if (in.cpu_count < 0 || in.cpu_maximum < 0 || in.cpu_maximum > 10000 || in.cpu_shares < 0 ||
      in.cpu_shares > 10000) {
    return Bad("resources", "cpu_count must be >= 0, cpu_maximum and cpu_shares within 0..10000");
  }
  const int host_cpus = std::max(1, in.host_cpus);
  if (in.cpu_count > 0) {
    const int64_t count = std::min<int64_t>(in.cpu_count, host_cpus);
    plan->cpu_rate = static_cast<uint32_t>(std::max<int64_t>(1, count * 10000 / host_cpus));
  } else if (in.cpu_maximum > 0) {
    plan->cpu_rate = static_cast<uint32_t>(in.cpu_maximum);
  } else if (in.cpu_shares > 0) {
    plan->cpu_weight = static_cast<uint32_t>(1 + 8 * in.cpu_shares / 10000);
  }
  if (plan->cpu_rate == 10000) plan->cpu_rate = 0;  // all of the host: no cap at all
  return absl::OkStatus();
}

}  // namespace

std::string HostProcessJobName(absl::string_view container_id) {
  return absl::StrCat(kHostProcessJobPrefix, container_id);
}

absl::Status ValidateHostProcessPod(bool sandbox_host_process, bool container_host_process) {
  if (sandbox_host_process == container_host_process) return absl::OkStatus();
  return absl::InvalidArgumentError(
      sandbox_host_process
          ? "a HostProcess pod can only hold HostProcess containers (set windows.security_context.host_process)"
          : "a HostProcess container can only run in a HostProcess pod");
}

absl::StatusOr<HostProcessPlan> PlanHostProcess(const HostProcessInput& in) {
  if (in.container_id.empty()) return Bad("container_id", "is empty");
  if (in.args.empty() || in.args[0].empty()) return Bad("command", "no program to run");
  if (in.memory_limit_bytes < 0) return Bad("memory_limit_in_bytes", "is negative");
  HostProcessPlan plan;
  plan.job_name = HostProcessJobName(in.container_id);
  plan.create_silo = in.bind_filter_available;
  std::string location = kDefaultRootfsLocation;
  if (auto it = in.annotations.find(kHostProcessRootfsAnnotation); it != in.annotations.end()) {
    if (!IsAbsoluteWindowsPath(it->second)) {
      return Bad(kHostProcessRootfsAnnotation, absl::StrCat("\"", it->second, "\" is not an absolute path"));
    }
    location = it->second;
  }
  location = WithoutTrailingSlashes(location);
  plan.mount_point = in.bind_filter_available ? location : absl::StrCat(location, "\\", in.container_id);

  std::vector<std::string> argv;
  for (const auto& a : in.args) argv.push_back(Expand(a, plan.mount_point));
  absl::StatusOr<std::string> cmd = JoinCommandLine(argv);
  if (!cmd.ok()) return Bad("command", std::string(cmd.status().message()));
  plan.command_line = *cmd;
  if (in.working_directory.empty()) {
    plan.working_directory = plan.mount_point;
  } else {
    const bool names_mount_point = Expand(in.working_directory, plan.mount_point, &plan.working_directory);
    // Without the bind filter the volume and mounts exist only below the
    // mount point, so hcsshim reads any other directory as relative to it
    // (C:\work -> <mount point>\work). With it, a plain path is the host's.
    if (!names_mount_point && !in.bind_filter_available) {
      plan.working_directory = JoinUnderMountPoint(plan.mount_point, plan.working_directory);
    }
  }

  for (const auto& [k, v] : in.env) {
    if (k.empty() || k.find('=') != std::string::npos) return Bad("envs", absl::StrCat("bad name \"", k, "\""));
    if (k == kSandboxMountPointEnv) continue;  // ours wins
    // Expanded like the arguments, as hcsshim does: only the plan knows
    // where the volume is, so this is how a variable can point into it.
    plan.env.emplace_back(k, Expand(v, plan.mount_point));
  }
  // hcsshim's rootfs locations (C:\hpc\, C:\hpc\<id>\) end in a backslash and
  // the variable carries it, so scripts may append a bare name to it.
  plan.env.emplace_back(kSandboxMountPointEnv,
                        plan.mount_point.back() == '\\' ? plan.mount_point : absl::StrCat(plan.mount_point, "\\"));

  // hcsshim appends its rootfs location, trailing backslash and all, which
  // is the variable's value just set.
  plan.merge_user_default_environment = true;
  plan.path_append = {plan.env.back().second, "C:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\",
                      "C:\\WINDOWS\\System32\\Wbem"};

  absl::Status s = ResolveUser(in, &plan);
  if (!s.ok()) return s;
  s = ResolveCpu(in, &plan);
  if (!s.ok()) return s;
  plan.job_memory_bytes = static_cast<uint64_t>(in.memory_limit_bytes);

  for (size_t i = 0; i < in.mounts.size(); ++i) {
    const HostProcessMount& m = in.mounts[i];
    if (m.host_path.empty() || m.container_path.empty()) {
      return Bad(absl::StrCat("mounts[", i, "]"), "host_path and container_path are required");
    }
    HostProcessPlan::Mount out;
    out.source = m.host_path;
    out.read_only = m.read_only;
    out.bind = in.bind_filter_available;
    if (in.bind_filter_available && IsAbsoluteWindowsPath(m.container_path)) {
      out.target = m.container_path;  // visible at its real path inside the silo
    } else {
      // Relative paths, and every path without the bind filter, live under
      // the mount point (the drive letter dropped).
      std::string rel = IsAbsoluteWindowsPath(m.container_path) ? m.container_path.substr(3) : m.container_path;
      std::replace(rel.begin(), rel.end(), '/', '\\');
      out.target = absl::StrCat(plan.mount_point, "\\", rel);
    }
    plan.mounts.push_back(std::move(out));
  }
  return plan;
}

std::vector<std::string> MergeHostProcessEnvironment(const std::vector<std::string>& user_default,
                                                     const HostProcessPlan& plan) {
  std::vector<std::string> out;
  std::map<std::string, size_t> slot;  // upper-cased name -> index in out
  auto put = [&](const std::string& entry) {
    // A leading '=' belongs to the name (the per-drive "=C:=C:\dir" entries).
    const size_t eq = entry.find('=', 1);
    if (eq == std::string::npos) return;  // not a variable; CreateProcess would misread it
    const std::string key = absl::AsciiStrToUpper(entry.substr(0, eq));
    if (auto it = slot.find(key); it != slot.end()) {
      out[it->second] = entry;
      return;
    }
    slot.emplace(key, out.size());
    out.push_back(entry);
  };
  if (plan.merge_user_default_environment) {
    for (const std::string& entry : user_default) put(entry);
  }
  for (const auto& [k, v] : plan.env) put(absl::StrCat(k, "=", v));
  if (auto it = slot.find("PATH"); it != slot.end() && !plan.path_append.empty()) {
    std::string& path = out[it->second];
    if (path.back() != ';' && path.back() != '=') path.push_back(';');
    path += absl::StrJoin(plan.path_append, ";");
  }
  return out;
}

nlohmann::json HostProcessPlanToJson(const HostProcessPlan& p) {
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [k, v] : p.env) env.push_back(k + "=" + v);
  nlohmann::json mounts = nlohmann::json::array();
  for (const auto& m : p.mounts) {
    mounts.push_back({{"Source", m.source}, {"Target", m.target}, {"Bind", m.bind}, {"ReadOnly", m.read_only}});
  }
  const char* logon = p.logon == LogonKind::kInherit          ? "Inherit"
                      : p.logon == LogonKind::kServiceAccount ? "ServiceAccount"
                                                              : "LocalGroup";
  return {{"JobName", p.job_name},
          {"CreateSilo", p.create_silo},
          {"MountPoint", p.mount_point},
          {"CommandLine", p.command_line},
          {"WorkingDirectory", p.working_directory},
          {"Environment", env},
          {"MergeUserDefaultEnvironment", p.merge_user_default_environment},
          {"PathAppend", p.path_append},
          {"Logon", logon},
          {"Account", p.account},
          {"CpuRate", p.cpu_rate},
          {"CpuWeight", p.cpu_weight},
          {"JobMemoryBytes", p.job_memory_bytes},
          {"Mounts", mounts}};
}

absl::StatusOr<HostProcessPlan> HostProcessPlanFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("HostProcess plan: not a JSON object");
  HostProcessPlan p;
  try {
    p.job_name = j.at("JobName").get<std::string>();
    p.create_silo = j.at("CreateSilo").get<bool>();
    p.mount_point = j.at("MountPoint").get<std::string>();
    p.command_line = j.at("CommandLine").get<std::string>();
    p.working_directory = j.at("WorkingDirectory").get<std::string>();
    for (const auto& e : j.at("Environment")) {
      const std::string entry = e.get<std::string>();
      const size_t eq = entry.find('=');
      if (eq == std::string::npos) p.env.emplace_back(entry, "");
      else p.env.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
    }
    p.merge_user_default_environment = j.at("MergeUserDefaultEnvironment").get<bool>();
    p.path_append = j.at("PathAppend").get<std::vector<std::string>>();
    const std::string logon = j.at("Logon").get<std::string>();
    if (logon == "Inherit") p.logon = LogonKind::kInherit;
    else if (logon == "ServiceAccount") p.logon = LogonKind::kServiceAccount;
    else if (logon == "LocalGroup") p.logon = LogonKind::kLocalGroup;
    else return absl::InvalidArgumentError(absl::StrCat("HostProcess plan: unknown Logon \"", logon, "\""));
    p.account = j.at("Account").get<std::string>();
    p.cpu_rate = j.at("CpuRate").get<uint32_t>();
    p.cpu_weight = j.at("CpuWeight").get<uint32_t>();
    p.job_memory_bytes = j.at("JobMemoryBytes").get<uint64_t>();
    for (const auto& m : j.at("Mounts")) {
      p.mounts.push_back({m.at("Source").get<std::string>(), m.at("Target").get<std::string>(),
                          m.at("Bind").get<bool>(), m.at("ReadOnly").get<bool>()});
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("HostProcess plan: ", e.what()));
  }
  return p;
}

}  // namespace silo::runtime::windows
