#include "tests/reliability/invariants.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/ids.h"

namespace silo::reliability {
namespace {

namespace fs = std::filesystem;

constexpr char kCgroupRoot[] = "/sys/fs/cgroup";

std::vector<std::string> Entries(const std::string& dir, bool dirs_only = false) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (dirs_only && !e.is_directory()) continue;
    // Removed trees waiting for their deletion (DeferredRemoval), no object.
    if (e.path().filename() == ".trash") continue;
    out.push_back(e.path().filename().string());
  }
  return out;
}

// Mount points at or below `dir` in this mount namespace.
std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream info("/proc/self/mountinfo");
  std::string line;
  while (std::getline(info, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (point.rfind(dir + "/", 0) == 0) out.push_back(point);
  }
  return out;
}

// The 64-hex object ids named by components of `path`.
std::vector<std::string> IdsIn(const std::string& path) {
  std::vector<std::string> out;
  for (const auto& part : fs::path(path)) {
    if (IsValidId(part.string())) out.push_back(part.string());
  }
  return out;
}

// Host-local allocations: IP file -> owning container (sandbox) id.
std::map<std::string, std::string> Allocations(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& name : Entries(dir)) {
    if (name == "lock" || absl::StartsWith(name, "last_reserved_ip")) continue;
    auto owner = ReadFile(dir + "/" + name);
    out[name] = owner.ok() ? owner->substr(0, owner->find_first_of("\r\n")) : "";
  }
  return out;
}

int VethCount() {
  std::string out = Capture("ip -o link show type veth");
  int n = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    if (absl::StrContains(line, "link/ether")) ++n;
  }
  return n;
}

}  // namespace

std::vector<int> LogSequence(const std::string& path, std::vector<std::string>* errors) {
  std::vector<int> seq;
  auto text = ReadFile(path);
  if (!text.ok()) return seq;
  size_t end = text->rfind('\n');
  text->resize(end == std::string::npos ? 0 : end + 1);
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 3));
    int n = -1;
    if (parts.size() != 4 || parts[1] != "stdout" || parts[2] != "F" || !absl::StartsWith(parts[3], "seq ") ||
        !absl::SimpleAtoi(parts[3].substr(4), &n)) {
      errors->push_back(absl::StrCat(path, ": malformed log line: ", line));
      continue;
    }
    seq.push_back(n);
  }
  return seq;
}

void CheckInvariants(Env& env, const Expectations& expect, const Listing& listing, const std::string& cgroup_parent,
                     std::vector<std::string>* violations) {
  auto v = [&](auto&&... parts) { violations->push_back(absl::StrCat(parts...)); };
  std::set<std::string> pods, ready, containers, running;
  for (const auto& p : listing.pods) {
    pods.insert(p.id());
    if (p.state() == ::runtime::v1::SANDBOX_READY) ready.insert(p.id());
  }
  for (const auto& c : listing.containers) {
    containers.insert(c.id());
    if (c.state() == ::runtime::v1::CONTAINER_RUNNING) running.insert(c.id());
    if (!pods.count(c.pod_sandbox_id())) v("container ", c.id(), " listed without its pod ", c.pod_sandbox_id());
  }

  // Acknowledged calls are durable.
  for (const auto& id : expect.pods) {
    if (!pods.count(id)) v("acked pod ", id, " is not listed");
  }
  for (const auto& id : expect.pods_gone) {
    if (pods.count(id)) v("removed pod ", id, " is listed again");
  }
  for (const auto& id : expect.containers) {
    if (!containers.count(id)) v("acked container ", id, " is not listed");
  }
  for (const auto& id : expect.containers_gone) {
    if (containers.count(id)) v("removed container ", id, " is listed again");
  }
  for (const auto& id : expect.running) {
    if (!running.count(id)) v("started container ", id, " is no longer RUNNING");
  }

  for (const auto& [ref, want] : expect.images) {
    bool present = false;
    if (!env.ImageStatus(ref, &present).ok()) {
      v("ImageStatus of ", ref, " failed");
    } else if (present != want) {
      v("image ", ref, want ? " was pulled but is gone" : " was removed but is listed again");
    }
  }

  // Sandboxes match reality.
  const std::string mountinfo = ReadFile("/proc/self/mountinfo").value_or("");
  for (const auto& id : ready) {
    ::runtime::v1::PodSandboxStatusResponse st;
    if (!env.PodStatus(id, &st).ok()) {
      v("PodSandboxStatus of listed pod ", id, " failed");
      continue;
    }
    auto it = st.info().find("info");
    nlohmann::json info =
        it == st.info().end() ? nlohmann::json() : nlohmann::json::parse(it->second, nullptr, false);
    if (!info.is_object()) {
      v("pod ", id, ": no verbose info");
      continue;
    }
    std::string netns = info.value("netns_path", "");
    if (!netns.empty() && !absl::StrContains(mountinfo, " " + netns + " ")) {
      v("READY pod ", id, ": netns ", netns, " is not pinned (not a mount point)");
    }
    std::string cg = info.value("cgroup_path", "");
    if (!cg.empty() && !fs::exists(absl::StrCat(kCgroupRoot, "/memory", cg))) {
      v("READY pod ", id, ": cgroup ", cg, " does not exist");
    }
  }
  // Containers match reality: RUNNING means a live shim, and no shim serves
  // a container the store does not know.
  std::vector<std::string> shim_ids = ShimIds(env.state());
  std::set<std::string> shims(shim_ids.begin(), shim_ids.end());
  for (const auto& id : running) {
    if (!shims.count(id)) v("RUNNING container ", id, " has no live silo-shim");
  }
  for (const auto& id : shims) {
    if (!containers.count(id)) v("leaked silo-shim for unknown container ", id);
  }

  // Nothing leaked.
  for (pid_t init : PodInitPids(env.root())) {
    // Its record names it, in the folder of a pod that still exists.
    bool recorded = false;
    for (const auto& id : pods) {
      const std::string record = ReadFile(absl::StrCat(env.state(), "/netns/", id, "/pid-init")).value_or("");
      recorded = recorded || absl::StartsWith(record, absl::StrCat(init, " "));
    }
    if (!recorded) v("leaked silo-pod-init ", init, " (no listed pod records it)");
  }
  for (const auto& id : Entries(env.state() + "/netns")) {
    if (!pods.count(id)) v("leaked netns dir ", env.state(), "/netns/", id);
  }
  for (const auto& id : Entries(env.root() + "/sandboxes")) {
    if (!pods.count(id)) v("leaked sandbox files ", env.root(), "/sandboxes/", id);
  }
  for (const auto& id : Entries(env.state() + "/containers")) {
    if (!containers.count(id)) v("leaked container bundle ", env.state(), "/containers/", id);
  }
  for (const auto& id : Entries(env.root() + "/containers")) {
    if (!containers.count(id)) v("leaked writable layer ", env.root(), "/containers/", id);
  }
  for (const auto& id : Entries(env.state() + "/runc")) {
    if (!containers.count(id)) v("leaked runc state ", env.state(), "/runc/", id);
  }
  for (const std::string& base : {env.root(), env.state()}) {
    for (const auto& m : MountsUnder(base)) {
      std::vector<std::string> ids = IdsIn(m);
      bool owned = !ids.empty();
      for (const auto& id : ids) owned = owned && (pods.count(id) || containers.count(id));
      if (!owned) v("leaked mount ", m);
    }
  }
  if (!cgroup_parent.empty()) {
    for (const char* c : {"cpu", "memory", "pids"}) {
      for (const auto& id : Entries(absl::StrCat(kCgroupRoot, "/", c, "/", cgroup_parent), true)) {
        if (!pods.count(id)) v("leaked pod cgroup ", c, "/", cgroup_parent, "/", id);
      }
    }
  }
  for (const auto& [ip, owner] : Allocations(env.ipam_dir())) {
    if (!ready.count(owner)) v("leaked host-local IP ", ip, " of ", owner.empty() ? "?" : owner);
  }
  if (int veths = VethCount(); veths != static_cast<int>(ready.size())) {
    // Host-network pods have no veth; the crash driver uses CNI pods only.
    v(veths, " veths for ", ready.size(), " READY pods");
  }

  // No log line lost or duplicated; a printer still CREATED has printed nothing.
  std::set<std::string> created;
  for (const auto& c : listing.containers) {
    if (c.state() == ::runtime::v1::CONTAINER_CREATED) created.insert(c.id());
  }
  for (const auto& [id, path] : expect.logs) {
    std::vector<int> seq = LogSequence(path, violations);
    if (created.count(id) && !seq.empty()) {
      v("container ", id, " is listed CREATED but its process runs (", seq.size(), " log lines)");
    }
    for (size_t i = 0; i < seq.size(); ++i) {
      if (seq[i] != static_cast<int>(i)) {
        v("log of ", id, " (", path, "): line ", i, " is seq ", seq[i], " (gap or duplicate)");
        break;
      }
    }
  }
}

void CheckEmpty(Env& env, const std::string& cgroup_parent, std::vector<std::string>* violations) {
  Expectations none;
  Listing listing;
  if (!env.ListPods(&listing.pods).ok() || !env.ListContainers(&listing.containers).ok()) {
    violations->push_back("List calls failed at the final check");
    return;
  }
  for (const auto& p : listing.pods) violations->push_back("pod left after cleanup: " + p.id());
  for (const auto& c : listing.containers) violations->push_back("container left after cleanup: " + c.id());
  CheckInvariants(env, none, listing, cgroup_parent, violations);
  for (const auto& f : Entries(env.root() + "/images/content/ingest")) {
    violations->push_back("content ingest leftover after RemoveImage: " + f);
  }
}

}  // namespace silo::reliability
