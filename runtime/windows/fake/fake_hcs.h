#pragma once
// FakeHcs: an in-memory computecore.dll behind an HcsApi table, so every
// call sequence of the HCS layer and the backend above it runs on Linux.
// It simulates compute systems (Created -> Running -> Stopped), processes
// with exit codes, operations (synchronous, asynchronous, stuck), and
// delivers SystemExited/ProcessExited/ServiceDisconnect through the
// registered callbacks on its own thread, as HCS does from its thread pool.
//
// Faults are injected per call (FakeCall) and consumed in order. A stuck
// ("slow") operation never completes: HcsWaitForOperationResult returns
// HCS_E_OPERATION_TIMEOUT at once instead of sleeping for the timeout (the
// timeout it was given is recorded), so tests stay fast and deterministic.
//
// Strict where HCS is: creating a system with an id in use fails with
// HCS_E_SYSTEM_ALREADY_EXISTS, starting a stopped one with
// HCS_E_SYSTEM_ALREADY_STOPPED, creating a process in or modifying a system
// that is not running with HCS_E_INVALID_STATE, closing a handle twice is
// counted (bad_closes), calls on a closed handle fail with ERROR_INVALID_HANDLE,
// signalling an exited process fails with HCS_E_INVALID_STATE, and a system
// whose document set ShouldTerminateOnLastHandleClosed is terminated and
// removed when its last HCS_SYSTEM handle closes (process handles do not
// keep it alive); without the flag only a stopped system goes away then.
// A hosted system (HostingSystemId) needs its utility VM to exist and run
// (HCS_E_SYSTEM_NOT_FOUND / HCS_E_INVALID_STATE otherwise); a guest-only
// modify request ({"GuestRequest":...}) must carry a request type, a resource
// type the Windows guest agent knows and settings. HcsGrantVmAccess refuses
// an empty VM id or a relative path but, like Windows, not a VM that does not
// exist yet (hcsshim grants the scratch before creating the VM); grants are
// observable and a revoke of a grant not held is counted.
//
// Process stdio is modelled: each pipe HcsCreateProcess hands out is an
// in-memory pipe read and written through stdio_io(); the simulated process
// writes with WriteProcessOutput, and its output pipes reach end of stream
// when it exits (after what it wrote has been read), as Windows pipes do.
// Reading a closed or stdin handle, or writing to an output handle, fails;
// a process can stop reading its stdin (StopReadingStdin), and a write then
// blocks until cancelled or its handle closed.
//
// Which process holds which handle is modelled: api()/stdio_io() are the
// calling process (silod, process 0); api_for(n)/stdio_io_for(n) are the
// tables of simulated process n (a silo-shim.exe). A handle belongs to the
// process that opened it: using or closing it through another process's
// table fails (ERROR_INVALID_HANDLE; a close counts as a bad close), and
// ReapHolder(n) closes every handle of process n as Windows does when a
// process dies, so its systems with ShouldTerminateOnLastHandleClosed end.
//
// The table holds plain function pointers, so at most one FakeHcs may be
// alive per process (checked). All methods are thread-safe.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/stdio_io.h"

namespace silo::runtime::windows::fake {

enum class FakeCall {
  kEnumerate,
  kCreateComputeSystem,
  kOpenComputeSystem,
  kStart,
  kShutDown,
  kTerminate,
  kProperties,
  kModify,
  kSetSystemCallback,
  kCreateProcess,
  kOpenProcess,
  kSignalProcess,
  kTerminateProcess,
  kGetProcessInfo,
  kGetProcessProperties,
  kModifyProcess,
  kSetProcessCallback,
  kGrantVmAccess,
  kRevokeVmAccess,
};

enum class FakeFault {
  kFailCall,    // the call returns `hr`; the operation holds the ResultError document
  kFailResult,  // the call starts; the wait returns `hr` with the ResultError document
  kSlow,        // the call starts; the operation never completes (timeout, cancel)
  kPending,     // the call returns HCS_E_OPERATION_PENDING; the work completes on the HCS thread
  kAsync,       // the call returns S_OK; the result arrives later on the HCS thread
  kSpuriousWaitFailure,  // the work is done but the wait returns `hr` (WS2022 CreateProcess quirk)
  kBlock,  // the work is done but the operation completes only on ReleaseBlocked() or when the target
           // process exits (servercore's HcsSignalProcess returns only once the process is gone);
           // meanwhile a terminate or signal of that pid through the same system handle queues
           // behind it and never completes (HCS serialises them per system handle)
  kPass,  // the call behaves normally; queued before another fault, it lets a test target the
          // n-th call of a kind (e.g. fail only the third HcsModifyComputeSystem)
};

// When ExitNextProcess ends the next created process.
enum class FakeExitMoment {
  kBeforeCallback,  // inside HcsCreateProcess, before the caller can set a callback: no event, ever
  kAtCallback,      // as HcsSetProcessCallback registers: the event is delivered
};

struct FakeInjection {
  FakeInjection(FakeCall c, FakeFault f, uint32_t code = 0, std::string message = {},
                std::vector<std::string> events = {}, int count = 1)
      : call(c), fault(f), hr(code), error_message(std::move(message)), error_events(std::move(events)),
        times(count) {}

  FakeCall call;
  FakeFault fault;
  uint32_t hr;
  std::string error_message;              // ResultError.ErrorMessage
  std::vector<std::string> error_events;  // ResultError.ErrorEvents[].Message
  int times;                              // how many calls it applies to
};

class FakeHcs {
 public:
  FakeHcs();
  ~FakeHcs();
  FakeHcs(const FakeHcs&) = delete;
  FakeHcs& operator=(const FakeHcs&) = delete;

  const hcs::HcsApi& api() const { return api_; }
  // Same table without HcsCancelOperation (old hosts).
  const hcs::HcsApi& api_without_cancel() const { return api_no_cancel_; }
  // Reads and writes the stdio handles this fake hands out.
  const hcs::StdioIo& stdio_io() const { return stdio_io_; }
  // The tables of simulated process `holder`, 1 <= holder < kMaxHolders.
  static constexpr int kMaxHolders = 8;
  const hcs::HcsApi& api_for(int holder) const;
  const hcs::StdioIo& stdio_io_for(int holder) const;
  // Process `holder` died: the OS closes every handle it held (the last
  // handle of a system with ShouldTerminateOnLastHandleClosed terminates
  // it). Returns how many handles were still open. Its code may still run
  // here (threads of an in-process stand-in): closing a reaped handle then
  // is no bad close, any other use fails as on a closed handle.
  int ReapHolder(int holder);

  void Inject(FakeInjection injection);

  // --- Simulation controls --------------------------------------------------
  // A system that exists before the test's handles (e.g. left by a previous silod).
  void AddSystem(const std::string& id, const std::string& owner, bool running,
                 bool terminate_on_last_handle_closed = false);
  // Completes every kBlock operation.
  void ReleaseBlocked();
  int blocked_operations() const;
  // The process exits with `exit_code`; ProcessExited goes to the handles
  // of the process that have a callback set (none is replayed to a
  // callback set later: whether HCS replays it is not documented).
  void ExitProcess(const std::string& system_id, uint32_t pid, uint32_t exit_code);
  // The next HcsCreateProcess's process, after writing `stdout_data`,
  // exits with `exit_code` at `when` (a very short exec).
  void ExitNextProcess(FakeExitMoment when, uint32_t exit_code, std::string stdout_data = {});
  // The running process writes `data` to its stdout (or stderr). False when
  // it has no such pipe, it has exited, or the reader closed the handle.
  bool WriteProcessOutput(const std::string& system_id, uint32_t pid, bool to_stderr, const std::string& data);
  // The process stops reading its stdin: a write to the pipe blocks (the
  // pipe is full) until the writer's handle is closed or the write is
  // cancelled (stdio_io().cancel while it is pending, as CancelIoEx), and
  // then fails. Its exit does not release it: HCS's relay keeps the pipe.
  // `stop` false: it reads again (a blocked write completes, or fails if
  // the process has exited).
  void StopReadingStdin(const std::string& system_id, uint32_t pid, bool stop = true);
  // Writes blocked on a process that stopped reading its stdin.
  int blocked_stdin_writes() const;
  // Everything written to the process's stdin pipe so far.
  std::string ProcessStdin(const std::string& system_id, uint32_t pid) const;
  // What a properties query of `type` ("Statistics", "Memory") returns for
  // the system from now on (a JSON document); a type never set is left out
  // of the answer, as HCS leaves out what it cannot report.
  void SetProperty(const std::string& system_id, const std::string& type, const std::string& value_json);
  // The system stops by itself (ExitType "UnexpectedExit").
  void CrashSystem(const std::string& system_id);
  // Every handle gets ServiceDisconnect.
  void DisconnectService();
  // Shutdown is accepted but ignored (a servercore guest that blocks it).
  void set_ignore_shutdown(bool ignore);
  // Enumerate returns every system, ignoring the query (tests the client filter).
  void set_enumerate_ignores_query(bool ignore);
  // Waits until every queued event and async completion has been delivered.
  void Drain();

  // --- Observations ---------------------------------------------------------
  bool SystemExists(const std::string& id) const;
  std::string SystemState(const std::string& id) const;  // "" when absent
  std::vector<std::string> Modifications(const std::string& id) const;
  std::vector<std::string> Signals(const std::string& id, uint32_t pid) const;
  std::string ProcessParameters(const std::string& id, uint32_t pid) const;  // "" when absent
  std::string Configuration(const std::string& id) const;  // the create document; "" when absent
  bool ProcessRunning(const std::string& id, uint32_t pid) const;
  int open_operations() const;
  int open_system_handles() const;
  int open_system_handles(int holder) const;
  int open_process_handles() const;
  int open_stdio_handles() const;
  int outstanding_strings() const;
  int cancelled_operations() const;
  // Close calls (system, process, operation, stdio) on a handle the fake never
  // gave out or saw closed already: undefined behaviour in HCS, so every test
  // may assert it stays 0.
  int bad_closes() const;
  int operations_created() const;
  uint32_t last_wait_timeout_ms() const;
  int calls(FakeCall call) const;
  // Every operation-taking or fault-injectable call, in the order made.
  std::vector<FakeCall> call_sequence() const;
  // VM access grants held, as "<vm id>|<file path>" (sorted).
  std::vector<std::string> vm_access_grants() const;
  // HcsRevokeVmAccess of a grant that was not held (a double or stray
  // revoke); every test may assert it stays 0.
  int unmatched_vm_access_revokes() const;

  struct Impl;  // implementation detail, defined in fake_hcs.cc

 private:
  std::unique_ptr<Impl> impl_;
  hcs::HcsApi api_{};
  hcs::HcsApi api_no_cancel_{};
  hcs::StdioIo stdio_io_{};
  hcs::HcsApi holder_apis_[kMaxHolders]{};  // [0] unused: api() is process 0
  hcs::StdioIo holder_ios_[kMaxHolders]{};
};

}  // namespace silo::runtime::windows::fake
