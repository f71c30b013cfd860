// Job Object tests: a Windows executable (mingw-w64 has no GoogleTest), run
// under Wine in CI and natively on Windows. It re-runs itself as the child
// process the jobs hold: "job_object_test.exe child exit 3", "... child sleep".
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "runtime/windows/jobobject/job_object.h"
#include "runtime/windows/jobobject/job_statistics.h"
#include "runtime/windows/testing/win_check.h"

namespace {

using silo::runtime::windows::jobobject::JobEvent;
using silo::runtime::windows::jobobject::JobLimits;
using silo::runtime::windows::jobobject::JobNotification;
using silo::runtime::windows::jobobject::JobObject;
using silo::runtime::windows::jobobject::ReadJobStatistics;

using silo::windows_testing::UnderWine;
#define CHECK(cond) SILO_WIN_CHECK(cond)
#define CHECK_OK(status)                                                                         \
  do {                                                                                           \
    auto s_ = (status);                                                                          \
    if (!s_.ok()) {                                                                              \
      std::printf("  FAILED %s:%d: %s: %s\n", __FILE__, __LINE__, #status, s_.ToString().c_str()); \
      ++::silo::windows_testing::Failures();                                                     \
    }                                                                                            \
  } while (0)

std::wstring UniqueName(const wchar_t* what) {
  return std::wstring(L"silo-test-") + what + L"-" + std::to_wstring(GetCurrentProcessId()) + L"-" +
         std::to_wstring(GetTickCount64());
}

// Starts this executable suspended as "child <args>".
PROCESS_INFORMATION SpawnChild(const std::wstring& args) {
  wchar_t exe[MAX_PATH] = {};
  GetModuleFileNameW(nullptr, exe, MAX_PATH);
  std::wstring cmd = L"\"" + std::wstring(exe) + L"\" child " + args;
  STARTUPINFOW si = {};
  si.cb = sizeof(si);
  PROCESS_INFORMATION pi = {};
  if (!CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, FALSE, CREATE_SUSPENDED, nullptr, nullptr, &si, &pi)) {
    std::printf("  CreateProcess failed: %lu\n", GetLastError());
    std::exit(2);
  }
  return pi;
}

// Collects notifications until ACTIVE_PROCESS_ZERO or 10 s.
std::vector<JobNotification> DrainUntilEmpty(JobObject& job) {
  std::vector<JobNotification> seen;
  for (int i = 0; i < 100; ++i) {
    auto n = job.Next(std::chrono::milliseconds(10000));
    if (!n.ok() || !n->has_value()) break;
    seen.push_back(**n);
    if ((*n)->event == JobEvent::kActiveProcessZero) break;
  }
  return seen;
}

bool Has(const std::vector<JobNotification>& seen, JobEvent e, uint32_t pid) {
  for (const auto& n : seen) {
    if (n.event == e && (pid == 0 || n.pid == pid)) return true;
  }
  return false;
}

void NamesAreUniqueAndOpenable() {
  std::wstring name = UniqueName(L"names");
  auto job = JobObject::Create(name);
  CHECK_OK(job.status());
  auto again = JobObject::Create(name);
  CHECK(!again.ok());
  CHECK(again.status().hr() == 0x800700B7u);  // HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)
  CHECK(again.status().message().find("already exists") != std::string::npos);
  auto opened = JobObject::Open(name);
  CHECK_OK(opened.status());
  auto missing = JobObject::Open(UniqueName(L"missing"));
  CHECK(!missing.ok());
  CHECK(missing.status().message().find("OpenJobObject") != std::string::npos);
  // An opened job has no notification port of its own.
  if (opened.ok()) CHECK(!opened->Next(std::chrono::milliseconds(0)).ok());
}

// The object-manager path of a named job: Win32 names live in the session's
// BaseNamedObjects directory (\BaseNamedObjects itself in session 0).
std::wstring ObjectManagerPath(const std::wstring& name) {
  DWORD session = 0;
  ProcessIdToSessionId(GetCurrentProcessId(), &session);
  if (session == 0) return L"\\BaseNamedObjects\\" + name;
  return L"\\Sessions\\" + std::to_wstring(session) + L"\\BaseNamedObjects\\" + name;
}

// Jobs named by an object-manager path (HCS's \Container_<id> silos) open
// through NtOpenJobObject: OpenJobObjectW cannot reach them.
void OpensJobsByObjectManagerPath() {
  std::wstring name = UniqueName(L"ntpath");
  auto job = JobObject::Create(name);
  CHECK_OK(job.status());
  if (!job.ok()) return;
  auto opened = JobObject::Open(ObjectManagerPath(name));
  CHECK_OK(opened.status());
  if (opened.ok()) {
    // The same job: a process assigned through one handle is in the other's list.
    PROCESS_INFORMATION pi = SpawnChild(L"sleep");
    CHECK_OK(opened->Assign(pi.hProcess));
    auto pids = job->Pids();
    CHECK_OK(pids.status());
    if (pids.ok()) CHECK(pids->size() == 1 && (*pids)[0] == pi.dwProcessId);
    TerminateProcess(pi.hProcess, 0);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
  }
  auto missing = JobObject::Open(L"\\Container_silo-test-missing");
  CHECK(!missing.ok());
  CHECK(missing.status().hr() == 0x80070002u);  // ERROR_FILE_NOT_FOUND from STATUS_OBJECT_NAME_NOT_FOUND
  CHECK(missing.status().message().find("NtOpenJobObject") != std::string::npos);
}

void BadLimitsAreRejected() {
  auto job = JobObject::Create(L"");
  CHECK_OK(job.status());
  if (!job.ok()) return;
  JobLimits rate;
  rate.cpu_rate = 20000;
  auto s = job->SetLimits(rate);
  CHECK(s.hr() == 0x80070057u);
  CHECK(s.message().find("cpu_rate") != std::string::npos);
  JobLimits both;
  both.cpu_rate = 100;
  both.cpu_weight = 5;
  CHECK(job->SetLimits(both).message().find("mutually exclusive") != std::string::npos);
  JobLimits weight;
  weight.cpu_weight = 10;
  CHECK(!job->SetLimits(weight).ok());
}

void ExitIsNotifiedWithPidAndCode() {
  auto job = JobObject::Create(UniqueName(L"exit"));
  CHECK_OK(job.status());
  if (!job.ok()) return;
  JobLimits limits;
  limits.job_memory_bytes = 256ull << 20;
  limits.kill_on_close = true;
  CHECK_OK(job->SetLimits(limits));
  PROCESS_INFORMATION pi = SpawnChild(L"exit 3");
  CHECK_OK(job->Assign(pi.hProcess));
  ResumeThread(pi.hThread);
  std::vector<JobNotification> seen = DrainUntilEmpty(*job);
  CHECK(Has(seen, JobEvent::kNewProcess, pi.dwProcessId));
  CHECK(Has(seen, JobEvent::kExitProcess, pi.dwProcessId) || Has(seen, JobEvent::kAbnormalExit, pi.dwProcessId));
  CHECK(Has(seen, JobEvent::kActiveProcessZero, 0));
  WaitForSingleObject(pi.hProcess, 10000);
  DWORD code = 0;
  GetExitCodeProcess(pi.hProcess, &code);
  CHECK(code == 3);
  auto acct = job->Accounting();
  CHECK_OK(acct.status());
  if (acct.ok()) {
    CHECK(acct->total_processes == 1);
    CHECK(acct->active_processes == 0);
  }
  CHECK_OK(job->Memory().status());
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
}

void PidsAndTerminateCoverEveryProcess() {
  auto job = JobObject::Create(UniqueName(L"terminate"));
  CHECK_OK(job.status());
  if (!job.ok()) return;
  PROCESS_INFORMATION a = SpawnChild(L"sleep");
  PROCESS_INFORMATION b = SpawnChild(L"sleep");
  CHECK_OK(job->Assign(a.hProcess));
  CHECK_OK(job->Assign(b.hProcess));
  ResumeThread(a.hThread);
  ResumeThread(b.hThread);
  auto pids = job->Pids();
  CHECK_OK(pids.status());
  if (pids.ok()) {
    CHECK(pids->size() == 2);
    bool has_a = false, has_b = false;
    for (uint32_t p : *pids) {
      has_a = has_a || p == a.dwProcessId;
      has_b = has_b || p == b.dwProcessId;
    }
    CHECK(has_a && has_b);
  }
  CHECK_OK(job->Terminate(137));
  for (const auto& pi : {a, b}) {
    CHECK(WaitForSingleObject(pi.hProcess, 10000) == WAIT_OBJECT_0);
    DWORD code = 0;
    GetExitCodeProcess(pi.hProcess, &code);
    CHECK(code == 137);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
  }
  CHECK(Has(DrainUntilEmpty(*job), JobEvent::kActiveProcessZero, 0));
}

void KillOnCloseEndsTheProcesses() {
  PROCESS_INFORMATION pi = SpawnChild(L"sleep");
  {
    auto job = JobObject::Create(L"");
    CHECK_OK(job.status());
    if (!job.ok()) return;
    JobLimits limits;
    limits.kill_on_close = true;
    CHECK_OK(job->SetLimits(limits));
    CHECK_OK(job->Assign(pi.hProcess));
    ResumeThread(pi.hThread);
  }  // last handle closed: the job kills its processes
  CHECK(WaitForSingleObject(pi.hProcess, 10000) == WAIT_OBJECT_0);
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
}

void CpuRateHardCap() {
  auto job = JobObject::Create(L"");
  CHECK_OK(job.status());
  if (!job.ok()) return;
  JobLimits limits;
  limits.cpu_rate = 5000;
  auto s = job->SetLimits(limits);
  if (UnderWine()) {
    std::printf("  SKIPPED: Wine does not implement job CPU rate control (got %s)\n", s.ToString().c_str());
    return;
  }
  CHECK_OK(s);
}

// The stats reader on a job holding a running child: opened by name, its
// process counted, its limit and the child's private working set read.
void StatisticsOfAJobWithAChild() {
  const std::wstring name = UniqueName(L"stats");
  auto job = JobObject::Create(name);
  CHECK_OK(job.status());
  if (!job.ok()) return;
  JobLimits limits;
  limits.job_memory_bytes = 256u << 20;
  limits.kill_on_close = true;
  CHECK_OK(job->SetLimits(limits));
  PROCESS_INFORMATION pi = SpawnChild(L"sleep");
  CHECK_OK(job->Assign(pi.hProcess));
  ResumeThread(pi.hThread);
  Sleep(200);  // let the child map its image

  auto stats = ReadJobStatistics(name);
  CHECK_OK(stats.status());
  if (stats.ok()) {
    const uint64_t first = stats->private_working_sets.empty() ? 0 : stats->private_working_sets[0];
    std::printf("  active %llu, commit %llu, limit %llu, private working sets %zu (first %llu)\n",
                static_cast<unsigned long long>(stats->active_processes),
                static_cast<unsigned long long>(stats->commit_bytes),
                static_cast<unsigned long long>(stats->memory_limit_bytes), stats->private_working_sets.size(),
                static_cast<unsigned long long>(first));
    CHECK(stats->active_processes == 1);
    if (UnderWine() && stats->memory_limit_bytes == 0) {
      std::printf("  SKIPPED: Wine answers zeroed extended limit information\n");
    } else {
      CHECK(stats->memory_limit_bytes == (256u << 20));
    }
    if (UnderWine() && stats->private_working_sets.empty()) {
      std::printf("  SKIPPED: Wine does not answer VM_COUNTERS_EX2\n");
    } else {
      CHECK(stats->private_working_sets.size() == 1);
      if (!stats->private_working_sets.empty()) CHECK(stats->private_working_sets[0] > 0);
    }
  }
  auto gone = ReadJobStatistics(UniqueName(L"gone"));
  CHECK(!gone.ok() && gone.status().hr() == 0x80070002u);
  CHECK_OK(job->Terminate(1));
  CHECK(WaitForSingleObject(pi.hProcess, 10000) == WAIT_OBJECT_0);
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
}

int Child(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[2], "exit") == 0) return std::atoi(argv[3]);
  if (argc >= 3 && std::strcmp(argv[2], "sleep") == 0) {
    Sleep(60000);
    return 0;
  }
  return 99;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "child") == 0) return Child(argc, argv);
  std::printf("job_object_test%s\n", UnderWine() ? " (under Wine)" : "");
  const silo::windows_testing::WinTest tests[] = {
      {"NamesAreUniqueAndOpenable", NamesAreUniqueAndOpenable},
      {"OpensJobsByObjectManagerPath", OpensJobsByObjectManagerPath},
      {"BadLimitsAreRejected", BadLimitsAreRejected},
      {"ExitIsNotifiedWithPidAndCode", ExitIsNotifiedWithPidAndCode},
      {"PidsAndTerminateCoverEveryProcess", PidsAndTerminateCoverEveryProcess},
      {"KillOnCloseEndsTheProcesses", KillOnCloseEndsTheProcesses},
      {"CpuRateHardCap", CpuRateHardCap},
      {"StatisticsOfAJobWithAChild", StatisticsOfAJobWithAChild},
  };
  return silo::windows_testing::RunWinTests(tests);
}
