#include "runtime/windows/shim/container_monitor.h"

#include <algorithm>

#include "nlohmann/json.hpp"
#include "runtime/base/saturating_time.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/shim/wcow_signal.h"

namespace silo::runtime::windows::shim {
namespace {

using win32::HrStatus;
using win32::Result;

constexpr std::chrono::milliseconds kExitPoll{200};
constexpr std::chrono::seconds kTerminateGrace{10};
// hcsshim's exit status for a process killed before it ever started.
constexpr int64_t kExitKilledBeforeStart = 1;

int64_t UnixNanos(const struct timespec& ts) { return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec; }

// ProcessParameters with the pipes the monitor reads. With EmulateConsole
// HCS merges stderr into the console, so no stderr pipe is asked for
// (hcsshim does the same for TTY processes).
Result<std::string> WithPipes(std::string_view process_json, bool open_stdin) {
  nlohmann::json p = nlohmann::json::parse(process_json, nullptr, false);
  if (!p.is_object()) return HrStatus(codes::kEInvalidArg, "process parameters are not a JSON object");
  const bool tty = p.value("EmulateConsole", false);
  p["CreateStdInPipe"] = open_stdin;
  p["CreateStdOutPipe"] = true;
  p["CreateStdErrPipe"] = !tty;
  return p.dump();
}

Deadline After(std::chrono::milliseconds d) { return SaturatingAdd(hcs::Clock::now(), d); }

// The document with ShouldTerminateOnLastHandleClosed set: the monitor holds
// the only lasting handle, so when it dies, however it dies, HCS terminates
// the container instead of leaking it.
Result<std::string> TerminatingOnLastClose(std::string_view document_json) {
  nlohmann::json doc = nlohmann::json::parse(document_json, nullptr, false);
  if (!doc.is_object()) return HrStatus(codes::kEInvalidArg, "the container document is not a JSON object");
  doc["ShouldTerminateOnLastHandleClosed"] = true;
  return doc.dump();
}

}  // namespace

const char* MonitorStateName(MonitorState state) {
  switch (state) {
    case MonitorState::kCreated:
      return "created";
    case MonitorState::kRunning:
      return "running";
    case MonitorState::kStopped:
      return "stopped";
  }
  return "unknown";
}

ContainerMonitor::ContainerMonitor(const hcs::HcsApi& api, const hcs::StdioIo& io, MonitorOptions options)
    : api_(api),
      io_(io),
      options_(std::move(options)),
      stdout_cutter_(options_.max_log_line),
      stderr_cutter_(options_.max_log_line) {}

Result<std::unique_ptr<ContainerMonitor>> ContainerMonitor::Create(const hcs::HcsApi& api, const hcs::StdioIo& io,
                                                                   MonitorOptions options, Deadline deadline) {
  if (options.id.empty() || options.exit_path.empty()) {
    return HrStatus(codes::kEInvalidArg, "monitor needs a container id and an exit path");
  }
  auto params = WithPipes(options.process_json, options.open_stdin);
  if (!params.ok()) return params.status();
  if (!options.document_json.empty()) {
    auto document = TerminatingOnLastClose(options.document_json);
    if (!document.ok()) return document.status();
    options.document_json = std::move(*document);
  }
  std::unique_ptr<ContainerMonitor> m(new ContainerMonitor(api, io, std::move(options)));
  auto system = m->options_.document_json.empty()
                    ? hcs::ComputeSystem::Open(api, m->options_.id)
                    : hcs::ComputeSystem::Create(api, m->options_.id, m->options_.document_json, deadline);
  if (!system.ok()) return system.status();
  m->system_ = std::move(*system);
  // The log after the system: opening it creates the file, and a container
  // that could not be created must leave no file behind.
  if (!m->options_.log_path.empty()) {
    auto log = CriLogFile::Open(m->options_.log_path, m->options_.clock);
    if (!log.ok()) {
      if (!m->options_.document_json.empty()) (void)m->system_->Terminate(deadline);
      return log.status();  // ~ContainerMonitor closes the handle
    }
    m->log_ = std::move(*log);
  }
  return m;
}

ContainerMonitor::~ContainerMonitor() {
  std::vector<SignalSender> senders;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    senders.swap(signal_senders_);
  }
  stopped_cv_.notify_all();  // a Wait in progress returns
  if (exit_waiter_.joinable()) exit_waiter_.join();
  for (SignalSender& s : senders) s.thread.join();
  // Still running: the drains are blocked in reads nobody will finish.
  if (stdout_drain_) stdout_drain_->Stop();
  if (stderr_drain_) stderr_drain_->Stop();
  CloseMainStdinPipe();
  if (process_) process_->Close();
  if (system_) system_->Close();
}

struct timespec ContainerMonitor::Now() const {
  return options_.clock ? options_.clock() : SystemClockNow();
}

HrStatus ContainerMonitor::Start(Deadline deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ != MonitorState::kCreated || process_) {
    return HrStatus(codes::kHcsEInvalidState, "container " + options_.id + " was already started");
  }
  // A system opened here was created and started by silod.
  if (!options_.document_json.empty()) {
    HrStatus s = system_->Start(deadline);
    if (!s.ok()) return TerminateAfterFailedStart(s);
  }
  auto params = WithPipes(options_.process_json, options_.open_stdin);
  if (!params.ok()) return TerminateAfterFailedStart(params.status());
  auto process = system_->CreateProcess(*params, deadline);
  if (!process.ok()) return TerminateAfterFailedStart(process.status());
  process_ = std::move(*process);
  hcs::StdioHandles stdio = process_->TakeStdio();
  stdin_ = stdio.std_input;
  stdin_pipe_ = std::make_unique<StdinPipe>(api_, io_, stdio.std_input);
  auto sink = [this](LogStream stream, runtime::shim::CriLineCutter* cutter) {
    return [this, stream, cutter](std::string_view chunk) {
      cutter->Feed(chunk, [this, stream](bool partial, std::string_view content) {
        // A full disk must not stop the draining, or the container blocks.
        if (log_) (void)log_->Write(stream, partial, content);
      });
      std::lock_guard<std::mutex> lock(taps_mu_);
      for (OutputTap* tap : taps_) tap->Output(stream, chunk);
    };
  };
  stdout_drain_ = std::make_unique<OutputDrain>(api_, io_, stdio.std_output, sink(LogStream::kStdout, &stdout_cutter_));
  stderr_drain_ = std::make_unique<OutputDrain>(api_, io_, stdio.std_error, sink(LogStream::kStderr, &stderr_cutter_));
  state_ = MonitorState::kRunning;
  exit_waiter_ = std::thread([this] { AwaitExit(); });
  return HrStatus::Ok();
}

HrStatus ContainerMonitor::TerminateAfterFailedStart(const HrStatus& why) {
  // A container without its main process must not run on (hcsshim
  // terminates a system whose start failed); the handle stays for Close.
  HrStatus t = system_->Terminate(After(kTerminateGrace));
  if (!t.ok()) return HrStatus(why.hr(), why.message() + "; terminating the system: " + t.ToString());
  return why;
}

void ContainerMonitor::AwaitExit() {
  int64_t code = -1;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closing_) return;
    }
    auto e = process_->WaitForExit(After(kExitPoll));
    if (e.ok()) {
      code = e->exit_code;
      break;
    }
    // Anything but our own poll timeout (a service disconnect) ends the
    // wait: the exit code is then unknown.
    if (!codes::IsTimeout(e.status().hr())) break;
  }
  // Nobody can feed an exited process: an attacher's write that a stalled
  // pipe holds is released, and later ones fail.
  CloseMainStdinPipe();
  const ExitRecord record{code, UnixNanos(Now())};
  // The exit is recorded only after all output is in the log, so a reader
  // of the record finds the complete log; a pipe some child still holds
  // gets kCopyAfterExit, never more.
  stdout_drain_->JoinFor(kCopyAfterExit);
  stderr_drain_->JoinFor(kCopyAfterExit);
  auto finish = [this](LogStream stream) {
    return [this, stream](bool partial, std::string_view content) {
      if (log_) (void)log_->Write(stream, partial, content);
    };
  };
  stdout_cutter_.Finish(finish(LogStream::kStdout));
  stderr_cutter_.Finish(finish(LogStream::kStderr));
  {
    std::lock_guard<std::mutex> lock(taps_mu_);
    output_ended_ = true;
    for (OutputTap* tap : taps_) tap->Ended();
  }
  RecordExit(record);
  // A container whose main process is gone must not keep running: its
  // system is shut down, then terminated after the grace (hcsshim's task
  // does the same when its init process exits).
  const Deadline grace = After(options_.exit_shutdown_grace);
  HrStatus stopped = system_->Stop(grace, grace + kTerminateGrace);
  (void)stopped;  // already stopped is OK; a failure leaves it to Remove
}

void ContainerMonitor::RecordExit(const ExitRecord& record) {
  HrStatus written = WriteExitRecord(options_.exit_path, record);
  std::lock_guard<std::mutex> lock(mu_);
  exit_write_ = written;
  exit_ = record;
  state_ = MonitorState::kStopped;
  stopped_cv_.notify_all();
}

MonitorStatus ContainerMonitor::Status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return MonitorStatus{state_, process_ ? process_->pid() : 0, exit_};
}

Result<ExitRecord> ContainerMonitor::Wait(Deadline deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto done = [this] { return state_ == MonitorState::kStopped || closing_; };
  if (deadline == hcs::kNoDeadline) {
    stopped_cv_.wait(lock, done);
  } else if (!stopped_cv_.wait_until(lock, deadline, done)) {
    return HrStatus(codes::kHcsEOperationTimeout, "container " + options_.id + " still running");
  }
  if (state_ != MonitorState::kStopped) {
    return HrStatus(codes::kHcsEServiceDisconnect, "the monitor of container " + options_.id + " is closing");
  }
  if (!exit_write_.ok()) return exit_write_;
  return *exit_;
}

HrStatus ContainerMonitor::Kill(int signal, Deadline deadline) {
  const std::optional<WcowSignal> mapped = MapWcowSignal(signal);
  if (!mapped) {
    return HrStatus(codes::kEInvalidArg, "signal " + std::to_string(signal) +
                                             " is not supported for Windows containers (supported: 9 and 15, "
                                             "and the console events 0 CtrlC, 1 CtrlBreak, 2 CtrlClose, "
                                             "5 CtrlLogOff, 6 CtrlShutdown)");
  }
  hcs::Process* process = nullptr;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (state_ == MonitorState::kStopped) return HrStatus::Ok();
    if (state_ == MonitorState::kCreated) {
      lock.unlock();
      return KillBeforeStart(deadline);
    }
    process = process_.get();
  }
  // Through fresh handles: HCS serialises calls per system handle, and a
  // blocked CtrlShutdown on ours would hold the kill back.
  if (mapped->terminate) return hcs::TerminateProcessThroughFreshHandle(api_, options_.id, process->pid(), deadline);
  // Servercore's HcsSignalProcess returns only once the process is gone, so
  // the signal is sent on its own thread and the caller escalates to 9 after
  // its grace period (hcsshim's exec_hcs Kill does the same).
  std::lock_guard<std::mutex> lock(mu_);
  ReapSignalSenders();
  auto done = std::make_shared<std::atomic<bool>>(false);
  signal_senders_.push_back(SignalSender{
      std::thread([process, deadline, done, options = WcowSignalOptions(*mapped)] {
        (void)process->Signal(options, deadline);
        *done = true;
      }),
      done});
  return HrStatus::Ok();
}

void ContainerMonitor::ReapSignalSenders() {
  for (auto it = signal_senders_.begin(); it != signal_senders_.end();) {
    if (!*it->done) {
      ++it;
      continue;
    }
    it->thread.join();  // it has returned already
    it = signal_senders_.erase(it);
  }
}

HrStatus ContainerMonitor::KillBeforeStart(Deadline deadline) {
  // As hcsshim's exitFromCreated: the container ends with status 1 without
  // ever running, and its system goes away.
  HrStatus t = system_->Terminate(deadline);
  if (!t.ok()) return t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ != MonitorState::kCreated) return HrStatus::Ok();  // a Start raced and lost to the terminate
  }
  RecordExit(ExitRecord{kExitKilledBeforeStart, UnixNanos(Now())});
  return HrStatus::Ok();
}

Result<ExecResult> ContainerMonitor::Exec(std::string_view process_json, std::chrono::milliseconds timeout,
                                          Deadline create_deadline) {
  auto params = WithPipes(process_json, /*open_stdin=*/false);
  if (!params.ok()) return params.status();
  auto process = system_->CreateProcess(*params, create_deadline);
  if (!process.ok()) return process.status();
  ExecResult result;
  hcs::StdioHandles stdio = (*process)->TakeStdio();
  OutputDrain out(api_, io_, stdio.std_output, CappedStringSink(&result.stdout_data, kMaxExecOutputBytes));
  OutputDrain err(api_, io_, stdio.std_error, CappedStringSink(&result.stderr_data, kMaxExecOutputBytes));
  const Deadline until = timeout.count() > 0 ? After(timeout) : hcs::kNoDeadline;
  auto exit = (*process)->WaitForExit(until);
  HrStatus failure = HrStatus::Ok();
  if (!exit.ok()) {
    // A timeout, or a wait that failed (a lost service): either way the
    // process is terminated, so nothing of it runs on unobserved.
    result.timed_out = codes::IsTimeout(exit.status().hr());
    if (!result.timed_out) failure = exit.status();
    HrStatus killed = (*process)->Terminate(After(kTerminateGrace));
    exit = killed.ok() ? (*process)->WaitForExit(After(kTerminateGrace)) : Result<hcs::ProcessExit>(killed);
  }
  if (!failure.ok() || !exit.ok()) {
    // Its pipes may never end now: stop reading rather than wait for them.
    out.Stop();
    err.Stop();
    return failure.ok() ? exit.status() : failure;
  }
  result.exit_code = exit->exit_code;
  out.JoinFor(kCopyAfterExit);
  err.JoinFor(kCopyAfterExit);
  return result;
}

HrStatus ContainerMonitor::ReopenLog() { return log_ ? log_->Reopen() : HrStatus::Ok(); }

HrStatus ContainerMonitor::CloseStdin(Deadline deadline) {
  hcs::Process* process = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ != MonitorState::kRunning) return HrStatus::Ok();
    process = process_.get();
  }
  // As hcsshim: tell HCS first (it fails once the process has exited), then
  // close our end of the pipe.
  HrStatus s = process->CloseStdin(deadline);
  CloseMainStdinPipe();
  return s;
}

void ContainerMonitor::CloseMainStdinPipe() {
  StdinPipe* pipe = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pipe = stdin_pipe_.get();
    stdin_ = nullptr;
  }
  if (pipe != nullptr) pipe->Close();
}

HrStatus ContainerMonitor::ResizeConsole(uint16_t width, uint16_t height, Deadline deadline) {
  hcs::Process* process = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ != MonitorState::kRunning) return HrStatus::Ok();
    process = process_.get();
  }
  return process->ResizeConsole(width, height, deadline);
}

HrStatus ContainerMonitor::TerminateSystem(Deadline deadline) { return system_->Terminate(deadline); }

HrStatus ContainerMonitor::StopSystem(Deadline grace, Deadline deadline) { return system_->Stop(grace, deadline); }

Result<std::unique_ptr<hcs::Process>> ContainerMonitor::CreateSessionProcess(std::string_view process_json,
                                                                            bool open_stdin, Deadline deadline) {
  auto params = WithPipes(process_json, open_stdin);
  if (!params.ok()) return params.status();
  return system_->CreateProcess(*params, deadline);
}

bool ContainerMonitor::AddOutputTap(OutputTap* tap) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == MonitorState::kCreated) return false;
  }
  std::lock_guard<std::mutex> lock(taps_mu_);
  if (output_ended_) return false;
  taps_.push_back(tap);
  return true;
}

void ContainerMonitor::RemoveOutputTap(OutputTap* tap) {
  std::lock_guard<std::mutex> lock(taps_mu_);
  taps_.erase(std::remove(taps_.begin(), taps_.end(), tap), taps_.end());
}

HrStatus ContainerMonitor::WriteMainStdin(std::string_view data, const std::atomic<bool>* abandoned) {
  StdinPipe* pipe = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pipe = stdin_pipe_.get();
  }
  if (pipe == nullptr || !pipe->open()) {
    return HrStatus(codes::kHcsEInvalidState, "container " + options_.id + " has no open stdin");
  }
  if (!pipe->Write(data, abandoned)) {
    return HrStatus(codes::kEFail, "writing the stdin of container " + options_.id + " failed");
  }
  return HrStatus::Ok();
}

void ContainerMonitor::CancelMainStdinWrites(const std::atomic<bool>* writer) {
  StdinPipe* pipe = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pipe = stdin_pipe_.get();
  }
  if (pipe != nullptr) pipe->CancelWrites(writer);
}

void* ContainerMonitor::stdin_handle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stdin_;
}

}  // namespace silo::runtime::windows::shim
