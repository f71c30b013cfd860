#include "runtime/windows/hostprocess/fake/fake_process_api.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>

#include "runtime/base/windows/wide.h"
#include "runtime/windows/fake/holder_thunk.h"
#include "runtime/windows/jobobject/fake/fake_job_api.h"

namespace silo::runtime::windows::hostprocess::fake {
namespace {

constexpr uint32_t kErrorAccessDenied = 5;
constexpr uint32_t kErrorNotSupported = 50;
constexpr uint32_t kErrorInsufficientBuffer = 122;
constexpr uint32_t kErrorNoData = 232;
// What a stdin pipe holds before a write blocks (a program not reading).
constexpr size_t kFakePipeCapacity = 64 * 1024;
constexpr uint32_t kErrorLogonFailure = 1326;
constexpr uint32_t kNerrUserExists = 2224;
constexpr uint32_t kNerrUserNotFound = 2221;
constexpr uint32_t kNerrGroupNotFound = 2220;
constexpr uint32_t kStatusInvalidParameter = 0xC000000D;
constexpr uint32_t kStatusControlCExit = 0xC000013A;

enum class Kind { kJob, kProcess, kThread, kToken, kPipeRead, kPipeWrite, kConsole };

struct Pipe {
  std::string data;  // data[consumed..] is unread
  size_t consumed = 0;
  int writers = 0;  // write handles plus live processes writing to it
  int readers = 0;  // read handles plus the live process it is the stdin of
  // A stdin pipe: what a write may queue before it blocks (the program
  // not reading), and the echoing program that consumes it at once.
  size_t capacity = 0;  // 0: unbounded
  std::weak_ptr<struct Process> echo;
  int consoles = 0;  // open pseudo consoles whose input it is
  bool empty() const { return consumed == data.size(); }
};

struct Process {
  uint32_t pid = 0;
  FakeLaunch launch;
  FakeProgram program;
  bool resumed = false;
  bool exited = false;
  uint32_t exit_code = kStillActive;
  std::vector<std::shared_ptr<Pipe>> outputs;  // held while alive
  std::shared_ptr<Pipe> input;                 // its stdin, read while alive
  std::string job;
};

struct Job {
  int handles = 0;
  std::wstring owner;  // SID text
  std::wstring sddl;   // as created; "" for the default security
  JobLimitsSpec limits;
  bool limits_set = false;
  bool silo = false;
  std::map<std::string, std::string> binds;
  std::vector<std::shared_ptr<Process>> processes;
  JobAccountingSpec accounting;
};

struct Handle {
  Kind kind;
  std::string job;  // kJob
  std::shared_ptr<Process> process;  // kProcess, kThread
  std::shared_ptr<Pipe> pipe;        // pipes
  std::string user;                  // kToken
  int holder = 0;                    // the simulated process owning it (Add sets it)
  std::shared_ptr<Pipe> console_out = nullptr;  // kConsole: the output pipe (`pipe` is its input)
  size_t console_index = 0;           // kConsole: in console_sizes
  bool pending = false;              // pipes: a read_file or write_file is pending
  bool cancelled = false;            // ... and CancelIoEx aborted it
};

thread_local uint32_t t_last_error = 0;
// The simulated Windows process making the current call (FakeProcessApi::
// api_for): handles belong to the process that opened them, as in Windows,
// where a handle value means nothing in another process. 0 is silod.
thread_local int t_holder = 0;

struct HolderScope {
  explicit HolderScope(int holder) : saved(t_holder) { t_holder = holder; }
  ~HolderScope() { t_holder = saved; }
  int saved;
};

std::string Narrow(const wchar_t* s) { return s == nullptr ? std::string() : silo::win32::WideToUtf8(s); }

std::string Executable(const std::string& command_line) {
  if (!command_line.empty() && command_line[0] == '"') {
    size_t end = command_line.find('"', 1);
    return command_line.substr(1, end == std::string::npos ? std::string::npos : end - 1);
  }
  return command_line.substr(0, command_line.find(' '));
}

}  // namespace

struct FakeProcessApi::Impl {
  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<uintptr_t, Handle> handles;
  uintptr_t next_handle = 0x100;
  uint32_t next_pid = 1000;
  std::map<std::string, Job> jobs;
  std::map<std::string, FakeProgram> programs;
  std::map<std::string, uint32_t> failures;
  std::map<std::string, std::pair<std::string, std::string>> users;  // name -> password, group
  std::map<std::string, std::string> links;
  std::set<void*> env_blocks;
  std::vector<std::string> calls;
  std::vector<FakeLaunch> launches;
  std::vector<std::pair<uint32_t, uint32_t>> ctrl_events;  // pid, event
  std::vector<std::vector<uint8_t>> random_draws;
  std::vector<std::shared_ptr<Process>> live;
  std::vector<std::vector<std::pair<uint16_t, uint16_t>>> console_sizes;
  bool bind_filter = true;
  bool caller_job = false;
  bool caller_job_allows_breakaway = false;
  int bad_closes = 0;
  int external_holds = 0;
  // Handles closed because their process died (ReapHolder), by handle: the
  // in-process stand-in of that process may still run its cleanup, whose
  // closes fail as they would have in no process at all, and are not bad.
  std::map<uintptr_t, int> reaped;

  // PauseNext: the call parked, and whether one is parked now.
  std::string pause_call;
  bool paused = false;
  void Gate(const char* call, std::unique_lock<std::mutex>& lock) {
    if (pause_call != call) return;
    pause_call.clear();
    paused = true;
    cv.notify_all();
    cv.wait(lock, [&] { return !paused; });
  }

  // Records the call; true when a FailNext for it fires (error set).
  bool Enter(const char* call) {
    calls.push_back(call);
    auto it = failures.find(call);
    if (it == failures.end()) return false;
    Error(it->second);
    failures.erase(it);
    return true;
  }
  void* Add(Handle h) {
    uintptr_t id = next_handle;
    next_handle += 4;
    if (h.kind == Kind::kJob) ++jobs[h.job].handles;
    if (h.kind == Kind::kPipeWrite) ++h.pipe->writers;
    if (h.kind == Kind::kPipeRead) ++h.pipe->readers;
    h.holder = t_holder;
    handles.emplace(id, std::move(h));
    return reinterpret_cast<void*>(id);
  }
  Handle* Find(void* handle, Kind kind) {
    auto it = handles.find(reinterpret_cast<uintptr_t>(handle));
    if (it == handles.end() || it->second.kind != kind || it->second.holder != t_holder) {
      Error(kErrorInvalidHandle);
      return nullptr;
    }
    return &it->second;
  }
  // What closing a handle does: a job's last handle ends its processes
  // when it is kill-on-close; a pipe's last writer breaks it.
  void Drop(Handle h) {
    if (h.kind == Kind::kJob) {
      Job& job = jobs[h.job];
      if (--job.handles == 0 && job.limits.kill_on_close) TerminateJob(h.job, 0);
      DropJobIfUnused(h.job);
    }
    if (h.kind == Kind::kPipeRead) --h.pipe->readers;
    if (h.kind == Kind::kPipeWrite && --h.pipe->writers == 0) {
      // The end of an echoing program's stdin: it exits.
      std::shared_ptr<Process> echo = h.pipe->echo.lock();
      if (echo != nullptr && echo->resumed && echo->program.exit_code) Exit(echo, *echo->program.exit_code);
      // A console's input broke: conhost ends (CTRL_CLOSE) what runs on it.
      if (h.pipe->consoles > 0) {
        auto procs = live;  // Exit edits the list
        for (auto& p : procs) {
          if (p->input == h.pipe) Exit(p, kStatusControlCExit);
        }
      }
    }
    cv.notify_all();
  }
  void Exit(const std::shared_ptr<Process>& p, uint32_t code) {
    if (p->exited) return;
    p->exited = true;
    p->exit_code = code;
    for (auto& pipe : p->outputs) --pipe->writers;
    p->outputs.clear();
    if (p->input != nullptr) --p->input->readers;
    p->input.reset();
    live.erase(std::remove(live.begin(), live.end(), p), live.end());
    if (!p->job.empty()) {
      auto& procs = jobs[p->job].processes;
      procs.erase(std::remove(procs.begin(), procs.end(), p), procs.end());
      DropJobIfUnused(p->job);
    }
    cv.notify_all();
  }
  void DropJobIfUnused(const std::string& name) {
    auto it = jobs.find(name);
    if (it != jobs.end() && it->second.handles == 0 && it->second.processes.empty()) jobs.erase(it);
  }
  void TerminateJob(const std::string& name, uint32_t code) {
    auto procs = jobs[name].processes;  // Exit edits the list
    for (auto& p : procs) Exit(p, code);
  }
  static void Error(uint32_t e) { t_last_error = e; }
};

namespace {
std::atomic<FakeProcessApi::Impl*> g_impl{nullptr};

FakeProcessApi::Impl& I() { return *g_impl.load(); }
int32_t Fail(uint32_t error) {
  t_last_error = error;
  return 0;
}

uint32_t GetLastErrorFn() { return t_last_error; }

int32_t CloseHandleFn(void* handle) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  s.calls.push_back("CloseHandle");
  auto it = s.handles.find(reinterpret_cast<uintptr_t>(handle));
  if (it == s.handles.end() || it->second.holder != t_holder) {
    auto gone = s.reaped.find(reinterpret_cast<uintptr_t>(handle));
    if (it == s.handles.end() && gone != s.reaped.end() && gone->second == t_holder) return Fail(kErrorInvalidHandle);
    ++s.bad_closes;
    return Fail(kErrorInvalidHandle);
  }
  if (it->second.kind == Kind::kConsole) {  // ClosePseudoConsole's, not CloseHandle's
    ++s.bad_closes;
    return Fail(kErrorInvalidHandle);
  }
  Handle h = std::move(it->second);
  s.handles.erase(it);
  s.Drop(std::move(h));
  return 1;
}

void* CreateJobFn(const wchar_t* name, const wchar_t* sddl) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("CreateJobObjectW")) return nullptr;
  std::wstring owner;
  if (uint32_t err = jobobject::fake::OwnerFromSddl(sddl, &owner); err != 0) {
    Fail(err);
    return nullptr;
  }
  std::string n = Narrow(name);
  bool existed = s.jobs.count(n) > 0;
  if (!existed) {
    s.jobs[n].owner = owner;
    s.jobs[n].sddl = sddl == nullptr ? L"" : sddl;
  }
  void* h = s.Add(Handle{Kind::kJob, n, nullptr, nullptr, ""});
  t_last_error = existed ? kErrorAlreadyExists : 0;
  return h;
}

void* OpenJobFn(const wchar_t* name) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("OpenJobObjectW")) return nullptr;
  std::string n = Narrow(name);
  if (s.jobs.count(n) == 0) {
    Fail(kErrorFileNotFound);
    return nullptr;
  }
  return s.Add(Handle{Kind::kJob, n, nullptr, nullptr, ""});
}

uint32_t GetJobOwnerFn(void* job, wchar_t* sid, uint32_t capacity) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("GetSecurityInfo")) return t_last_error;
  Handle* h = s.Find(job, Kind::kJob);
  if (h == nullptr) return kErrorInvalidHandle;
  const std::wstring& owner = s.jobs[h->job].owner;
  if (sid == nullptr || owner.size() + 1 > capacity) return kErrorInsufficientBuffer;
  std::copy(owner.begin(), owner.end(), sid);
  sid[owner.size()] = L'\0';
  return 0;
}

int32_t SetLimitsFn(void* job, const JobLimitsSpec* limits) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("SetInformationJobObject")) return 0;
  Handle* h = s.Find(job, Kind::kJob);
  if (h == nullptr) return 0;
  if (limits->cpu_rate > 10000 || limits->cpu_weight > 9 || (limits->cpu_rate != 0 && limits->cpu_weight != 0)) {
    return Fail(kErrorInvalidParameter);
  }
  s.jobs[h->job].limits = *limits;
  s.jobs[h->job].limits_set = true;
  return 1;
}

int32_t PromoteFn(void* job) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("JobObjectCreateSilo")) return 0;
  Handle* h = s.Find(job, Kind::kJob);
  if (h == nullptr) return 0;
  Job& j = s.jobs[h->job];
  // A silo must be made before any process joins the job.
  if (!s.bind_filter) return Fail(kErrorNotSupported);
  if (j.silo || !j.processes.empty()) return Fail(kErrorInvalidParameter);
  j.silo = true;
  return 1;
}

int32_t BindFn(void* job, const wchar_t* source, const wchar_t* target, int32_t /*read_only*/) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  constexpr int32_t kEInvalidArg = static_cast<int32_t>(0x80070057);
  constexpr int32_t kEHandle = static_cast<int32_t>(0x80070006);
  if (s.Enter("BfSetupFilter")) return kEInvalidArg;
  Handle* h = s.Find(job, Kind::kJob);
  if (h == nullptr) return kEHandle;
  Job& j = s.jobs[h->job];
  if (!j.silo) return kEInvalidArg;  // binds exist only inside a silo
  j.binds[Narrow(target)] = Narrow(source);
  return 0;
}

int32_t LinkFn(const wchar_t* link, const wchar_t* target) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("CreateSymbolicLinkW")) return 0;
  std::string l = Narrow(link);
  if (s.links.count(l) > 0) return Fail(kErrorAlreadyExists);
  s.links[l] = Narrow(target);
  return 1;
}

int32_t RemoveLinkFn(const wchar_t* link) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("RemoveDirectoryW")) return 0;
  if (s.links.erase(Narrow(link)) == 0) return Fail(kErrorFileNotFound);
  return 1;
}

int32_t TerminateJobFn(void* job, uint32_t code) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("TerminateJobObject")) return 0;
  Handle* h = s.Find(job, Kind::kJob);
  if (h == nullptr) return 0;
  s.TerminateJob(h->job, code);
  return 1;
}

int32_t JobPidsFn(void* job, uint32_t* pids, uint32_t capacity, uint32_t* count) {
  auto& s = I();
  std::unique_lock lock(s.mu);
  s.Gate("QueryInformationJobObject(JobObjectBasicProcessIdList)", lock);
  if (s.Enter("QueryInformationJobObject(JobObjectBasicProcessIdList)")) return 0;
  Handle* h = s.Find(job, Kind::kJob);
  if (h == nullptr) return 0;
  const auto& procs = s.jobs[h->job].processes;
  *count = static_cast<uint32_t>(procs.size());
  if (procs.size() > capacity) return Fail(kErrorMoreData);
  for (size_t i = 0; i < procs.size(); ++i) pids[i] = procs[i]->pid;
  return 1;
}

void* OpenProcessFn(uint32_t pid) {
  auto& s = I();
  std::unique_lock lock(s.mu);
  s.Gate("OpenProcess", lock);
  if (s.Enter("OpenProcess")) return nullptr;
  for (const auto& p : s.live) {
    if (p->pid == pid) return s.Add(Handle{Kind::kProcess, "", p, nullptr, ""});
  }
  Fail(kErrorInvalidParameter);  // no such process (any more)
  return nullptr;
}

int32_t InJobFn(void* process, void* job, int32_t* in) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("IsProcessInJob")) return 0;
  Handle* p = s.Find(process, Kind::kProcess);
  if (p == nullptr) return 0;
  Handle* j = s.Find(job, Kind::kJob);
  if (j == nullptr) return 0;
  if (in == nullptr) return Fail(kErrorInvalidParameter);
  *in = !p->process->job.empty() && p->process->job == j->job ? 1 : 0;
  return 1;
}

int32_t QueryFn(void* job, JobAccountingSpec* out) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("QueryInformationJobObject")) return 0;
  Handle* h = s.Find(job, Kind::kJob);
  if (h == nullptr) return 0;
  Job& j = s.jobs[h->job];
  *out = j.accounting;
  out->active_processes = static_cast<uint32_t>(j.processes.size());
  return 1;
}

int32_t LogonFn(const wchar_t* user, const wchar_t* domain, const wchar_t* password, uint32_t type, void** token) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("LogonUserW")) return 0;
  std::string u = Narrow(user), d = Narrow(domain), p = Narrow(password);
  if (d == "NT AUTHORITY") {
    bool service = u == "SYSTEM" || u == "LOCAL SERVICE" || u == "NETWORK SERVICE";
    if (!service || type != kLogonService || !p.empty()) return Fail(kErrorLogonFailure);
    *token = s.Add(Handle{Kind::kToken, "", nullptr, nullptr, d + "\\" + u});
    return 1;
  }
  auto it = s.users.find(u);
  if (!d.empty() || it == s.users.end() || it->second.first != p || type != kLogonInteractive) {
    return Fail(kErrorLogonFailure);
  }
  *token = s.Add(Handle{Kind::kToken, "", nullptr, nullptr, u});
  return 1;
}

int32_t OwnTokenFn(void** token) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("OpenProcessToken")) return 0;
  *token = s.Add(Handle{Kind::kToken, "", nullptr, nullptr, ""});
  return 1;
}

uint32_t AddUserFn(const wchar_t* user, const wchar_t* password, const wchar_t* group) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("NetUserAdd")) return t_last_error;
  std::string u = Narrow(user), g = Narrow(group);
  if (u.empty() || u.size() > 20) return kErrorInvalidParameter;  // SAM account names are at most 20 characters
  if (s.users.count(u) > 0) return kNerrUserExists;
  if (g.empty() || g.find('\\') != std::string::npos) return kNerrGroupNotFound;
  s.users[u] = {Narrow(password), g};
  return 0;
}

uint32_t RandomBytesFn(void* buffer, uint32_t size) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("BCryptGenRandom")) return t_last_error;  // the NTSTATUS
  if (buffer == nullptr && size > 0) return kStatusInvalidParameter;
  std::vector<uint8_t> bytes(size);
  const uint64_t call = s.random_draws.size() + 1;
  for (uint32_t i = 0; i < size; ++i) {
    // splitmix64 of (call, i): every byte depends on both.
    uint64_t z = (call << 32 | i) + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    bytes[i] = static_cast<uint8_t>(z ^ (z >> 31));
  }
  std::memcpy(buffer, bytes.data(), size);
  s.random_draws.push_back(std::move(bytes));
  return 0;
}

uint32_t DeleteUserFn(const wchar_t* user) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("NetUserDel")) return t_last_error;
  return s.users.erase(Narrow(user)) == 0 ? kNerrUserNotFound : 0;
}

int32_t CreateEnvFn(void** block, void* token) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("CreateEnvironmentBlock")) return 0;
  std::string user = "SYSTEM";
  if (token != nullptr) {
    Handle* h = s.Find(token, Kind::kToken);
    if (h == nullptr) return 0;
    if (!h->user.empty()) user = h->user.substr(h->user.find('\\') + 1);
  }
  std::wstring text = silo::win32::Utf8ToWide("Path=C:\\Windows\\system32;C:\\Windows");
  text.push_back(L'\0');
  text += silo::win32::Utf8ToWide("SystemRoot=C:\\Windows");
  text.push_back(L'\0');
  text += silo::win32::Utf8ToWide("USERPROFILE=C:\\Users\\" + user);
  text.push_back(L'\0');
  text.push_back(L'\0');
  auto* out = static_cast<wchar_t*>(std::malloc(text.size() * sizeof(wchar_t)));
  std::memcpy(out, text.data(), text.size() * sizeof(wchar_t));
  s.env_blocks.insert(out);
  *block = out;
  return 1;
}

int32_t DestroyEnvFn(void* block) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  s.calls.push_back("DestroyEnvironmentBlock");
  if (s.env_blocks.erase(block) == 0) return Fail(kErrorInvalidParameter);
  std::free(block);
  return 1;
}

int32_t CreatePipeFn(void** read, void** write) {
  auto& s = I();
  std::unique_lock lock(s.mu);
  s.Gate("CreatePipe", lock);
  if (s.Enter("CreatePipe")) return 0;
  auto pipe = std::make_shared<Pipe>();
  *read = s.Add(Handle{Kind::kPipeRead, "", nullptr, pipe, ""});
  *write = s.Add(Handle{Kind::kPipeWrite, "", nullptr, pipe, ""});
  return 1;
}

int32_t ReadFileFn(void* handle, void* buffer, uint32_t size, uint32_t* read) {
  auto& s = I();
  std::unique_lock lock(s.mu);
  Handle* h = s.Find(handle, Kind::kPipeRead);
  if (h == nullptr) return 0;
  if (h->pending) return Fail(kErrorInvalidParameter);  // one reader per handle
  auto pipe = h->pipe;
  const auto id = reinterpret_cast<uintptr_t>(handle);
  h->pending = true;
  // Blocks as a synchronous pipe read does; the handle may be closed by
  // another thread only after this returns (the host joins its readers),
  // or by the death of its process (ReapHolder), which ends the read; a
  // CancelIoEx from another thread aborts it.
  auto gone = [&] { return s.handles.count(id) == 0; };
  auto aborted = [&] { return !gone() && s.handles.at(id).cancelled; };
  s.cv.wait(lock, [&] { return !pipe->empty() || pipe->writers == 0 || gone() || aborted(); });
  if (gone()) {
    *read = 0;
    return Fail(kErrorInvalidHandle);
  }
  Handle& self = s.handles.at(id);
  self.pending = false;
  if (self.cancelled) {
    self.cancelled = false;
    *read = 0;
    return Fail(kErrorOperationAborted);
  }
  if (pipe->empty()) {
    *read = 0;
    return Fail(kErrorBrokenPipe);
  }
  size_t n = std::min<size_t>(size, pipe->data.size() - pipe->consumed);
  std::memcpy(buffer, pipe->data.data() + pipe->consumed, n);
  pipe->consumed += n;
  if (pipe->empty()) {
    pipe->data.clear();
    pipe->consumed = 0;
  }
  *read = static_cast<uint32_t>(n);
  return 1;
}

int32_t CreateInputPipeFn(void** read, void** write) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("CreatePipe")) return 0;
  auto pipe = std::make_shared<Pipe>();
  pipe->capacity = kFakePipeCapacity;
  *read = s.Add(Handle{Kind::kPipeRead, "", nullptr, pipe, ""});
  *write = s.Add(Handle{Kind::kPipeWrite, "", nullptr, pipe, ""});
  return 1;
}

int32_t WriteFileFn(void* handle, const void* data, uint32_t size) {
  auto& s = I();
  std::unique_lock lock(s.mu);
  if (s.Enter("WriteFile")) return 0;
  Handle* h = s.Find(handle, Kind::kPipeWrite);
  if (h == nullptr) return 0;
  if (h->pending) return Fail(kErrorInvalidParameter);  // one writer per handle here
  auto pipe = h->pipe;
  const auto id = reinterpret_cast<uintptr_t>(handle);
  const std::string_view bytes(static_cast<const char*>(data), size);
  if (std::shared_ptr<Process> echo = pipe->echo.lock(); echo != nullptr && !echo->exited && echo->resumed) {
    if (!echo->outputs.empty()) echo->outputs[0]->data.append(bytes);
    s.cv.notify_all();
    return 1;
  }
  // Blocks while the pipe is full and someone may still read it, as a
  // synchronous write does; CancelIoEx from another thread aborts it.
  h->pending = true;
  auto gone = [&] { return s.handles.count(id) == 0; };
  auto room = [&] { return pipe->capacity == 0 || pipe->data.size() - pipe->consumed < pipe->capacity; };
  s.cv.wait(lock, [&] { return gone() || s.handles.at(id).cancelled || pipe->readers == 0 || room(); });
  if (gone()) return Fail(kErrorInvalidHandle);
  Handle& self = s.handles.at(id);
  self.pending = false;
  if (self.cancelled) {
    self.cancelled = false;
    return Fail(kErrorOperationAborted);
  }
  if (pipe->readers == 0) return Fail(kErrorNoData);
  pipe->data.append(bytes);
  s.cv.notify_all();
  return 1;
}

constexpr int32_t kEInvalidArgHr = static_cast<int32_t>(0x80070057);
constexpr int32_t kEHandleHr = static_cast<int32_t>(0x80070006);

int32_t CreateConsoleFn(uint16_t width, uint16_t height, void* input, void* output, void** console) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("CreatePseudoConsole")) return static_cast<int32_t>(0x80070000u | t_last_error);
  if (width == 0 || height == 0 || console == nullptr) return kEInvalidArgHr;
  Handle* in = s.Find(input, Kind::kPipeRead);
  if (in == nullptr) return kEHandleHr;
  auto in_pipe = in->pipe;
  Handle* out = s.Find(output, Kind::kPipeWrite);
  if (out == nullptr) return kEHandleHr;
  auto out_pipe = out->pipe;
  // The console's own duplicates of both ends.
  ++in_pipe->readers;
  ++in_pipe->consoles;
  ++out_pipe->writers;
  Handle h{Kind::kConsole, "", nullptr, in_pipe, ""};
  h.console_out = out_pipe;
  h.console_index = s.console_sizes.size();
  s.console_sizes.push_back({{width, height}});
  // Not a kernel handle: counted with the others only so a leak shows.
  *console = s.Add(std::move(h));
  return 0;
}

int32_t ResizeConsoleFn(void* console, uint16_t width, uint16_t height) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("ResizePseudoConsole")) return static_cast<int32_t>(0x80070000u | t_last_error);
  Handle* h = s.Find(console, Kind::kConsole);
  if (h == nullptr) return kEHandleHr;
  if (width == 0 || height == 0) return kEInvalidArgHr;
  s.console_sizes[h->console_index].push_back({width, height});
  return 0;
}

void CloseConsoleFn(void* console) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  s.calls.push_back("ClosePseudoConsole");
  auto it = s.handles.find(reinterpret_cast<uintptr_t>(console));
  if (it == s.handles.end() || it->second.kind != Kind::kConsole || it->second.holder != t_holder) {
    ++s.bad_closes;  // a second close, or not a console: freed memory on Windows
    return;
  }
  Handle h = std::move(it->second);
  s.handles.erase(it);
  --h.pipe->readers;
  --h.pipe->consoles;
  --h.console_out->writers;  // flushed: the output ends once its processes' copies are gone
  s.cv.notify_all();
}

int32_t CancelIoFn(void* handle) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("CancelIoEx")) return 0;
  auto it = s.handles.find(reinterpret_cast<uintptr_t>(handle));
  if (it == s.handles.end() || it->second.holder != t_holder) return Fail(kErrorInvalidHandle);
  Handle& h = it->second;
  if (!h.pending || h.cancelled) return Fail(kErrorNotFound);  // nothing pending to cancel
  h.cancelled = true;
  s.cv.notify_all();
  return 1;
}

int32_t CreateProcessFn(const LaunchSpec* spec, LaunchedProcess* out) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("CreateProcessAsUserW")) return 0;
  std::string user;
  if (spec->token != nullptr) {
    Handle* t = s.Find(spec->token, Kind::kToken);
    if (t == nullptr) return 0;
    user = t->user;
  }
  if (spec->command_line == nullptr || spec->environment == nullptr) return Fail(kErrorInvalidParameter);
  std::vector<std::shared_ptr<Pipe>> outputs;
  for (void* out_handle : {spec->std_output, spec->std_error}) {
    if (out_handle == nullptr) continue;
    Handle* p = s.Find(out_handle, Kind::kPipeWrite);
    if (p == nullptr) return 0;
    outputs.push_back(p->pipe);
  }
  std::shared_ptr<Pipe> input;
  std::optional<std::pair<uint16_t, uint16_t>> console;
  if (spec->pseudo_console != nullptr) {
    Handle* c = s.Find(spec->pseudo_console, Kind::kConsole);
    if (c == nullptr) return 0;  // a closed console, or not one
    if (!outputs.empty() || spec->std_input != nullptr) return Fail(kErrorInvalidParameter);
    outputs = {c->console_out, c->console_out};
    input = c->pipe;
    console = s.console_sizes[c->console_index].back();
  }
  if (spec->std_input != nullptr) {
    Handle* p = s.Find(spec->std_input, Kind::kPipeRead);
    if (p == nullptr) return 0;
    input = p->pipe;
  }
  auto proc = std::make_shared<Process>();
  proc->launch.command_line = Narrow(spec->command_line);
  for (const wchar_t* e = spec->environment; *e != L'\0'; e += std::wcslen(e) + 1) {
    proc->launch.environment.push_back(Narrow(e));
  }
  proc->launch.working_directory = Narrow(spec->working_directory);
  proc->launch.console = console;
  proc->launch.new_process_group = spec->new_process_group;
  proc->launch.user = user;
  std::string job;
  if (spec->job != nullptr) {
    Handle* j = s.Find(spec->job, Kind::kJob);
    if (j == nullptr) return 0;
    job = j->job;
  }
  // silod's own job: a child leaves it only by breaking away, which that
  // job must allow.
  if (s.caller_job && spec->breakaway_from_job && !s.caller_job_allows_breakaway) return Fail(kErrorAccessDenied);
  proc->launch.in_silods_job = s.caller_job && !spec->breakaway_from_job;
  auto program = s.programs.find(Executable(proc->launch.command_line));
  if (program == s.programs.end()) return Fail(kErrorFileNotFound);
  proc->program = program->second;
  proc->pid = s.next_pid++;
  proc->outputs = outputs;
  for (auto& pipe : outputs) ++pipe->writers;
  if (input != nullptr) {
    proc->input = input;
    ++input->readers;
    if (proc->program.echo_stdin) input->echo = proc;
  }
  if (!job.empty()) {
    proc->job = job;
    proc->launch.job = job;
    s.jobs[job].processes.push_back(proc);
  }
  s.live.push_back(proc);
  s.launches.push_back(proc->launch);
  out->process = s.Add(Handle{Kind::kProcess, "", proc, nullptr, ""});
  out->thread = s.Add(Handle{Kind::kThread, "", proc, nullptr, ""});
  out->pid = proc->pid;
  return 1;
}

uint32_t ResumeFn(void* thread) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("ResumeThread")) return 0xFFFFFFFF;
  Handle* h = s.Find(thread, Kind::kThread);
  if (h == nullptr) return 0xFFFFFFFF;
  auto proc = h->process;
  if (proc->resumed || proc->exited) return 0;  // not suspended: previous count 0
  proc->resumed = true;
  if (proc->outputs.size() > 0) proc->outputs[0]->data += proc->program.stdout_data;
  if (proc->outputs.size() > 1) proc->outputs[1]->data += proc->program.stderr_data;
  if (proc->program.child_holds_output && !proc->job.empty()) {
    // A background child it started: in the same job, with the same stdio,
    // running until terminated.
    auto child = std::make_shared<Process>();
    child->pid = s.next_pid++;
    child->launch = proc->launch;
    child->program = FakeProgram{};
    child->program.exit_on_ctrl_event = proc->program.exit_on_ctrl_event;  // its handler too
    child->resumed = true;
    child->job = proc->job;
    child->outputs = proc->outputs;
    for (auto& pipe : child->outputs) ++pipe->writers;
    child->input = proc->input;  // which it never reads
    if (child->input != nullptr) ++child->input->readers;
    s.jobs[child->job].processes.push_back(child);
    s.live.push_back(child);
  }
  if (proc->program.echo_stdin && proc->input != nullptr) {
    // What was written before it ran, then the rest as it comes; it exits
    // at the end of its stdin.
    Pipe& in = *proc->input;
    if (!proc->outputs.empty()) proc->outputs[0]->data.append(in.data, in.consumed, std::string::npos);
    in.data.clear();
    in.consumed = 0;
    if (in.writers > 0) {
      s.cv.notify_all();
      return 1;
    }
  }
  if (proc->program.exit_code) s.Exit(proc, *proc->program.exit_code);
  s.cv.notify_all();
  return 1;
}

int32_t TerminateProcessFn(void* process, uint32_t code) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("TerminateProcess")) return 0;
  Handle* h = s.Find(process, Kind::kProcess);
  if (h == nullptr) return 0;
  if (h->process->exited) return Fail(kErrorAccessDenied);
  s.Exit(h->process, code);
  return 1;
}

int32_t SendCtrlFn(void* process, uint32_t event) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  if (s.Enter("CreateRemoteThread")) return 0;
  Handle* h = s.Find(process, Kind::kProcess);
  if (h == nullptr) return 0;
  if (event != kCtrlCEvent && event != kCtrlBreakEvent && event != kCtrlCloseEvent && event != kCtrlLogoffEvent &&
      event != kCtrlShutdownEvent) {
    return Fail(kErrorInvalidParameter);
  }
  auto proc = h->process;
  if (proc->exited) return Fail(kErrorAccessDenied);
  s.ctrl_events.emplace_back(proc->pid, event);
  // A suspended process runs the thread once resumed; the fake's programs
  // are resumed before anyone signals them.
  if (proc->resumed && proc->program.exit_on_ctrl_event) s.Exit(proc, *proc->program.exit_on_ctrl_event);
  return 1;
}

uint32_t WaitFn(void* handle, uint32_t ms) {
  auto& s = I();
  std::unique_lock lock(s.mu);
  Handle* h = s.Find(handle, Kind::kProcess);
  if (h == nullptr) return 0xFFFFFFFF;
  auto proc = h->process;
  auto done = [&] { return proc->exited; };
  if (ms == kInfinite) {
    s.cv.wait(lock, done);
  } else if (!s.cv.wait_for(lock, std::chrono::milliseconds(ms), done)) {
    return kWaitTimeout;
  }
  return kWaitObject0;
}

int32_t ExitCodeFn(void* process, uint32_t* code) {
  auto& s = I();
  std::lock_guard lock(s.mu);
  Handle* h = s.Find(process, Kind::kProcess);
  if (h == nullptr) return 0;
  *code = h->process->exited ? h->process->exit_code : kStillActive;
  return 1;
}

template <int H>
void FillTable(ProcessApi* api) {
#define SILO_FAKE_AS(fn) windows::fake::HolderThunk<HolderScope, H, &fn>(&fn)
  api->get_last_error = SILO_FAKE_AS(GetLastErrorFn);
  api->close_handle = SILO_FAKE_AS(CloseHandleFn);
  api->create_job_object = SILO_FAKE_AS(CreateJobFn);
  api->open_job_object = SILO_FAKE_AS(OpenJobFn);
  api->get_job_owner = SILO_FAKE_AS(GetJobOwnerFn);
  api->set_job_limits = SILO_FAKE_AS(SetLimitsFn);
  api->promote_to_silo = SILO_FAKE_AS(PromoteFn);
  api->bind_path = SILO_FAKE_AS(BindFn);
  api->link_directory = SILO_FAKE_AS(LinkFn);
  api->remove_link = SILO_FAKE_AS(RemoveLinkFn);
  api->terminate_job_object = SILO_FAKE_AS(TerminateJobFn);
  api->job_process_ids = SILO_FAKE_AS(JobPidsFn);
  api->open_process = SILO_FAKE_AS(OpenProcessFn);
  api->is_process_in_job = SILO_FAKE_AS(InJobFn);
  api->query_job_accounting = SILO_FAKE_AS(QueryFn);
  api->logon_user = SILO_FAKE_AS(LogonFn);
  api->open_own_token = SILO_FAKE_AS(OwnTokenFn);
  api->add_temporary_user = SILO_FAKE_AS(AddUserFn);
  api->delete_user = SILO_FAKE_AS(DeleteUserFn);
  api->random_bytes = SILO_FAKE_AS(RandomBytesFn);
  api->create_environment_block = SILO_FAKE_AS(CreateEnvFn);
  api->destroy_environment_block = SILO_FAKE_AS(DestroyEnvFn);
  api->create_pipe = SILO_FAKE_AS(CreatePipeFn);
  api->create_input_pipe = SILO_FAKE_AS(CreateInputPipeFn);
  api->write_file = SILO_FAKE_AS(WriteFileFn);
  api->read_file = SILO_FAKE_AS(ReadFileFn);
  api->cancel_io = SILO_FAKE_AS(CancelIoFn);
  api->create_process = SILO_FAKE_AS(CreateProcessFn);
  api->create_pseudo_console = SILO_FAKE_AS(CreateConsoleFn);
  api->resize_pseudo_console = SILO_FAKE_AS(ResizeConsoleFn);
  api->close_pseudo_console = SILO_FAKE_AS(CloseConsoleFn);
  api->resume_thread = SILO_FAKE_AS(ResumeFn);
  api->terminate_process = SILO_FAKE_AS(TerminateProcessFn);
  api->send_ctrl_event = SILO_FAKE_AS(SendCtrlFn);
  api->wait_for_single_object = SILO_FAKE_AS(WaitFn);
  api->get_exit_code_process = SILO_FAKE_AS(ExitCodeFn);
#undef SILO_FAKE_AS
}

template <size_t... H>
void FillAllTables(ProcessApi* apis, std::index_sequence<H...>) {
  (FillTable<static_cast<int>(H)>(&apis[H]), ...);
}

}  // namespace

FakeProcessApi::FakeProcessApi() : impl_(std::make_unique<Impl>()) {
  Impl* expected = nullptr;
  if (!g_impl.compare_exchange_strong(expected, impl_.get())) std::abort();  // one fake at a time
  FillAllTables(holder_apis_, std::make_index_sequence<kMaxHolders>());
  api_.get_last_error = GetLastErrorFn;
  api_.close_handle = CloseHandleFn;
  api_.create_job_object = CreateJobFn;
  api_.open_job_object = OpenJobFn;
  api_.get_job_owner = GetJobOwnerFn;
  api_.set_job_limits = SetLimitsFn;
  api_.promote_to_silo = PromoteFn;
  api_.bind_path = BindFn;
  api_.link_directory = LinkFn;
  api_.remove_link = RemoveLinkFn;
  api_.terminate_job_object = TerminateJobFn;
  api_.job_process_ids = JobPidsFn;
  api_.open_process = OpenProcessFn;
  api_.is_process_in_job = InJobFn;
  api_.query_job_accounting = QueryFn;
  api_.logon_user = LogonFn;
  api_.open_own_token = OwnTokenFn;
  api_.add_temporary_user = AddUserFn;
  api_.delete_user = DeleteUserFn;
  api_.random_bytes = RandomBytesFn;
  api_.create_environment_block = CreateEnvFn;
  api_.destroy_environment_block = DestroyEnvFn;
  api_.create_pipe = CreatePipeFn;
  api_.create_input_pipe = CreateInputPipeFn;
  api_.write_file = WriteFileFn;
  api_.read_file = ReadFileFn;
  api_.cancel_io = CancelIoFn;
  api_.create_process = CreateProcessFn;
  api_.create_pseudo_console = CreateConsoleFn;
  api_.resize_pseudo_console = ResizeConsoleFn;
  api_.close_pseudo_console = CloseConsoleFn;
  api_.resume_thread = ResumeFn;
  api_.terminate_process = TerminateProcessFn;
  api_.send_ctrl_event = SendCtrlFn;
  api_.wait_for_single_object = WaitFn;
  api_.get_exit_code_process = ExitCodeFn;
}

FakeProcessApi::~FakeProcessApi() {
  for (void* b : impl_->env_blocks) std::free(b);
  g_impl.store(nullptr);
}

const ProcessApi& FakeProcessApi::api_for(int holder) const {
  if (holder <= 0 || holder >= kMaxHolders) {
    std::fprintf(stderr, "FakeProcessApi: no table for process %d\n", holder);
    std::abort();
  }
  return holder_apis_[holder];
}

int FakeProcessApi::ReapHolder(int holder) {
  std::lock_guard lock(impl_->mu);
  Impl& s = *impl_;
  HolderScope scope(holder);
  std::vector<Handle> dropped;
  for (auto it = s.handles.begin(); it != s.handles.end();) {
    if (it->second.holder != holder) {
      ++it;
      continue;
    }
    s.reaped[it->first] = holder;
    dropped.push_back(std::move(it->second));
    it = s.handles.erase(it);
  }
  for (Handle& h : dropped) s.Drop(std::move(h));
  s.cv.notify_all();
  return static_cast<int>(dropped.size());
}

int FakeProcessApi::HandlesOf(int holder) const {
  std::lock_guard lock(impl_->mu);
  int n = 0;
  for (const auto& [id, h] : impl_->handles) n += h.holder == holder ? 1 : 0;
  return n;
}

uint32_t FakeProcessApi::ReuseAPidOf(const std::string& job, const std::string& executable) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->jobs.find(job);
  if (it == impl_->jobs.end() || it->second.processes.empty()) return 0;
  auto program = impl_->programs.find(executable);
  if (program == impl_->programs.end()) return 0;
  std::shared_ptr<Process> old = it->second.processes.front();
  const uint32_t pid = old->pid;
  impl_->Exit(old, 1);
  auto outsider = std::make_shared<Process>();
  outsider->pid = pid;
  outsider->launch.command_line = executable;
  outsider->program = program->second;
  outsider->resumed = true;
  impl_->live.push_back(outsider);
  return pid;
}

bool FakeProcessApi::EndProcess(uint32_t pid) {
  std::lock_guard lock(impl_->mu);
  for (const auto& p : impl_->live) {
    if (p->pid != pid) continue;
    impl_->Exit(std::shared_ptr<Process>(p), 1);
    return true;
  }
  return false;
}

bool FakeProcessApi::EmitStdout(const std::string& job, const std::string& data) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->jobs.find(job);
  if (it == impl_->jobs.end()) return false;
  for (auto& p : it->second.processes) {
    if (!p->resumed || p->exited || p->outputs.empty()) continue;
    p->outputs[0]->data += data;
    impl_->cv.notify_all();
    return true;
  }
  return false;
}

void FakeProcessApi::SetProgram(const std::string& executable, FakeProgram program) {
  std::lock_guard lock(impl_->mu);
  impl_->programs[executable] = std::move(program);
}
void FakeProcessApi::SetBindFilter(bool available) {
  std::lock_guard lock(impl_->mu);
  impl_->bind_filter = available;
}
void FakeProcessApi::RunSilodInAJob(bool allows_breakaway) {
  std::lock_guard lock(impl_->mu);
  impl_->caller_job = true;
  impl_->caller_job_allows_breakaway = allows_breakaway;
}
void FakeProcessApi::FailNext(const std::string& call, uint32_t error) {
  std::lock_guard lock(impl_->mu);
  impl_->failures[call] = error;
}
void FakeProcessApi::PauseNext(const std::string& call) {
  std::lock_guard lock(impl_->mu);
  impl_->pause_call = call;
}
void FakeProcessApi::AwaitPaused() {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return impl_->paused; });
}
void FakeProcessApi::ResumePaused() {
  std::lock_guard lock(impl_->mu);
  impl_->paused = false;
  impl_->cv.notify_all();
}
void FakeProcessApi::SetAccounting(const std::string& job, const JobAccountingSpec& accounting) {
  std::lock_guard lock(impl_->mu);
  if (impl_->jobs.count(job) > 0) impl_->jobs[job].accounting = accounting;
}
void FakeProcessApi::HoldJob(const std::string& job) {
  std::lock_guard lock(impl_->mu);
  ++impl_->jobs[job].handles;
}
void FakeProcessApi::AddForeignJob(const std::string& job, const std::wstring& owner) {
  std::lock_guard lock(impl_->mu);
  Job& j = impl_->jobs[job];
  ++j.handles;
  j.owner = owner;
}
void FakeProcessApi::ReleaseJob(const std::string& job) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->jobs.find(job);
  if (it == impl_->jobs.end() || it->second.handles == 0) return;
  if (--it->second.handles == 0 && it->second.limits.kill_on_close) impl_->TerminateJob(job, 0);
  impl_->DropJobIfUnused(job);
}
std::vector<std::string> FakeProcessApi::calls() const {
  std::lock_guard lock(impl_->mu);
  return impl_->calls;
}
std::vector<FakeLaunch> FakeProcessApi::launches() const {
  std::lock_guard lock(impl_->mu);
  return impl_->launches;
}
std::vector<std::pair<uint32_t, uint32_t>> FakeProcessApi::CtrlEvents() const {
  std::lock_guard lock(impl_->mu);
  return impl_->ctrl_events;
}
bool FakeProcessApi::JobExists(const std::string& job) const {
  std::lock_guard lock(impl_->mu);
  return impl_->jobs.count(job) > 0;
}
std::optional<JobLimitsSpec> FakeProcessApi::Limits(const std::string& job) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->jobs.find(job);
  if (it == impl_->jobs.end() || !it->second.limits_set) return std::nullopt;
  return it->second.limits;
}
std::wstring FakeProcessApi::JobSddl(const std::string& job) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->jobs.find(job);
  return it == impl_->jobs.end() ? std::wstring() : it->second.sddl;
}
std::wstring FakeProcessApi::JobOwner(const std::string& job) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->jobs.find(job);
  return it == impl_->jobs.end() ? std::wstring() : it->second.owner;
}
bool FakeProcessApi::IsSilo(const std::string& job) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->jobs.find(job);
  return it != impl_->jobs.end() && it->second.silo;
}
std::map<std::string, std::string> FakeProcessApi::Binds(const std::string& job) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->jobs.find(job);
  return it == impl_->jobs.end() ? std::map<std::string, std::string>{} : it->second.binds;
}
std::map<std::string, std::string> FakeProcessApi::Links() const {
  std::lock_guard lock(impl_->mu);
  return impl_->links;
}
std::vector<std::string> FakeProcessApi::Users() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [name, _] : impl_->users) out.push_back(name);
  return out;
}
std::string FakeProcessApi::Password(const std::string& user) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->users.find(user);
  return it == impl_->users.end() ? std::string() : it->second.first;
}
std::vector<std::vector<uint8_t>> FakeProcessApi::RandomDraws() const {
  std::lock_guard lock(impl_->mu);
  return impl_->random_draws;
}
int FakeProcessApi::LiveProcesses() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<int>(impl_->live.size());
}
std::vector<std::vector<std::pair<uint16_t, uint16_t>>> FakeProcessApi::ConsoleSizes() const {
  std::lock_guard lock(impl_->mu);
  return impl_->console_sizes;
}
int FakeProcessApi::open_consoles() const {
  std::lock_guard lock(impl_->mu);
  int n = 0;
  for (const auto& [id, h] : impl_->handles) n += h.kind == Kind::kConsole ? 1 : 0;
  return n;
}
int FakeProcessApi::open_handles() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<int>(impl_->handles.size());
}
int FakeProcessApi::bad_closes() const {
  std::lock_guard lock(impl_->mu);
  return impl_->bad_closes;
}
int FakeProcessApi::environment_blocks() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<int>(impl_->env_blocks.size());
}

}  // namespace silo::runtime::windows::hostprocess::fake
