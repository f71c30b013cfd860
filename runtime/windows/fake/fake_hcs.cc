#include "runtime/windows/fake/fake_hcs.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <utility>

#include "nlohmann/json.hpp"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/fake/holder_thunk.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows::fake {

using hcs::HcsEvent;
using hcs::HcsEventCallback;
using hcs::HcsHandle;
using hcs::HcsProcessInformation;
using nlohmann::json;

namespace {

constexpr uint32_t kErrorInvalidHandleHr = 0x80070006;

// The simulated Windows process whose table (FakeHcs::api_for) is making the
// current call: handles belong to the process that opened them, as in
// Windows, where a handle value means nothing in another process.
thread_local int t_holder = 0;

struct HolderScope {
  explicit HolderScope(int holder) : saved(t_holder) { t_holder = holder; }
  ~HolderScope() { t_holder = saved; }
  int saved;
};

struct FakeProcess {
  std::string parameters;  // the HcsCreateProcess JSON, as given
  bool running = true;
  uint32_t exit_code = 0;
  std::vector<std::string> signals;
  uintptr_t stdio[3] = {};  // the pipes HcsCreateProcess handed out: in, out, err (0: none)
  std::string stdin_data;   // what was written to its stdin pipe
  bool stdin_stalled = false;  // StopReadingStdin: writes to its stdin block
};

// One stdio pipe; its handle is the caller's end.
struct FakePipe {
  std::string system_id;
  uint32_t pid = 0;
  bool input = false;  // stdin: the caller writes; else the caller reads
  std::string buffered;
  bool writer_closed = false;  // the process exited: end of stream once drained
  bool cancelled = false;      // the pending (or next) read fails; for stdin: the pending write
  bool write_pending = false;  // stdin: a write is blocked on a process that stopped reading
  int holder = 0;              // the process that holds the caller's end
};

struct FakeSystem {
  std::string owner;
  std::string state;  // "Created", "Running", "Stopped"
  std::map<uint32_t, FakeProcess> processes;
  uint32_t next_pid = 100;
  std::vector<std::string> modifications;
  bool terminate_on_last_handle_closed = false;
  std::string configuration;  // the document it was created with
  std::map<std::string, json> properties;  // SetProperty: "Statistics", "Memory"
};

struct SysHandle {
  std::string id;
  void* ctx = nullptr;
  HcsEventCallback cb = nullptr;
  int holder = t_holder;
};

struct ProcHandle {
  std::string system_id;
  uint32_t pid = 0;
  void* ctx = nullptr;
  HcsEventCallback cb = nullptr;
  uintptr_t via_system = 0;  // the HCS_SYSTEM handle it was created or opened through
  int holder = t_holder;
};

struct Op {
  bool done = false;
  bool stuck = false;
  uint32_t hr = 0;
  std::wstring doc;
  HcsProcessInformation info{};
  uint32_t spurious_wait_hr = 0;
  // kBlock: completes with `blocked_outcome` on release or when this process exits.
  bool blocked = false;
  std::string blocked_system;
  uint32_t blocked_pid = 0;
  uintptr_t blocked_via = 0;  // the system handle whose process calls queue behind it
  int holder = t_holder;
};

// What a call's work produced.
struct Outcome {
  uint32_t hr = 0;
  std::string doc;
  HcsProcessInformation info{};
};

HcsHandle ToHandle(uintptr_t id) { return reinterpret_cast<HcsHandle>(id); }
uintptr_t FromHandle(HcsHandle h) { return reinterpret_cast<uintptr_t>(h); }

std::string ErrorDocument(const FakeInjection& inj) {
  json doc = {{"Error", static_cast<int32_t>(inj.hr)}, {"ErrorMessage", inj.error_message}};
  json events = json::array();
  for (const std::string& m : inj.error_events) events.push_back({{"Message", m}, {"Provider", "fake"}});
  doc["ErrorEvents"] = events;
  return doc.dump();
}

}  // namespace

struct FakeHcs::Impl {
  mutable std::mutex mu;
  std::condition_variable op_cv;
  std::map<std::string, FakeSystem> systems;
  std::map<uintptr_t, SysHandle> sys_handles;
  std::map<uintptr_t, ProcHandle> proc_handles;
  std::map<uintptr_t, Op> ops;
  std::map<uintptr_t, FakePipe> stdio;
  std::condition_variable stdio_cv;
  uintptr_t next_id = 0x1000;  // handles are never reused, so late completions cannot hit a new object
  int strings = 0;
  int cancelled = 0;
  int bad_closes = 0;  // closes of handles never given out or closed already
  int ops_created = 0;
  uint32_t last_timeout = 0;
  std::deque<FakeInjection> injections;
  std::map<FakeCall, int> call_counts;
  bool ignore_shutdown = false;
  struct EarlyExit {
    FakeExitMoment when;
    uint32_t code;
    std::string stdout_data;
  };
  std::optional<EarlyExit> early_exit;        // ExitNextProcess, for the next HcsCreateProcess
  std::map<uintptr_t, EarlyExit> exit_on_callback;  // process handle -> exit at its HcsSetProcessCallback
  bool enumerate_ignores_query = false;
  std::vector<FakeCall> sequence;
  std::set<std::pair<std::string, std::string>> vm_grants;  // (vm id, file path)
  int unmatched_revokes = 0;
  // Handles closed because their process died (ReapHolder), by handle: a
  // close of one by code of that process afterwards is no double close.
  std::map<uintptr_t, int> reaped;

  // The handle's entry if the calling process holds it, else end(): a
  // handle of another process is an invalid handle here.
  template <class M>
  auto Held(M& map, HcsHandle h) {
    auto it = map.find(FromHandle(h));
    if (it != map.end() && it->second.holder != t_holder) return map.end();
    return it;
  }
  // A close of a handle the caller does not hold: a bad close unless it
  // was reaped with the caller's process.
  void RefuseClose(HcsHandle h) {
    auto r = reaped.find(FromHandle(h));
    if (r != reaped.end() && r->second == t_holder) return;
    ++bad_closes;
  }

  // The "HCS thread pool": one worker running queued closures without mu held.
  std::deque<std::function<void()>> queue;
  std::condition_variable queue_cv;
  std::condition_variable idle_cv;
  bool busy = false;
  bool stopping = false;
  std::thread worker;

  void WorkerLoop() {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      queue_cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;
      std::function<void()> fn = std::move(queue.front());
      queue.pop_front();
      busy = true;
      lock.unlock();
      fn();
      lock.lock();
      busy = false;
      idle_cv.notify_all();
    }
  }

  // --- helpers, all called with mu held ---
  void Post(std::function<void()> fn) {
    queue.push_back(std::move(fn));
    queue_cv.notify_all();
  }

  void PostEvent(HcsEventCallback cb, void* ctx, uint32_t type, std::string data) {
    if (cb == nullptr) return;
    Post([cb, ctx, type, wide = win32::Utf8ToWide(data), has_data = !data.empty()]() {
      HcsEvent event{type, has_data ? wide.c_str() : nullptr, nullptr};
      cb(&event, ctx);
    });
  }

  std::optional<FakeInjection> TakeInjection(FakeCall call) {
    for (auto it = injections.begin(); it != injections.end(); ++it) {
      if (it->call != call) continue;
      FakeInjection inj = *it;
      if (--it->times <= 0) injections.erase(it);
      return inj;
    }
    return std::nullopt;
  }

  wchar_t* Dup(const std::wstring& s) {
    if (s.empty()) return nullptr;
    auto* out = new wchar_t[s.size() + 1];
    std::memcpy(out, s.c_str(), (s.size() + 1) * sizeof(wchar_t));
    ++strings;
    return out;
  }

  uintptr_t NewId() { return next_id += 0x10; }

  FakeSystem* FindSystem(const std::string& id) {
    auto it = systems.find(id);
    return it == systems.end() ? nullptr : &it->second;
  }

  FakeProcess* FindProcess(const std::string& id, uint32_t pid) {
    FakeSystem* s = FindSystem(id);
    if (s == nullptr) return nullptr;
    auto it = s->processes.find(pid);
    return it == s->processes.end() ? nullptr : &it->second;
  }

  void ExitProcessLocked(const std::string& system_id, uint32_t pid, FakeProcess& p, uint32_t code) {
    if (!p.running) return;
    p.running = false;
    p.exit_code = code;
    for (uintptr_t h : p.stdio) {
      auto it = stdio.find(h);
      if (it != stdio.end()) it->second.writer_closed = true;
    }
    stdio_cv.notify_all();
    for (auto& [op_id, op] : ops) {
      if (op.blocked && op.blocked_system == system_id && op.blocked_pid == pid) CompleteBlocked(op);
    }
    const std::string data =
        json{{"ProcessId", pid}, {"Exited", true}, {"ExitCode", code}, {"LastWaitResult", 0}}.dump();
    for (auto& [hid, h] : proc_handles) {
      if (h.system_id == system_id && h.pid == pid) PostEvent(h.cb, h.ctx, hcs::kHcsEventProcessExited, data);
    }
  }

  void StopSystemLocked(const std::string& id, FakeSystem& s, const std::string& exit_type) {
    s.state = "Stopped";
    for (auto& [pid, p] : s.processes) ExitProcessLocked(id, pid, p, 1);
    const uint32_t status = exit_type == "UnexpectedExit" ? codes::kHcsEUnexpectedExit : 0;
    const std::string data = json{{"Status", static_cast<int32_t>(status)}, {"ExitType", exit_type}}.dump();
    for (auto& [hid, h] : sys_handles) {
      if (h.id == id) PostEvent(h.cb, h.ctx, hcs::kHcsEventSystemExited, data);
    }
  }

  void CompleteBlocked(Op& op) {
    op.blocked = false;
    op.done = true;
    op_cv.notify_all();
  }

  // HCS serialises the signals sent to a target pid per system handle: while
  // a signal to pid P sent through a process handle of system handle S blocks
  // (servercore), a terminate or signal of P through S waits behind it. Such
  // a call never completes here (its wait times out), so only a kill through
  // fresh handles (hcsshim Process.Kill) gets through.
  bool QueuedBehindBlockedSignal(FakeCall call, HcsHandle proc, HcsHandle op_handle) {
    auto h = proc_handles.find(FromHandle(proc));
    auto o = ops.find(FromHandle(op_handle));
    if (h == proc_handles.end() || o == ops.end() || h->second.via_system == 0) return false;
    for (const auto& [id, op] : ops) {
      if (op.blocked && op.blocked_via == h->second.via_system && op.blocked_pid == h->second.pid) {
        ++call_counts[call];
        o->second.stuck = true;
        return true;
      }
    }
    return false;
  }

  // Runs an operation-taking call: applies injected faults, else `work`,
  // and completes the operation now or on the worker.
  uint32_t RunCall(FakeCall call, HcsHandle op_handle, const std::function<Outcome()>& work,
                   Outcome* produced = nullptr) {
    ++call_counts[call];
    sequence.push_back(call);
    const uintptr_t op_id = FromHandle(op_handle);
    auto it = Held(ops, op_handle);
    if (it == ops.end()) return kErrorInvalidHandleHr;
    Op& op = it->second;
    std::optional<FakeInjection> inj = TakeInjection(call);
    if (inj && (inj->fault == FakeFault::kFailCall || inj->fault == FakeFault::kFailResult)) {
      op.done = true;
      op.hr = inj->hr;
      op.doc = win32::Utf8ToWide(ErrorDocument(*inj));
      return inj->fault == FakeFault::kFailCall ? inj->hr : codes::kSOk;
    }
    if (inj && inj->fault == FakeFault::kSlow) {
      op.stuck = true;
      return codes::kSOk;
    }
    Outcome out = work();
    if (produced != nullptr) *produced = out;
    if (inj && inj->fault == FakeFault::kSpuriousWaitFailure) op.spurious_wait_hr = inj->hr;
    if (inj && inj->fault == FakeFault::kBlock) {
      op.blocked = true;
      op.hr = out.hr;
      op.doc = win32::Utf8ToWide(out.doc);
      op.info = out.info;
      return codes::kSOk;
    }
    if (inj && (inj->fault == FakeFault::kPending || inj->fault == FakeFault::kAsync)) {
      Post([this, op_id, out] {
        std::lock_guard<std::mutex> lock(mu);
        auto it = ops.find(op_id);
        if (it == ops.end()) return;
        it->second.done = true;
        it->second.hr = out.hr;
        it->second.doc = win32::Utf8ToWide(out.doc);
        it->second.info = out.info;
        op_cv.notify_all();
      });
      return inj->fault == FakeFault::kPending ? codes::kHcsEOperationPending : codes::kSOk;
    }
    op.done = true;
    op.hr = out.hr;
    op.doc = win32::Utf8ToWide(out.doc);
    op.info = out.info;
    return codes::kSOk;
  }

  // Synchronous calls only honour kFailCall.
  std::optional<uint32_t> SyncFault(FakeCall call) {
    ++call_counts[call];
    sequence.push_back(call);
    std::optional<FakeInjection> inj = TakeInjection(call);
    if (inj && inj->fault == FakeFault::kPass) return std::nullopt;
    if (inj) return inj->hr;
    return std::nullopt;
  }

  uint32_t FinishWait(Op& op, HcsProcessInformation* info, wchar_t** doc) {
    if (doc != nullptr) *doc = Dup(op.doc);
    if (info != nullptr) *info = op.info;
    return op.spurious_wait_hr != 0 ? op.spurious_wait_hr : op.hr;
  }

  uint32_t Wait(HcsHandle op_handle, uint32_t timeout_ms, HcsProcessInformation* info, wchar_t** doc) {
    std::unique_lock<std::mutex> lock(mu);
    const uintptr_t id = FromHandle(op_handle);
    last_timeout = timeout_ms;
    auto it = Held(ops, op_handle);
    if (it == ops.end()) return kErrorInvalidHandleHr;
    if (it->second.stuck) return codes::kHcsEOperationTimeout;  // would block the whole timeout
    auto done = [&] { return ops.at(id).done; };
    if (timeout_ms == hcs::kInfinite) {
      op_cv.wait(lock, done);
    } else if (!op_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), done)) {
      return codes::kHcsEOperationTimeout;
    }
    return FinishWait(ops.at(id), info, doc);
  }
};

namespace {
FakeHcs::Impl* g_impl = nullptr;  // the one live fake; the table has no context pointer
}  // namespace

// The HcsApi entry points; each locks the fake.
struct FakeEntryPoints {
  static FakeHcs::Impl& I() {
    if (g_impl == nullptr) {
      std::fprintf(stderr, "FakeHcs: HcsApi called with no FakeHcs alive\n");
      std::abort();
    }
    return *g_impl;
  }

  static HcsHandle CreateOperation(const void*, hcs::HcsOperationCompletion) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    const uintptr_t id = f.NewId();
    f.ops.emplace(id, Op{});  // held by the calling process
    ++f.ops_created;
    return ToHandle(id);
  }
  static void CloseOperation(HcsHandle op) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    auto it = f.Held(f.ops, op);
    if (it == f.ops.end()) return f.RefuseClose(op);
    f.ops.erase(it);
  }
  static uint32_t GetOperationResultAndInfo(HcsHandle op, HcsProcessInformation* info, wchar_t** doc) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    auto it = f.Held(f.ops, op);
    if (it == f.ops.end()) return kErrorInvalidHandleHr;
    if (!it->second.done) return codes::kHcsEOperationPending;
    return f.FinishWait(it->second, info, doc);
  }
  static uint32_t GetOperationResult(HcsHandle op, wchar_t** doc) { return GetOperationResultAndInfo(op, nullptr, doc); }
  static uint32_t WaitForOperationResult(HcsHandle op, uint32_t timeout, wchar_t** doc) {
    return I().Wait(op, timeout, nullptr, doc);
  }
  static uint32_t WaitForOperationResultAndInfo(HcsHandle op, uint32_t timeout, HcsProcessInformation* info,
                                                wchar_t** doc) {
    return I().Wait(op, timeout, info, doc);
  }
  static uint32_t CancelOperation(HcsHandle op) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    auto it = f.Held(f.ops, op);
    if (it == f.ops.end()) return kErrorInvalidHandleHr;
    it->second.stuck = false;
    it->second.blocked = false;  // a cancelled signal no longer holds its system handle
    it->second.done = true;
    it->second.hr = 0x80004004;  // E_ABORT
    ++f.cancelled;
    f.op_cv.notify_all();
    return codes::kSOk;
  }

  static uint32_t Enumerate(const wchar_t* query, HcsHandle op) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    const json q = json::parse(win32::WideToUtf8(query), nullptr, false);
    return f.RunCall(FakeCall::kEnumerate, op, [&] {
      auto wanted = [&](const char* key, const std::string& v) {
        if (f.enumerate_ignores_query || !q.is_object() || !q.contains(key) || !q[key].is_array()) return true;
        for (const json& e : q[key]) {
          if (e.is_string() && e.get<std::string>() == v) return true;
        }
        return false;
      };
      json out = json::array();
      for (const auto& [id, s] : f.systems) {
        if (!wanted("Ids", id) || !wanted("Owners", s.owner)) continue;
        out.push_back({{"Id", id}, {"Owner", s.owner}, {"SystemType", "Container"}, {"State", s.state}});
      }
      return Outcome{0, out.dump(), {}};
    });
  }

  static uint32_t CreateComputeSystem(const wchar_t* id_w, const wchar_t* config_w, HcsHandle op, const void*,
                                      HcsHandle* out) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    const std::string id = win32::WideToUtf8(id_w);
    const std::string config = win32::WideToUtf8(config_w);
    const uint32_t hr = f.RunCall(FakeCall::kCreateComputeSystem, op, [&] {
      const json doc = json::parse(config, nullptr, false);
      if (!doc.is_object()) return Outcome{codes::kHcsEInvalidJson, "", {}};
      if (f.systems.count(id) != 0) return Outcome{codes::kHcsESystemAlreadyExists, "", {}};
      // A container hosted in a utility VM needs that VM, running.
      if (doc.contains("HostingSystemId")) {
        auto host = f.systems.find(doc.value("HostingSystemId", ""));
        if (host == f.systems.end()) return Outcome{codes::kHcsESystemNotFound, "", {}};
        if (host->second.state != "Running") return Outcome{codes::kHcsEInvalidState, "", {}};
      }
      FakeSystem s;
      s.state = "Created";
      if (doc.contains("Owner") && doc["Owner"].is_string()) s.owner = doc["Owner"].get<std::string>();
      s.terminate_on_last_handle_closed = doc.value("ShouldTerminateOnLastHandleClosed", false);
      s.configuration = config;
      f.systems.emplace(id, std::move(s));
      return Outcome{};
    });
    // Like HCS, the handle comes back as soon as the call started.
    if (codes::Succeeded(hr) || codes::IsPending(hr)) {
      const uintptr_t h = f.NewId();
      f.sys_handles.emplace(h, SysHandle{id});
      *out = ToHandle(h);
    }
    return hr;
  }

  static uint32_t OpenComputeSystem(const wchar_t* id_w, uint32_t, HcsHandle* out) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    if (auto hr = f.SyncFault(FakeCall::kOpenComputeSystem)) return *hr;
    const std::string id = win32::WideToUtf8(id_w);
    if (f.systems.count(id) == 0) return codes::kHcsESystemNotFound;
    const uintptr_t h = f.NewId();
    f.sys_handles.emplace(h, SysHandle{id});
    *out = ToHandle(h);
    return codes::kSOk;
  }

  static void CloseComputeSystem(HcsHandle handle) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    auto it = f.Held(f.sys_handles, handle);
    if (it == f.sys_handles.end()) {
      f.RefuseClose(handle);  // a use after close in HCS: undefined, never harmless
      return;
    }
    CloseSystemHandleLocked(f, it);
  }

  // Closes one HCS_SYSTEM handle; the last one of a system may end it.
  static void CloseSystemHandleLocked(FakeHcs::Impl& f, std::map<uintptr_t, SysHandle>::iterator it) {
    const std::string id = it->second.id;
    f.sys_handles.erase(it);
    FakeSystem* s = f.FindSystem(id);
    if (s == nullptr) return;
    for (const auto& [h, sh] : f.sys_handles) {
      if (sh.id == id) return;
    }
    // The last system handle: a stopped system goes away, and so does a
    // live one that asked to be terminated then.
    if (s->state != "Stopped") {
      if (!s->terminate_on_last_handle_closed) return;
      f.StopSystemLocked(id, *s, "ForcedExit");
    }
    f.systems.erase(id);
  }

  // Looks up the system behind a handle: the Outcome error when there is none.
  static FakeSystem* SystemOf(FakeHcs::Impl& f, HcsHandle handle, std::string* id, Outcome* err) {
    auto it = f.Held(f.sys_handles, handle);
    if (it == f.sys_handles.end()) {
      *err = Outcome{kErrorInvalidHandleHr, "", {}};
      return nullptr;
    }
    *id = it->second.id;
    FakeSystem* s = f.FindSystem(*id);
    if (s == nullptr) *err = Outcome{codes::kHcsESystemNotFound, "", {}};
    return s;
  }

  static uint32_t Start(HcsHandle sys, HcsHandle op, const wchar_t*) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    return f.RunCall(FakeCall::kStart, op, [&] {
      std::string id;
      Outcome err;
      FakeSystem* s = SystemOf(f, sys, &id, &err);
      if (s == nullptr) return err;
      if (s->state == "Stopped") return Outcome{codes::kHcsESystemAlreadyStopped, "", {}};
      if (s->state == "Running") return Outcome{codes::kHcsEInvalidState, "", {}};
      s->state = "Running";
      return Outcome{};
    });
  }

  static uint32_t Stop(FakeCall call, HcsHandle sys, HcsHandle op) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    return f.RunCall(call, op, [&] {
      std::string id;
      Outcome err;
      FakeSystem* s = SystemOf(f, sys, &id, &err);
      if (s == nullptr) return err;
      if (s->state == "Stopped") return Outcome{codes::kHcsESystemAlreadyStopped, "", {}};
      const bool terminate = call == FakeCall::kTerminate;
      if (!terminate && f.ignore_shutdown) return Outcome{};
      f.StopSystemLocked(id, *s, terminate ? "ForcedExit" : "GracefulExit");
      return Outcome{};
    });
  }
  static uint32_t ShutDown(HcsHandle sys, HcsHandle op, const wchar_t*) { return Stop(FakeCall::kShutDown, sys, op); }
  static uint32_t Terminate(HcsHandle sys, HcsHandle op, const wchar_t*) {
    return Stop(FakeCall::kTerminate, sys, op);
  }

  // A PropertyQuery as hcsshim sends one: {} or {"PropertyTypes": [...]}
  // naming types HCS knows; "Memory" only of a virtual machine.
  static bool WellFormedPropertyQuery(const json& q, bool is_vm) {
    static const std::set<std::string> kTypes = {"Statistics", "Memory", "ProcessList", "GuestConnection"};
    if (!q.is_object()) return false;
    for (const auto& [key, value] : q.items()) {
      if (key != "PropertyTypes" || !value.is_array()) return false;
      for (const json& t : value) {
        if (!t.is_string() || kTypes.count(t.get<std::string>()) == 0) return false;
        if (t.get<std::string>() == "Memory" && !is_vm) return false;
      }
    }
    return true;
  }

  static uint32_t Properties(HcsHandle sys, HcsHandle op, const wchar_t* query_w) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    const json query = json::parse(query_w == nullptr ? std::string("{}") : win32::WideToUtf8(query_w), nullptr, false);
    return f.RunCall(FakeCall::kProperties, op, [&] {
      std::string id;
      Outcome err;
      FakeSystem* s = SystemOf(f, sys, &id, &err);
      if (s == nullptr) return err;
      const bool is_vm = s->configuration.find("\"VirtualMachine\"") != std::string::npos;
      if (!WellFormedPropertyQuery(query, is_vm)) return Outcome{codes::kEInvalidArg, "", {}};
      json doc = {{"Id", id},
                  {"Owner", s->owner},
                  {"SystemType", is_vm ? "VirtualMachine" : "Container"},
                  {"State", s->state}};
      for (const json& t : query.value("PropertyTypes", json::array())) {
        const std::string type = t.get<std::string>();
        auto it = s->properties.find(type);
        if (it != s->properties.end()) doc[type] = it->second;
      }
      return Outcome{0, doc.dump(), {}};
    });
  }

  // A guest ModificationRequest: a request type, a resource type the Windows
  // guest agent knows, and settings.
  static bool WellFormedGuestRequest(const json& guest) {
    static const std::set<std::string> kTypes = {"CombinedLayers", "MappedVirtualDisk", "MappedDirectory",
                                                 "NetworkNamespace", "Network"};
    if (!guest.is_object() || !guest.contains("Settings")) return false;
    const std::string request = guest.value("RequestType", "");
    return (request == "Add" || request == "Remove" || request == "Update") &&
           kTypes.count(guest.value("ResourceType", "")) != 0;
  }

  // A ModifySettingRequest as hcsshim sends one: ResourcePath, RequestType
  // Add/Remove/Update and nothing unknown; for the live-resource paths,
  // Settings shaped as HCS reads them (a positive MiB count; a Processor with
  // exactly one positive Count/Maximum/Weight), so a malformed document
  // fails here as it would on a host instead of being recorded.
  static bool WellFormedModify(const json& doc) {
    if (!doc.is_object()) return false;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      const std::string& key = it.key();
      if (key != "ResourcePath" && key != "RequestType" && key != "Settings" && key != "GuestRequest") return false;
    }
    // A utility VM's guest-only change: HCS relays GuestRequest to the guest agent.
    if (!doc.contains("ResourcePath") && !doc.contains("RequestType")) {
      return WellFormedGuestRequest(doc.value("GuestRequest", json()));
    }
    if (!doc.contains("ResourcePath") || !doc["ResourcePath"].is_string() ||
        doc["ResourcePath"].get<std::string>().empty()) {
      return false;
    }
    if (!doc.contains("RequestType") || !doc["RequestType"].is_string()) return false;
    const std::string type = doc["RequestType"].get<std::string>();
    if (type != "Add" && type != "Remove" && type != "Update") return false;
    const std::string path = doc["ResourcePath"].get<std::string>();
    const json settings = doc.value("Settings", json());
    auto positive = [](const json& v) { return v.is_number_integer() && v.get<int64_t>() > 0; };
    if (path == "Container/Memory/SizeInMB") return type == "Update" && positive(settings);
    if (path == "Container/Processor") {
      if (type != "Update" || !settings.is_object() || settings.size() != 1) return false;
      const auto only = settings.begin();
      return (only.key() == "Count" || only.key() == "Maximum" || only.key() == "Weight") && positive(only.value());
    }
    return true;
  }

  static uint32_t Modify(HcsHandle sys, HcsHandle op, const wchar_t* settings, void*) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    const std::string text = win32::WideToUtf8(settings);
    return f.RunCall(FakeCall::kModify, op, [&] {
      std::string id;
      Outcome err;
      FakeSystem* s = SystemOf(f, sys, &id, &err);
      if (s == nullptr) return err;
      if (!json::accept(text)) return Outcome{codes::kHcsEInvalidJson, "", {}};
      // HCS changes a container's settings only while it runs.
      if (s->state != "Running") return Outcome{codes::kHcsEInvalidState, "", {}};
      if (!WellFormedModify(json::parse(text))) return Outcome{codes::kEInvalidArg, "", {}};
      s->modifications.push_back(text);
      return Outcome{};
    });
  }

  static uint32_t SetSystemCallback(HcsHandle sys, uint32_t, const void* ctx, HcsEventCallback cb) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    if (auto hr = f.SyncFault(FakeCall::kSetSystemCallback)) return *hr;
    auto it = f.Held(f.sys_handles, sys);
    if (it == f.sys_handles.end()) return kErrorInvalidHandleHr;
    if (it->second.cb != nullptr) return codes::kHcsEOperationSystemCallbackAlreadySet;
    it->second.cb = cb;
    it->second.ctx = const_cast<void*>(ctx);
    return codes::kSOk;
  }

  static uint32_t CreateProcess(HcsHandle sys, const wchar_t* params_w, HcsHandle op, const void*,
                                HcsHandle* out) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    const std::string params = win32::WideToUtf8(params_w);
    std::string system_id;
    Outcome produced;
    const uint32_t hr = f.RunCall(
        FakeCall::kCreateProcess, op,
        [&] {
          Outcome err;
          FakeSystem* s = SystemOf(f, sys, &system_id, &err);
          if (s == nullptr) return err;
          const json p = json::parse(params, nullptr, false);
          if (!p.is_object()) return Outcome{codes::kHcsEInvalidJson, "", {}};
          if (s->state != "Running") return Outcome{codes::kHcsEInvalidState, "", {}};
          const uint32_t pid = s->next_pid;
          s->next_pid += 4;
          s->processes[pid].parameters = params;
          Outcome o;
          o.info.process_id = pid;
          auto pipe = [&](const char* key, int slot) -> void* {
            if (!p.value(key, false)) return nullptr;
            const uintptr_t h = f.NewId();
            FakePipe& created = f.stdio[h];
            created.system_id = system_id;
            created.pid = pid;
            created.input = slot == 0;
            created.holder = t_holder;
            s->processes[pid].stdio[slot] = h;
            return ToHandle(h);
          };
          o.info.std_input = pipe("CreateStdInPipe", 0);
          o.info.std_output = pipe("CreateStdOutPipe", 1);
          o.info.std_error = pipe("CreateStdErrPipe", 2);
          if (f.early_exit && f.early_exit->when == FakeExitMoment::kBeforeCallback) {
            // Done before the caller holds a handle: no ProcessExited is
            // delivered to anyone, and HCS does not replay it later.
            FakeProcess& created = s->processes[pid];
            auto out = f.stdio.find(created.stdio[1]);
            if (out != f.stdio.end()) out->second.buffered += f.early_exit->stdout_data;
            f.ExitProcessLocked(system_id, pid, created, f.early_exit->code);
            f.early_exit.reset();
          }
          return o;
        },
        &produced);
    if (codes::Succeeded(hr) || codes::IsPending(hr)) {
      const uintptr_t h = f.NewId();
      ProcHandle ph{system_id, produced.info.process_id};
      ph.via_system = FromHandle(sys);
      f.proc_handles.emplace(h, std::move(ph));
      *out = ToHandle(h);
      if (f.early_exit && f.early_exit->when == FakeExitMoment::kAtCallback) {
        f.exit_on_callback.emplace(h, *f.early_exit);
        f.early_exit.reset();
      }
    }
    return hr;
  }

  static uint32_t OpenProcess(HcsHandle sys, uint32_t pid, uint32_t, HcsHandle* out) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    if (auto hr = f.SyncFault(FakeCall::kOpenProcess)) return *hr;
    std::string id;
    Outcome err;
    FakeSystem* s = SystemOf(f, sys, &id, &err);
    if (s == nullptr) return err.hr;
    auto it = s->processes.find(pid);
    if (it == s->processes.end() || !it->second.running) return 0x80070490;  // ERROR_NOT_FOUND
    const uintptr_t h = f.NewId();
    ProcHandle ph{id, pid};
    ph.via_system = FromHandle(sys);
    f.proc_handles.emplace(h, std::move(ph));
    *out = ToHandle(h);
    return codes::kSOk;
  }

  static void CloseProcess(HcsHandle proc) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    auto it = f.Held(f.proc_handles, proc);
    if (it == f.proc_handles.end()) return f.RefuseClose(proc);
    f.exit_on_callback.erase(it->first);
    f.proc_handles.erase(it);
  }

  // Runs `fn` on the process behind `proc`, or returns the lookup error.
  static Outcome WithProcess(FakeHcs::Impl& f, HcsHandle proc,
                             const std::function<Outcome(const std::string&, uint32_t, FakeProcess&)>& fn) {
    auto it = f.Held(f.proc_handles, proc);
    if (it == f.proc_handles.end()) return Outcome{kErrorInvalidHandleHr, "", {}};
    FakeSystem* s = f.FindSystem(it->second.system_id);
    if (s == nullptr) return Outcome{codes::kHcsESystemNotFound, "", {}};
    auto p = s->processes.find(it->second.pid);
    if (p == s->processes.end()) return Outcome{0x80070490, "", {}};
    return fn(it->second.system_id, it->second.pid, p->second);
  }

  static uint32_t SignalProcess(HcsHandle proc, HcsHandle op, const wchar_t* options) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    const std::string text = win32::WideToUtf8(options);
    if (f.QueuedBehindBlockedSignal(FakeCall::kSignalProcess, proc, op)) return codes::kSOk;
    const uint32_t hr = f.RunCall(FakeCall::kSignalProcess, op, [&] {
      return WithProcess(f, proc, [&](const std::string&, uint32_t, FakeProcess& p) {
        if (!p.running) return Outcome{codes::kHcsEInvalidState, "", {}};
        p.signals.push_back(text);
        return Outcome{};
      });
    });
    auto o = f.ops.find(FromHandle(op));
    auto h = f.proc_handles.find(FromHandle(proc));
    if (o != f.ops.end() && o->second.blocked) {
      if (h == f.proc_handles.end() || o->second.hr != codes::kSOk) {
        f.CompleteBlocked(o->second);  // refused at once: nothing to block on
      } else {
        o->second.blocked_system = h->second.system_id;
        o->second.blocked_pid = h->second.pid;
        o->second.blocked_via = h->second.via_system;
      }
    }
    return hr;
  }

  static uint32_t TerminateProcess(HcsHandle proc, HcsHandle op, const wchar_t*) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    if (f.QueuedBehindBlockedSignal(FakeCall::kTerminateProcess, proc, op)) return codes::kSOk;
    return f.RunCall(FakeCall::kTerminateProcess, op, [&] {
      return WithProcess(f, proc, [&](const std::string& sid, uint32_t pid, FakeProcess& p) {
        if (!p.running) return Outcome{codes::kHcsEProcessAlreadyStopped, "", {}};
        f.ExitProcessLocked(sid, pid, p, 1);
        return Outcome{};
      });
    });
  }

  static uint32_t GetProcessInfo(HcsHandle proc, HcsHandle op) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    return f.RunCall(FakeCall::kGetProcessInfo, op, [&] {
      return WithProcess(f, proc, [&](const std::string&, uint32_t pid, FakeProcess&) {
        Outcome o;
        o.info.process_id = pid;
        return o;
      });
    });
  }

  // ProcessStatus, as HCS reports it whether or not the exit was delivered.
  static uint32_t GetProcessProperties(HcsHandle proc, HcsHandle op, const wchar_t*) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    return f.RunCall(FakeCall::kGetProcessProperties, op, [&] {
      return WithProcess(f, proc, [&](const std::string&, uint32_t pid, FakeProcess& p) {
        json status = {{"ProcessId", pid}, {"Exited", !p.running}};
        if (!p.running) {
          status["ExitCode"] = p.exit_code;
          status["LastWaitResult"] = 0;
        }
        return Outcome{codes::kSOk, status.dump(), {}};
      });
    });
  }

  static uint32_t ModifyProcess(HcsHandle proc, HcsHandle op, const wchar_t* settings) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    const std::string text = win32::WideToUtf8(settings);
    return f.RunCall(FakeCall::kModifyProcess, op, [&] {
      return WithProcess(f, proc, [&](const std::string&, uint32_t, FakeProcess& p) {
        if (!json::accept(text)) return Outcome{codes::kHcsEInvalidJson, "", {}};
        if (!p.running) return Outcome{codes::kHcsEInvalidState, "", {}};
        p.signals.push_back("modify:" + text);
        return Outcome{};
      });
    });
  }

  static uint32_t SetProcessCallback(HcsHandle proc, uint32_t, void* ctx, HcsEventCallback cb) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    if (auto hr = f.SyncFault(FakeCall::kSetProcessCallback)) return *hr;
    auto it = f.Held(f.proc_handles, proc);
    if (it == f.proc_handles.end()) return kErrorInvalidHandleHr;
    if (it->second.cb != nullptr) return codes::kHcsEOperationSystemCallbackAlreadySet;
    it->second.cb = cb;
    it->second.ctx = ctx;
    auto early = f.exit_on_callback.find(FromHandle(proc));
    if (early != f.exit_on_callback.end()) {
      // Ends right as the callback is set: ProcessExited is delivered and a
      // status query sees the exit too.
      FakeProcess* p = f.FindProcess(it->second.system_id, it->second.pid);
      if (p != nullptr) f.ExitProcessLocked(it->second.system_id, it->second.pid, *p, early->second.code);
      f.exit_on_callback.erase(early);
    }
    return codes::kSOk;
  }

  static bool ValidVmAccessArgs(const std::string& vm, const std::string& path) {
    const bool drive = path.size() >= 3 && path[1] == ':' && (path[2] == '\\' || path[2] == '/');
    return !vm.empty() && (drive || path.rfind("\\\\", 0) == 0);
  }

  // HcsGrantVmAccess (grant) and HcsRevokeVmAccess.
  static uint32_t VmAccess(bool grant, const wchar_t* vm_w, const wchar_t* path_w) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    if (auto hr = f.SyncFault(grant ? FakeCall::kGrantVmAccess : FakeCall::kRevokeVmAccess)) return *hr;
    if (vm_w == nullptr || path_w == nullptr) return codes::kEInvalidArg;
    const std::string vm = win32::WideToUtf8(vm_w), path = win32::WideToUtf8(path_w);
    if (!ValidVmAccessArgs(vm, path)) return codes::kEInvalidArg;
    if (grant) {
      f.vm_grants.emplace(vm, path);  // granting twice adds no second ACE
    } else if (f.vm_grants.erase({vm, path}) == 0) {
      ++f.unmatched_revokes;
    }
    return codes::kSOk;
  }
  static uint32_t GrantVmAccess(const wchar_t* vm, const wchar_t* path) { return VmAccess(true, vm, path); }
  static uint32_t RevokeVmAccess(const wchar_t* vm, const wchar_t* path) { return VmAccess(false, vm, path); }

  static void FreeString(wchar_t* s) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    delete[] s;
    --f.strings;
  }

  static void CloseHandle(void* h) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    auto it = f.Held(f.stdio, h);
    if (it == f.stdio.end()) {
      f.RefuseClose(h);
    } else {
      f.stdio.erase(it);
    }
    f.stdio_cv.notify_all();  // a read blocked on it fails, as on a closed handle
  }

  static int64_t ReadStdio(void* h, char* buf, uint32_t len) {
    auto& f = I();
    std::unique_lock<std::mutex> lock(f.mu);
    while (true) {
      auto it = f.Held(f.stdio, h);
      if (it == f.stdio.end() || it->second.input) return -1;
      FakePipe& pipe = it->second;
      if (pipe.cancelled) {
        pipe.cancelled = false;
        return -1;
      }
      if (!pipe.buffered.empty()) {
        const size_t n = std::min<size_t>(len, pipe.buffered.size());
        std::memcpy(buf, pipe.buffered.data(), n);
        pipe.buffered.erase(0, n);
        return static_cast<int64_t>(n);
      }
      if (pipe.writer_closed) return 0;
      f.stdio_cv.wait(lock);
    }
  }

  static void CancelStdio(void* h) {
    auto& f = I();
    std::lock_guard<std::mutex> lock(f.mu);
    auto it = f.Held(f.stdio, h);
    if (it == f.stdio.end()) return;
    // As CancelIoEx: a write is cancelled only while it is pending (reads
    // keep the flag for the next read, which tests of the drains rely on).
    if (it->second.input && !it->second.write_pending) return;
    it->second.cancelled = true;
    f.stdio_cv.notify_all();
  }

  static int64_t WriteStdio(void* h, const char* data, uint32_t len) {
    auto& f = I();
    std::unique_lock<std::mutex> lock(f.mu);
    while (true) {
      // Looked up again after every wait: a close erases the pipe.
      auto it = f.Held(f.stdio, h);
      if (it == f.stdio.end() || !it->second.input) return -1;
      FakePipe& pipe = it->second;
      if (pipe.cancelled) {
        pipe.cancelled = false;
        pipe.write_pending = false;
        return -1;
      }
      FakeProcess* p = f.FindProcess(pipe.system_id, pipe.pid);
      if (p == nullptr) return -1;
      // A stalled pipe stays full even after the exit: HCS's stdio relay (or
      // a child that inherited the pipe) keeps its far end open.
      if (!p->stdin_stalled) {
        pipe.write_pending = false;
        if (pipe.writer_closed || !p->running) return -1;
        p->stdin_data.append(data, len);
        return len;
      }
      pipe.write_pending = true;
      f.stdio_cv.wait(lock);
    }
  }
};

namespace {

template <int H>
void FillTables(hcs::HcsApi* api, hcs::StdioIo* io) {
  using E = FakeEntryPoints;
#define SILO_FAKE_AS(fn) HolderThunk<HolderScope, H, &E::fn>(&E::fn)
  api->create_operation = SILO_FAKE_AS(CreateOperation);
  api->close_operation = SILO_FAKE_AS(CloseOperation);
  api->get_operation_result = SILO_FAKE_AS(GetOperationResult);
  api->get_operation_result_and_process_info = SILO_FAKE_AS(GetOperationResultAndInfo);
  api->wait_for_operation_result = SILO_FAKE_AS(WaitForOperationResult);
  api->wait_for_operation_result_and_process_info = SILO_FAKE_AS(WaitForOperationResultAndInfo);
  api->cancel_operation = SILO_FAKE_AS(CancelOperation);
  api->enumerate_compute_systems = SILO_FAKE_AS(Enumerate);
  api->create_compute_system = SILO_FAKE_AS(CreateComputeSystem);
  api->open_compute_system = SILO_FAKE_AS(OpenComputeSystem);
  api->close_compute_system = SILO_FAKE_AS(CloseComputeSystem);
  api->start_compute_system = SILO_FAKE_AS(Start);
  api->shut_down_compute_system = SILO_FAKE_AS(ShutDown);
  api->terminate_compute_system = SILO_FAKE_AS(Terminate);
  api->get_compute_system_properties = SILO_FAKE_AS(Properties);
  api->modify_compute_system = SILO_FAKE_AS(Modify);
  api->set_compute_system_callback = SILO_FAKE_AS(SetSystemCallback);
  api->create_process = SILO_FAKE_AS(CreateProcess);
  api->open_process = SILO_FAKE_AS(OpenProcess);
  api->close_process = SILO_FAKE_AS(CloseProcess);
  api->terminate_process = SILO_FAKE_AS(TerminateProcess);
  api->signal_process = SILO_FAKE_AS(SignalProcess);
  api->get_process_info = SILO_FAKE_AS(GetProcessInfo);
  api->get_process_properties = SILO_FAKE_AS(GetProcessProperties);
  api->modify_process = SILO_FAKE_AS(ModifyProcess);
  api->set_process_callback = SILO_FAKE_AS(SetProcessCallback);
  api->free_string = SILO_FAKE_AS(FreeString);
  api->close_handle = SILO_FAKE_AS(CloseHandle);
  io->read = SILO_FAKE_AS(ReadStdio);
  io->write = SILO_FAKE_AS(WriteStdio);
  io->cancel = SILO_FAKE_AS(CancelStdio);
#undef SILO_FAKE_AS
}

template <size_t... H>
void FillAllTables(hcs::HcsApi* apis, hcs::StdioIo* ios, std::index_sequence<H...>) {
  (FillTables<static_cast<int>(H)>(&apis[H], &ios[H]), ...);
}

}  // namespace

FakeHcs::FakeHcs() : impl_(std::make_unique<Impl>()) {
  if (g_impl != nullptr) {
    std::fprintf(stderr, "FakeHcs: only one FakeHcs may be alive at a time\n");
    std::abort();
  }
  g_impl = impl_.get();
  impl_->worker = std::thread([impl = impl_.get()] { impl->WorkerLoop(); });
  using E = FakeEntryPoints;
  api_.create_operation = &E::CreateOperation;
  api_.close_operation = &E::CloseOperation;
  api_.get_operation_result = &E::GetOperationResult;
  api_.get_operation_result_and_process_info = &E::GetOperationResultAndInfo;
  api_.wait_for_operation_result = &E::WaitForOperationResult;
  api_.wait_for_operation_result_and_process_info = &E::WaitForOperationResultAndInfo;
  api_.cancel_operation = &E::CancelOperation;
  api_.enumerate_compute_systems = &E::Enumerate;
  api_.create_compute_system = &E::CreateComputeSystem;
  api_.open_compute_system = &E::OpenComputeSystem;
  api_.close_compute_system = &E::CloseComputeSystem;
  api_.start_compute_system = &E::Start;
  api_.shut_down_compute_system = &E::ShutDown;
  api_.terminate_compute_system = &E::Terminate;
  api_.get_compute_system_properties = &E::Properties;
  api_.modify_compute_system = &E::Modify;
  api_.set_compute_system_callback = &E::SetSystemCallback;
  api_.create_process = &E::CreateProcess;
  api_.open_process = &E::OpenProcess;
  api_.close_process = &E::CloseProcess;
  api_.terminate_process = &E::TerminateProcess;
  api_.signal_process = &E::SignalProcess;
  api_.get_process_info = &E::GetProcessInfo;
  api_.get_process_properties = &E::GetProcessProperties;
  api_.modify_process = &E::ModifyProcess;
  api_.set_process_callback = &E::SetProcessCallback;
  api_.free_string = &E::FreeString;
  api_.close_handle = &E::CloseHandle;
  api_.grant_vm_access = &E::GrantVmAccess;
  api_.revoke_vm_access = &E::RevokeVmAccess;
  stdio_io_.read = &E::ReadStdio;
  stdio_io_.write = &E::WriteStdio;
  stdio_io_.cancel = &E::CancelStdio;
  api_no_cancel_ = api_;
  api_no_cancel_.cancel_operation = nullptr;
  FillAllTables(holder_apis_, holder_ios_, std::make_index_sequence<kMaxHolders>());
}

const hcs::HcsApi& FakeHcs::api_for(int holder) const {
  if (holder <= 0 || holder >= kMaxHolders) {
    std::fprintf(stderr, "FakeHcs: no table for process %d\n", holder);
    std::abort();
  }
  return holder_apis_[holder];
}

const hcs::StdioIo& FakeHcs::stdio_io_for(int holder) const {
  if (holder <= 0 || holder >= kMaxHolders) {
    std::fprintf(stderr, "FakeHcs: no stdio table for process %d\n", holder);
    std::abort();
  }
  return holder_ios_[holder];
}

int FakeHcs::ReapHolder(int holder) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl& f = *impl_;
  HolderScope scope(holder);
  int closed = 0;
  auto reap = [&](auto& handles) {
    for (auto it = handles.begin(); it != handles.end();) {
      if (it->second.holder != holder) {
        ++it;
        continue;
      }
      f.reaped[it->first] = holder;
      it = handles.erase(it);
      ++closed;
    }
  };
  reap(f.proc_handles);
  reap(f.stdio);
  f.stdio_cv.notify_all();
  reap(f.ops);
  std::vector<uintptr_t> systems;
  for (const auto& [h, sh] : f.sys_handles) {
    if (sh.holder == holder) systems.push_back(h);
  }
  for (uintptr_t h : systems) {
    f.reaped[h] = holder;
    FakeEntryPoints::CloseSystemHandleLocked(f, f.sys_handles.find(h));
    ++closed;
  }
  return closed;
}

int FakeHcs::open_system_handles(int holder) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int n = 0;
  for (const auto& [h, sh] : impl_->sys_handles) n += sh.holder == holder ? 1 : 0;
  return n;
}

FakeHcs::~FakeHcs() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
    impl_->queue_cv.notify_all();
  }
  impl_->worker.join();  // drains the queue first
  g_impl = nullptr;
}

void FakeHcs::Inject(FakeInjection injection) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->injections.push_back(std::move(injection));
}

void FakeHcs::AddSystem(const std::string& id, const std::string& owner, bool running,
                        bool terminate_on_last_handle_closed) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  FakeSystem s;
  s.owner = owner;
  s.state = running ? "Running" : "Created";
  s.terminate_on_last_handle_closed = terminate_on_last_handle_closed;
  impl_->systems[id] = std::move(s);
}

void FakeHcs::ReleaseBlocked() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& [id, op] : impl_->ops) {
    if (op.blocked) impl_->CompleteBlocked(op);
  }
}

int FakeHcs::blocked_operations() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int n = 0;
  for (const auto& [id, op] : impl_->ops) n += op.blocked ? 1 : 0;
  return n;
}

void FakeHcs::ExitProcess(const std::string& system_id, uint32_t pid, uint32_t exit_code) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  FakeSystem* s = impl_->FindSystem(system_id);
  if (s == nullptr) return;
  auto it = s->processes.find(pid);
  if (it != s->processes.end()) impl_->ExitProcessLocked(system_id, pid, it->second, exit_code);
}

void FakeHcs::ExitNextProcess(FakeExitMoment when, uint32_t exit_code, std::string stdout_data) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->early_exit = FakeHcs::Impl::EarlyExit{when, exit_code, std::move(stdout_data)};
}

void FakeHcs::StopReadingStdin(const std::string& system_id, uint32_t pid, bool stop) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  FakeProcess* p = impl_->FindProcess(system_id, pid);
  if (p != nullptr) p->stdin_stalled = stop;
  impl_->stdio_cv.notify_all();
}

int FakeHcs::blocked_stdin_writes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int n = 0;
  for (const auto& [h, pipe] : impl_->stdio) n += pipe.write_pending ? 1 : 0;
  return n;
}

void FakeHcs::SetProperty(const std::string& system_id, const std::string& type, const std::string& value_json) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  FakeSystem* s = impl_->FindSystem(system_id);
  if (s != nullptr) s->properties[type] = json::parse(value_json);
}

void FakeHcs::CrashSystem(const std::string& system_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  FakeSystem* s = impl_->FindSystem(system_id);
  if (s != nullptr && s->state != "Stopped") impl_->StopSystemLocked(system_id, *s, "UnexpectedExit");
}

void FakeHcs::DisconnectService() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& [id, h] : impl_->sys_handles) impl_->PostEvent(h.cb, h.ctx, hcs::kHcsEventServiceDisconnect, "");
  for (auto& [id, h] : impl_->proc_handles) impl_->PostEvent(h.cb, h.ctx, hcs::kHcsEventServiceDisconnect, "");
}

void FakeHcs::set_ignore_shutdown(bool ignore) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->ignore_shutdown = ignore;
}

void FakeHcs::set_enumerate_ignores_query(bool ignore) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->enumerate_ignores_query = ignore;
}

void FakeHcs::Drain() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->idle_cv.wait(lock, [&] { return impl_->queue.empty() && !impl_->busy; });
}

bool FakeHcs::SystemExists(const std::string& id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->systems.count(id) != 0;
}

std::string FakeHcs::SystemState(const std::string& id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->systems.find(id);
  return it == impl_->systems.end() ? "" : it->second.state;
}

std::vector<std::string> FakeHcs::Modifications(const std::string& id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->systems.find(id);
  return it == impl_->systems.end() ? std::vector<std::string>{} : it->second.modifications;
}

std::string FakeHcs::Configuration(const std::string& id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->systems.find(id);
  return it == impl_->systems.end() ? "" : it->second.configuration;
}

std::string FakeHcs::ProcessParameters(const std::string& id, uint32_t pid) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->systems.find(id);
  if (it == impl_->systems.end()) return "";
  auto p = it->second.processes.find(pid);
  return p == it->second.processes.end() ? "" : p->second.parameters;
}

std::vector<std::string> FakeHcs::Signals(const std::string& id, uint32_t pid) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->systems.find(id);
  if (it == impl_->systems.end()) return {};
  auto p = it->second.processes.find(pid);
  return p == it->second.processes.end() ? std::vector<std::string>{} : p->second.signals;
}

bool FakeHcs::WriteProcessOutput(const std::string& system_id, uint32_t pid, bool to_stderr,
                                 const std::string& data) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  FakeProcess* p = impl_->FindProcess(system_id, pid);
  if (p == nullptr || !p->running) return false;
  auto it = impl_->stdio.find(p->stdio[to_stderr ? 2 : 1]);
  if (it == impl_->stdio.end()) return false;
  it->second.buffered += data;
  impl_->stdio_cv.notify_all();
  return true;
}

std::string FakeHcs::ProcessStdin(const std::string& system_id, uint32_t pid) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const FakeProcess* p = impl_->FindProcess(system_id, pid);
  return p == nullptr ? std::string() : p->stdin_data;
}

bool FakeHcs::ProcessRunning(const std::string& id, uint32_t pid) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->systems.find(id);
  if (it == impl_->systems.end()) return false;
  auto p = it->second.processes.find(pid);
  return p != it->second.processes.end() && p->second.running;
}

#define SILO_FAKE_COUNTER(name, expr)              \
  int FakeHcs::name() const {                      \
    std::lock_guard<std::mutex> lock(impl_->mu);   \
    return static_cast<int>(expr);                 \
  }
SILO_FAKE_COUNTER(open_operations, impl_->ops.size())
SILO_FAKE_COUNTER(open_system_handles, impl_->sys_handles.size())
SILO_FAKE_COUNTER(open_process_handles, impl_->proc_handles.size())
SILO_FAKE_COUNTER(open_stdio_handles, impl_->stdio.size())
SILO_FAKE_COUNTER(outstanding_strings, impl_->strings)
SILO_FAKE_COUNTER(cancelled_operations, impl_->cancelled)
SILO_FAKE_COUNTER(bad_closes, impl_->bad_closes)
SILO_FAKE_COUNTER(operations_created, impl_->ops_created)
#undef SILO_FAKE_COUNTER

uint32_t FakeHcs::last_wait_timeout_ms() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last_timeout;
}

int FakeHcs::calls(FakeCall call) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->call_counts.find(call);
  return it == impl_->call_counts.end() ? 0 : it->second;
}

std::vector<FakeCall> FakeHcs::call_sequence() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->sequence;
}

std::vector<std::string> FakeHcs::vm_access_grants() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [vm, path] : impl_->vm_grants) out.push_back(vm + "|" + path);
  return out;
}

int FakeHcs::unmatched_vm_access_revokes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->unmatched_revokes;
}

}  // namespace silo::runtime::windows::fake
