// silo_reliability_faults: walks every failpoint (runtime/base/failpoint.h)
// that RunPodSandbox, CreateContainer, StartContainer and PullImage pass.
//
// For each RPC it first runs the call once against a silod that traces its
// failpoints, to learn the points the call passes in order, with hit counts.
// Then, for each (point, nth hit), it restarts silod with exactly that hit
// armed as `error`, makes the call and checks that it fails naming the
// failpoint and leaves nothing behind (the crash driver's invariants plus
// per-RPC checks: no half-made pod, container, running process or image);
// then restarts silod without failpoints, repeats the call, which must
// succeed, cleans up and checks that nothing remains. A few points also run as
// `hang`, with a client deadline shorter than the hang: the client must get
// DEADLINE_EXCEEDED, and once the hang ends the server must roll back.
//
//   silo_reliability_faults [--rpcs=pull,run_pod,create,start] [--max-nth=N]
//                           [--hangs=true] [--hang-ms=3000]
//
// Prints "FAULT <rpc> <point>#<n> <mode> ok|VIOLATION ..." per injection and
// "RESULT faults injected=N violations=M points=K seconds=S" last. Exit 0
// iff no violation; 77 (SKIP) without root, runc, busybox or CNI plugins, or
// when silod was built without SILO_FAILPOINTS (a trace run records nothing).
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "tests/reliability/driver_flags.h"
#include "tests/reliability/invariants.h"

namespace silo::reliability {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

enum class Rpc { kPull, kRunPod, kCreate, kStart };

const char* RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kPull: return "PullImage";
    case Rpc::kRunPod: return "RunPodSandbox";
    case Rpc::kCreate: return "CreateContainer";
    case Rpc::kStart: return "StartContainer";
  }
  return "?";
}

// The point each RPC also runs as `hang`: its slowest outside call.
const char* HangPoint(Rpc rpc) {
  switch (rpc) {
    case Rpc::kPull: return "layers.unpack";
    case Rpc::kRunPod: return "cni.add";
    case Rpc::kCreate: return "container.shim_spawn";
    case Rpc::kStart: return "shim.start";
  }
  return "";
}

struct Flags {
  std::vector<Rpc> rpcs = {Rpc::kPull, Rpc::kRunPod, Rpc::kCreate, Rpc::kStart};
  int max_nth = 0;  // 0: every hit
  bool hangs = true;
  int hang_ms = 3000;
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  return DriverFlags()
      .Add("rpcs",
           [f](const std::string& v) {
             f->rpcs.clear();
             for (absl::string_view r : absl::StrSplit(v, ',', absl::SkipEmpty())) {
               if (r == "pull") f->rpcs.push_back(Rpc::kPull);
               else if (r == "run_pod") f->rpcs.push_back(Rpc::kRunPod);
               else if (r == "create") f->rpcs.push_back(Rpc::kCreate);
               else if (r == "start") f->rpcs.push_back(Rpc::kStart);
               else return false;
             }
             return true;
           })
      .Int("max-nth", &f->max_nth)
      .Int("hang-ms", &f->hang_ms, 1500)
      .Add("hangs",
           [f](const std::string& v) {
             if (v != "true" && v != "false") return false;
             f->hangs = v == "true";
             return true;
           })
      .Parse(argc, argv);
}

std::vector<std::string> TraceLines(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return {};
  return absl::StrSplit(*text, '\n', absl::SkipEmpty());
}

// Regular files anywhere below `dir`.
std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) out.push_back(it->path().string());
  }
  return out;
}

// One hit of one point, as the RPC passes it: `nth` counts from the RPC's
// start, `armed_nth` from silod's (what SILO_FAILPOINTS needs).
struct Step {
  std::string point;
  int nth = 0;
  int armed_nth = 0;
};

// Objects an RPC's setup made (all on the silod of that round), and the
// container name index the RPC uses (kubelet retries with the same name).
struct Setup {
  std::string pod, container;
  int index = 0;
};

class FaultDriver {
 public:
  FaultDriver(Env* env, const Flags& flags) : env_(env), flags_(flags) {}

  int Run() {
    start_ = Clock::now();
    pod_config_ = env_->Pod("fault-pod");
    for (Rpc rpc : flags_.rpcs) {
      if (fatal_) break;
      // The pull walk starts from an empty image store, so it passes the
      // download, commit and unpack points too.
      if (rpc == Rpc::kPull && image_pulled_) {
        if (!Restart("", "") || !Expect(env_->RemoveImage(env_->image()), "remove " + env_->image())) break;
        image_pulled_ = false;
      }
      if (rpc != Rpc::kPull && !image_pulled_) {
        if (!Restart("", "") || !Expect(env_->Pull(env_->image()), "pull " + env_->image())) break;
        image_pulled_ = true;
      }
      std::vector<Step> steps;
      if (!Discover(rpc, &steps)) break;
      if (steps.empty() && !any_trace_) {
        std::cout << "SKIP: silod records no failpoint hit; build with -DSILO_FAILPOINTS=ON" << std::endl;
        return 77;
      }
      for (const Step& step : steps) {
        if (fatal_) break;
        if (flags_.max_nth > 0 && step.nth > flags_.max_nth) continue;
        Inject(rpc, step, /*hang=*/false);
      }
      if (!flags_.hangs || fatal_) continue;
      for (const Step& step : steps) {
        if (step.point == HangPoint(rpc) && step.nth == 1) Inject(rpc, step, /*hang=*/true);
      }
    }
    return Finish();
  }

 private:
  // Kills silod and starts it again with `spec` armed and `trace` traced
  // (either may be empty). The shims it spawns inherit both.
  bool Restart(const std::string& spec, const std::string& trace) {
    env_->KillSilod();
    auto set = [](const char* name, const std::string& value) {
      if (value.empty()) {
        ::unsetenv(name);
      } else {
        ::setenv(name, value.c_str(), 1);
      }
    };
    set("SILO_FAILPOINTS", spec);
    set("SILO_FAILPOINT_TRACE", trace);
    absl::Status s = env_->StartSilod();
    ::unsetenv("SILO_FAILPOINTS");
    ::unsetenv("SILO_FAILPOINT_TRACE");
    if (!s.ok()) Fatal(absl::StrCat("starting silod (SILO_FAILPOINTS=\"", spec, "\"): ", s.ToString()));
    return s.ok();
  }

  bool Expect(const grpc::Status& s, const std::string& what) {
    if (!s.ok()) Fatal(absl::StrCat(what, ": ", s.error_message()));
    return s.ok();
  }

  void Fatal(const std::string& what) {
    fatal_ = true;
    violations_.push_back("fatal: " + what);
  }

  ::runtime::v1::ContainerConfig ContainerConfig(int n) const {
    return env_->Printer(absl::StrCat("fault-c", n));
  }

  // What the RPC under test needs first; false (and *error) if it failed.
  bool MakeSetup(Rpc rpc, Setup* setup, std::string* error) {
    grpc::Status s;
    setup->index = next_container_++;
    if (rpc == Rpc::kCreate || rpc == Rpc::kStart) s = env_->RunPod(pod_config_, &setup->pod);
    if (s.ok() && rpc == Rpc::kStart) {
      s = env_->CreateContainer(setup->pod, pod_config_, ContainerConfig(setup->index), &setup->container);
    }
    if (!s.ok()) *error = s.error_message();
    return s.ok();
  }

  // The RPC under test, with its own client deadline.
  grpc::Status Call(Rpc rpc, Setup* setup, std::chrono::milliseconds deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    switch (rpc) {
      case Rpc::kPull: {
        ::runtime::v1::PullImageRequest req;
        req.mutable_image()->set_image(env_->image());
        ::runtime::v1::PullImageResponse resp;
        return env_->silod()->ImageStub()->PullImage(&ctx, req, &resp);
      }
      case Rpc::kRunPod: {
        ::runtime::v1::RunPodSandboxRequest req;
        *req.mutable_config() = pod_config_;
        ::runtime::v1::RunPodSandboxResponse resp;
        grpc::Status s = env_->silod()->RuntimeStub()->RunPodSandbox(&ctx, req, &resp);
        setup->pod = resp.pod_sandbox_id();
        return s;
      }
      case Rpc::kCreate: {
        ::runtime::v1::CreateContainerRequest req;
        req.set_pod_sandbox_id(setup->pod);
        *req.mutable_config() = ContainerConfig(setup->index);
        *req.mutable_sandbox_config() = pod_config_;
        ::runtime::v1::CreateContainerResponse resp;
        grpc::Status s = env_->silod()->RuntimeStub()->CreateContainer(&ctx, req, &resp);
        setup->container = resp.container_id();
        return s;
      }
      case Rpc::kStart: {
        ::runtime::v1::StartContainerRequest req;
        req.set_container_id(setup->container);
        ::runtime::v1::StartContainerResponse resp;
        return env_->silod()->RuntimeStub()->StartContainer(&ctx, req, &resp);
      }
    }
    return grpc::Status(grpc::StatusCode::INTERNAL, "unknown rpc");
  }

  // Runs the RPC on a tracing silod; `steps` gets the points it passed.
  bool Discover(Rpc rpc, std::vector<Step>* steps) {
    const std::string trace = absl::StrCat(env_->scratch(), "/trace-", static_cast<int>(rpc));
    if (!Restart("", trace)) return false;
    Setup setup;
    std::string error;
    if (!MakeSetup(rpc, &setup, &error)) {
      Fatal(absl::StrCat(RpcName(rpc), " setup on a tracing silod: ", error));
      return false;
    }
    const std::vector<std::string> before = TraceLines(trace);
    if (!Expect(Call(rpc, &setup, std::chrono::seconds(120)), absl::StrCat(RpcName(rpc), " on a tracing silod"))) {
      return false;
    }
    const std::vector<std::string> all = TraceLines(trace);
    any_trace_ = any_trace_ || !all.empty();
    std::map<std::string, int> pre, seen;
    for (const auto& p : before) ++pre[p];
    std::vector<std::string> shown;
    for (size_t i = before.size(); i < all.size(); ++i) {
      const std::string& p = all[i];
      int n = ++seen[p];
      steps->push_back({p, n, pre[p] + n});
      shown.push_back(absl::StrCat(p, "#", n));
      points_.insert(p);
    }
    std::cout << "TRACE " << RpcName(rpc) << ": " << absl::StrJoin(shown, " ") << std::endl;
    if (rpc == Rpc::kRunPod) LearnCgroupParent(setup.pod);
    CleanUp(rpc);
    std::vector<std::string> found = Leftovers(rpc);
    for (const auto& f : found) violations_.push_back(absl::StrCat(RpcName(rpc), " trace run: ", f));
    return found.empty();
  }

  void LearnCgroupParent(const std::string& pod) {
    ::runtime::v1::PodSandboxStatusResponse st;
    if (!env_->PodStatus(pod, &st).ok() || !st.info().count("info")) return;
    nlohmann::json info = nlohmann::json::parse(st.info().at("info"), nullptr, false);
    if (info.is_object()) {
      cgroup_parent_ = fs::path(info.value("cgroup_path", "")).parent_path().filename().string();
    }
  }

  // What may exist after the RPC failed: the setup's objects, unchanged.
  std::vector<std::string> AfterFailure(Rpc rpc, const Setup& setup) {
    std::vector<std::string> found;
    Listing listing;
    if (!env_->ListPods(&listing.pods).ok() || !env_->ListContainers(&listing.containers).ok()) {
      return {"List calls failed"};
    }
    Expectations expect;
    if (!setup.pod.empty() && rpc != Rpc::kRunPod) expect.pods.insert(setup.pod);
    if (rpc == Rpc::kStart) expect.containers.insert(setup.container);
    CheckInvariants(*env_, expect, listing, cgroup_parent_, &found);
    if (rpc == Rpc::kRunPod) {
      for (const auto& p : listing.pods) found.push_back(absl::StrCat("pod ", p.id(), " listed after a failed RunPodSandbox"));
    }
    if (rpc == Rpc::kCreate) {
      for (const auto& c : listing.containers) {
        found.push_back(absl::StrCat("container ", c.id(), " listed after a failed CreateContainer"));
      }
    }
    if (rpc == Rpc::kStart) {
      ::runtime::v1::ContainerStatus st;
      if (!env_->ContainerStatus(setup.container, &st).ok()) {
        found.push_back("ContainerStatus of " + setup.container + " failed");
      } else if (st.state() == ::runtime::v1::CONTAINER_RUNNING) {
        found.push_back(absl::StrCat("container ", setup.container, " is RUNNING after a failed StartContainer"));
      } else if (st.state() == ::runtime::v1::CONTAINER_CREATED && !LogLines(setup.index).empty()) {
        found.push_back(absl::StrCat("container ", setup.container,
                                     " is CREATED after a failed StartContainer but its process runs"));
      }
    }
    if (rpc == Rpc::kPull) {
      bool present = true;
      if (!env_->ImageStatus(env_->image(), &present).ok()) {
        found.push_back("ImageStatus failed");
      } else if (present) {
        found.push_back(absl::StrCat("image ", env_->image(), " is present after a failed PullImage"));
      }
    }
    // Not checked here: a pull whose commit failed keeps its whole-length
    // ingest for the next pull to resume (by design, as after a kill); the
    // retry must consume it, which Leftovers() checks after the cleanup.
    return found;
  }

  // "seq N" lines the printer fault-c<index> wrote (Env::Printer's log path).
  std::vector<int> LogLines(int index) {
    std::vector<std::string> ignored;
    return LogSequence(absl::StrCat(pod_config_.log_directory(), "/fault-c", index, "/0.log"), &ignored);
  }

  // Removes every container and pod (and, for the pull walk, the image).
  void CleanUp(Rpc rpc) {
    std::vector<::runtime::v1::Container> containers;
    std::vector<::runtime::v1::PodSandbox> pods;
    env_->ListContainers(&containers);
    env_->ListPods(&pods);
    for (const auto& c : containers) {
      if (grpc::Status s = env_->RemoveContainer(c.id()); !s.ok()) {
        violations_.push_back("RemoveContainer " + c.id() + ": " + s.error_message());
      }
    }
    for (const auto& p : pods) {
      grpc::Status s = env_->StopPod(p.id());
      if (s.ok()) s = env_->RemovePod(p.id());
      if (!s.ok()) violations_.push_back("removing pod " + p.id() + ": " + s.error_message());
    }
    if (rpc == Rpc::kPull) {
      if (grpc::Status s = env_->RemoveImage(env_->image()); !s.ok()) {
        violations_.push_back("RemoveImage " + env_->image() + ": " + s.error_message());
      }
    }
  }

  // After CleanUp: nothing of silod's may remain; after the pull walk not
  // even content or snapshots.
  std::vector<std::string> Leftovers(Rpc rpc) {
    std::vector<std::string> found;
    CheckEmpty(*env_, cgroup_parent_, &found);
    if (rpc == Rpc::kPull) {
      for (const auto& f : FilesUnder(env_->root() + "/images/content/blobs")) found.push_back("blob leftover " + f);
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(env_->root() + "/images/snapshots", ec)) {
        found.push_back("snapshot leftover " + e.path().string());
      }
    }
    return found;
  }

  void Inject(Rpc rpc, const Step& step, bool hang) {
    const std::string mode = hang ? absl::StrCat("hang(", flags_.hang_ms, ")") : "error";
    const std::string label = absl::StrCat(RpcName(rpc), " ", step.point, "#", step.nth, " ", mode);
    ++injected_;
    std::vector<std::string> found;
    auto report = [&] {
      std::cout << "FAULT " << label << (found.empty() ? " ok" : " VIOLATION " + absl::StrJoin(found, "; "))
                << std::endl;
      for (const auto& f : found) violations_.push_back(label + ": " + f);
    };
    if (!Restart(absl::StrCat(step.point, "=", mode, "@", step.armed_nth), "")) return report();
    Setup setup;
    std::string error;
    if (!MakeSetup(rpc, &setup, &error)) {
      found.push_back("setup failed: " + error);
      CleanUp(Rpc::kRunPod);
      return report();
    }
    const auto deadline = hang ? std::chrono::milliseconds(flags_.hang_ms / 3) : std::chrono::milliseconds(120000);
    // silod appends to one log across restarts: look only at this run's part.
    const size_t log_start = env_->silod()->Output().size();
    grpc::Status s = Call(rpc, &setup, deadline);
    const std::string tag = absl::StrCat("failpoint ", step.point);
    if (hang) {
      if (s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
        found.push_back(absl::StrCat("want DEADLINE_EXCEEDED, got code ", s.error_code(), ": ", s.error_message()));
      }
      // The server gives up when the hang ends and logs it; then it must roll back.
      const std::string fired = absl::StrCat("failpoint ", step.point, " hit ", step.armed_nth, ": failing");
      if (!Eventually([&] { return absl::StrContains(env_->silod()->Output().substr(log_start), fired); },
                      std::chrono::milliseconds(flags_.hang_ms + 10000))) {
        found.push_back("the hang never ended in silod's log");
      }
      std::vector<std::string> last;
      if (!Eventually([&] { return (last = AfterFailure(rpc, setup)).empty(); }, std::chrono::seconds(20))) {
        for (const auto& f : last) found.push_back("20 s after the hang: " + f);
      }
    } else {
      if (s.ok()) {
        found.push_back("the call succeeded");
      } else if (!absl::StrContains(s.error_message(), tag)) {
        found.push_back(absl::StrCat("error does not name the failpoint: ", s.error_message()));
      }
      for (auto& f : AfterFailure(rpc, setup)) found.push_back(std::move(f));
    }

    // Without failpoints the same call must work (a failed StartContainer
    // ends its container, so kubelet recreates it: so do we).
    if (!Restart("", "")) return report();
    if (rpc == Rpc::kStart) {
      grpc::Status r = env_->RemoveContainer(setup.container);
      if (r.ok()) r = env_->CreateContainer(setup.pod, pod_config_, ContainerConfig(setup.index), &setup.container);
      if (!r.ok()) found.push_back("recreating the container: " + r.error_message());
    }
    grpc::Status again = Call(rpc, &setup, std::chrono::seconds(120));
    if (!again.ok()) found.push_back(absl::StrCat("the call failed again without failpoints: ", again.error_message()));
    CleanUp(rpc);
    for (auto& f : Leftovers(rpc)) found.push_back("after cleanup: " + f);
    report();
  }

  int Finish() {
    double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    for (const auto& v : violations_) {
      if (absl::StartsWith(v, "fatal: ")) std::cout << "VIOLATION " << v << "\n";
    }
    std::cout << "RESULT faults injected=" << injected_ << " violations=" << violations_.size()
              << " points=" << points_.size() << " seconds=" << static_cast<int>(secs) << std::endl;
    return violations_.empty() ? 0 : 1;
  }

  Env* env_;
  Flags flags_;
  Clock::time_point start_;
  ::runtime::v1::PodSandboxConfig pod_config_;
  std::string cgroup_parent_;
  std::vector<std::string> violations_;
  std::set<std::string> points_;
  int injected_ = 0, next_container_ = 0;
  bool fatal_ = false, image_pulled_ = false, any_trace_ = false;
};

}  // namespace
}  // namespace silo::reliability

int main(int argc, char** argv) {
  using namespace silo::reliability;
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  if (!CanRunWithCni()) {
    std::cout << kNeedsRootRuncCni;
    return 77;
  }
  auto env = Env::Create({.cni = true});
  if (!env.ok()) {
    std::cout << "VIOLATION fatal: setting up: " << env.status() << "\n"
              << "RESULT faults injected=0 violations=1 points=0 seconds=0" << std::endl;
    return 1;
  }
  return FaultDriver(env->get(), flags).Run();
}
