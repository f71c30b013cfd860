#include "runtime/windows/shim/container_monitor.h"

#include "nlohmann/json.hpp"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows::shim {
namespace {

using win32::HrStatus;
using win32::Result;

constexpr std::chrono::milliseconds kExitPoll{200};
constexpr std::chrono::seconds kTerminateGrace{10};

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

Deadline After(std::chrono::milliseconds d) { return hcs::Clock::now() + d; }

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
  std::unique_ptr<ContainerMonitor> m(new ContainerMonitor(api, io, std::move(options)));
  // The log first: it has no side effect to undo.
  if (!m->options_.log_path.empty()) {
    auto log = CriLogFile::Open(m->options_.log_path, m->options_.clock);
    if (!log.ok()) return log.status();
    m->log_ = std::move(*log);
  }
  auto system = m->options_.document_json.empty()
                    ? hcs::ComputeSystem::Open(api, m->options_.id)
                    : hcs::ComputeSystem::Create(api, m->options_.id, m->options_.document_json, deadline);
  if (!system.ok()) return system.status();
  m->system_ = std::move(*system);
  return m;
}

ContainerMonitor::~ContainerMonitor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  if (exit_waiter_.joinable()) exit_waiter_.join();
  for (std::thread& t : signal_senders_) t.join();
  // Still running: the drains are blocked in reads nobody will finish.
  if (stdout_drain_) stdout_drain_->Stop();
  if (stderr_drain_) stderr_drain_->Stop();
  if (stdin_ != nullptr) api_.close_handle(stdin_);
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
    if (!s.ok()) return s;
  }
  auto params = WithPipes(options_.process_json, options_.open_stdin);
  if (!params.ok()) return params.status();
  auto process = system_->CreateProcess(*params, deadline);
  if (!process.ok()) return process.status();
  process_ = std::move(*process);
  hcs::StdioHandles stdio = process_->TakeStdio();
  stdin_ = stdio.std_input;
  auto sink = [this](LogStream stream, runtime::shim::CriLineCutter* cutter) {
    return [this, stream, cutter](std::string_view chunk) {
      cutter->Feed(chunk, [this, stream](bool partial, std::string_view content) {
        // A full disk must not stop the draining, or the container blocks.
        if (log_) (void)log_->Write(stream, partial, content);
      });
    };
  };
  stdout_drain_ = std::make_unique<OutputDrain>(api_, io_, stdio.std_output, sink(LogStream::kStdout, &stdout_cutter_));
  stderr_drain_ = std::make_unique<OutputDrain>(api_, io_, stdio.std_error, sink(LogStream::kStderr, &stderr_cutter_));
  state_ = MonitorState::kRunning;
  exit_waiter_ = std::thread([this] { AwaitExit(); });
  return HrStatus::Ok();
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
  const ExitRecord record{code, UnixNanos(Now())};
  // The exit is recorded only after all output is in the log, so a reader
  // of the record finds the complete log.
  stdout_drain_->Join();
  stderr_drain_->Join();
  auto finish = [this](LogStream stream) {
    return [this, stream](bool partial, std::string_view content) {
      if (log_) (void)log_->Write(stream, partial, content);
    };
  };
  stdout_cutter_.Finish(finish(LogStream::kStdout));
  stderr_cutter_.Finish(finish(LogStream::kStderr));
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
  if (!stopped_cv_.wait_until(lock, deadline, [this] { return state_ == MonitorState::kStopped; })) {
    return HrStatus(codes::kHcsEOperationTimeout, "container " + options_.id + " still running");
  }
  if (!exit_write_.ok()) return exit_write_;
  return *exit_;
}

HrStatus ContainerMonitor::Kill(int signal, Deadline deadline) {
  hcs::Process* process = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == MonitorState::kCreated) {
      return HrStatus(codes::kHcsEInvalidState, "container " + options_.id + " was not started");
    }
    if (state_ == MonitorState::kStopped) return HrStatus::Ok();
    process = process_.get();
  }
  // Through fresh handles: HCS serialises calls per system handle, and a
  // blocked CtrlShutdown on ours would hold the kill back.
  if (signal == 9) return hcs::TerminateProcessThroughFreshHandle(api_, options_.id, process->pid(), deadline);
  // Servercore's HcsSignalProcess returns only once the process is gone, so
  // the signal is sent on its own thread and the caller escalates to 9 after
  // its grace period (hcsshim's exec_hcs Kill does the same).
  std::lock_guard<std::mutex> lock(mu_);
  signal_senders_.emplace_back([process, deadline] {
    (void)process->Signal(R"({"Signal":"CtrlShutdown"})", deadline);
  });
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
  if (!exit.ok() && codes::IsTimeout(exit.status().hr())) {
    result.timed_out = true;
    HrStatus killed = (*process)->Terminate(After(kTerminateGrace));
    if (!killed.ok()) return killed;
    exit = (*process)->WaitForExit(After(kTerminateGrace));
  }
  if (!exit.ok()) return exit.status();
  result.exit_code = exit->exit_code;
  out.Join();
  err.Join();
  (*process)->Close();
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
  std::lock_guard<std::mutex> lock(mu_);
  if (stdin_ != nullptr) api_.close_handle(stdin_);
  stdin_ = nullptr;
  return s;
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

HrStatus ContainerMonitor::StopSystem(Deadline grace, Deadline deadline) { return system_->Stop(grace, deadline); }

void* ContainerMonitor::stdin_handle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stdin_;
}

}  // namespace silo::runtime::windows::shim
