#include "runtime/windows/jobobject/job_object.h"

#include <utility>

#include "runtime/base/windows/wide.h"
#include "runtime/windows/jobobject/api_win32.h"
#include "runtime/windows/jobobject/open_job.h"
#include "runtime/windows/jobobject/job_info.h"

namespace silo::runtime::windows::jobobject {
namespace {

constexpr uint32_t kEInvalidArg = 0x80070057;

uint32_t HResultFromWin32(DWORD err) {
  return err == 0 ? 0 : ((err & 0x0000FFFFu) | (7u << 16) | 0x80000000u);
}

std::string SystemMessage(DWORD err) {
  char buf[512] = {};
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, err, 0, buf,
                           sizeof(buf), nullptr);
  std::string s(buf, n);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '.')) s.pop_back();
  return s.empty() ? "error " + std::to_string(err) : s;
}

std::string JobLabel(const std::wstring& name) {
  return name.empty() ? std::string("anonymous job") : "job \"" + win32::WideToUtf8(name) + "\"";
}

JobEvent EventOf(DWORD message) {
  switch (message) {
    case kMsgNewProcess: return JobEvent::kNewProcess;
    case kMsgExitProcess: return JobEvent::kExitProcess;
    case kMsgAbnormalExitProcess: return JobEvent::kAbnormalExit;
    case kMsgActiveProcessZero: return JobEvent::kActiveProcessZero;
    case kMsgProcessMemoryLimit:
    case kMsgJobMemoryLimit: return JobEvent::kMemoryLimit;
    default: return JobEvent::kOther;
  }
}

}  // namespace

HrStatus LastError(const std::string& what) {
  DWORD err = GetLastError();
  return HrStatus(HResultFromWin32(err), what + ": " + SystemMessage(err));
}

Result<JobObject> JobObject::Create(const std::wstring& name) {
  Result<const JobApi*> api = LoadJobApi();
  if (!api.ok()) return api.status();
  // A named job gets silod's descriptor (owner Administrators; SYSTEM and
  // Administrators only) so nobody else can open it by its name.
  HANDLE job = static_cast<HANDLE>((*api)->create_job_object(name.empty() ? nullptr : name.c_str(),
                                                             name.empty() ? nullptr : kSilodJobSddl));
  if (job == nullptr) return LastError("CreateJobObject for " + JobLabel(name));
  if (!name.empty() && GetLastError() == ERROR_ALREADY_EXISTS) {
    CloseHandle(job);
    return HrStatus(HResultFromWin32(ERROR_ALREADY_EXISTS), "CreateJobObject: " + JobLabel(name) + " already exists");
  }
  HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (port == nullptr) {
    HrStatus s = LastError("CreateIoCompletionPort for " + JobLabel(name));
    CloseHandle(job);
    return s;
  }
  JOBOBJECT_ASSOCIATE_COMPLETION_PORT assoc = {};
  assoc.CompletionKey = job;
  assoc.CompletionPort = port;
  if (!SetInformationJobObject(job, JobObjectAssociateCompletionPortInformation, &assoc, sizeof(assoc))) {
    HrStatus s = LastError("associating a completion port with " + JobLabel(name));
    CloseHandle(port);
    CloseHandle(job);
    return s;
  }
  return JobObject(job, port, name);
}

Result<JobObject> JobObject::Open(const std::wstring& name) {
  if (name.empty()) return HrStatus(kEInvalidArg, "OpenJobObject: a name is required");
  Result<const JobApi*> api = LoadJobApi();
  if (!api.ok()) return api.status();
  Result<void*> job = OpenNamedJob(**api, name, kJobObjectAllAccess);
  if (!job.ok()) return job.status();
  return JobObject(static_cast<HANDLE>(*job), nullptr, name);
}

JobObject::JobObject(JobObject&& other) noexcept
    : job_(std::exchange(other.job_, nullptr)),
      port_(std::exchange(other.port_, nullptr)),
      name_(std::move(other.name_)) {}

JobObject& JobObject::operator=(JobObject&& other) noexcept {
  if (this != &other) {
    Close();
    job_ = std::exchange(other.job_, nullptr);
    port_ = std::exchange(other.port_, nullptr);
    name_ = std::move(other.name_);
  }
  return *this;
}

JobObject::~JobObject() { Close(); }

void JobObject::Close() {
  if (job_ != nullptr) CloseHandle(job_);
  if (port_ != nullptr) CloseHandle(port_);
  job_ = port_ = nullptr;
}

HrStatus JobObject::SetLimits(const JobLimits& limits) {
  const std::string label = JobLabel(name_);
  if (limits.cpu_rate > 10000) {
    return HrStatus(kEInvalidArg, label + ": cpu_rate " + std::to_string(limits.cpu_rate) + " is above 10000");
  }
  if (limits.cpu_weight > 9) {
    return HrStatus(kEInvalidArg, label + ": cpu_weight " + std::to_string(limits.cpu_weight) + " is above 9");
  }
  if (limits.cpu_rate != 0 && limits.cpu_weight != 0) {
    return HrStatus(kEInvalidArg, label + ": cpu_rate and cpu_weight are mutually exclusive");
  }
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION ext = {};
  if (limits.job_memory_bytes != 0) {
    ext.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_JOB_MEMORY;
    ext.JobMemoryLimit = static_cast<SIZE_T>(limits.job_memory_bytes);
  }
  if (limits.affinity != 0) {
    ext.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_AFFINITY;
    ext.BasicLimitInformation.Affinity = static_cast<ULONG_PTR>(limits.affinity);
  }
  if (limits.kill_on_close) ext.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!SetInformationJobObject(job_, JobObjectExtendedLimitInformation, &ext, sizeof(ext))) {
    return LastError("setting memory/affinity limits of " + label);
  }
  if (limits.cpu_rate != 0 || limits.cpu_weight != 0) {
    JOBOBJECT_CPU_RATE_CONTROL_INFORMATION cpu = {};
    if (limits.cpu_rate != 0) {
      cpu.ControlFlags = JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP;
      cpu.CpuRate = limits.cpu_rate;
    } else {
      cpu.ControlFlags = JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_WEIGHT_BASED;
      cpu.Weight = limits.cpu_weight;
    }
    if (!SetInformationJobObject(job_, JobObjectCpuRateControlInformation, &cpu, sizeof(cpu))) {
      return LastError("setting CPU rate control of " + label);
    }
  }
  return HrStatus::Ok();
}

HrStatus JobObject::Assign(HANDLE process) {
  if (!AssignProcessToJobObject(job_, process)) return LastError("assigning a process to " + JobLabel(name_));
  return HrStatus::Ok();
}

HrStatus JobObject::Terminate(uint32_t exit_code) {
  if (!TerminateJobObject(job_, exit_code)) return LastError("terminating " + JobLabel(name_));
  return HrStatus::Ok();
}

Result<std::vector<uint32_t>> JobObject::Pids() const {
  // The list can grow between calls: retry with the reported count.
  DWORD capacity = 16;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const size_t bytes = sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) + capacity * sizeof(ULONG_PTR);
    std::vector<unsigned char> buf(bytes);
    auto* list = reinterpret_cast<JOBOBJECT_BASIC_PROCESS_ID_LIST*>(buf.data());
    if (QueryInformationJobObject(job_, JobObjectBasicProcessIdList, list, static_cast<DWORD>(bytes), nullptr) ||
        GetLastError() == ERROR_MORE_DATA) {
      if (list->NumberOfAssignedProcesses <= list->NumberOfProcessIdsInList) {
        std::vector<uint32_t> pids;
        for (DWORD i = 0; i < list->NumberOfProcessIdsInList; ++i) {
          pids.push_back(static_cast<uint32_t>(list->ProcessIdList[i]));
        }
        return pids;
      }
      capacity = list->NumberOfAssignedProcesses + 16;
      continue;
    }
    return LastError("listing the processes of " + JobLabel(name_));
  }
  return HrStatus(HResultFromWin32(ERROR_MORE_DATA), "listing the processes of " + JobLabel(name_) + ": kept growing");
}

Result<JobAccounting> JobObject::Accounting() const {
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION info = {};
  if (!QueryInformationJobObject(job_, JobObjectBasicAccountingInformation, &info, sizeof(info), nullptr)) {
    return LastError("querying accounting of " + JobLabel(name_));
  }
  JobAccounting a;
  a.user_time_100ns = static_cast<uint64_t>(info.TotalUserTime.QuadPart);
  a.kernel_time_100ns = static_cast<uint64_t>(info.TotalKernelTime.QuadPart);
  a.page_faults = info.TotalPageFaultCount;
  a.total_processes = info.TotalProcesses;
  a.active_processes = info.ActiveProcesses;
  a.terminated_processes = info.TotalTerminatedProcesses;
  return a;
}

Result<JobMemory> JobObject::Memory() const {
  // Class 28 where the OS has it; else the extended limit information,
  // which carries only the peak.
  JobMemoryUsageInformation usage = {};
  if (QueryInformationJobObject(job_, static_cast<JOBOBJECTINFOCLASS>(kJobObjectMemoryUsageInformation), &usage,
                                sizeof(usage), nullptr)) {
    return JobMemory{usage.job_memory, usage.peak_job_memory_used};
  }
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION ext = {};
  if (!QueryInformationJobObject(job_, JobObjectExtendedLimitInformation, &ext, sizeof(ext), nullptr)) {
    return LastError("querying memory of " + JobLabel(name_));
  }
  return JobMemory{0, static_cast<uint64_t>(ext.PeakJobMemoryUsed)};
}

Result<std::optional<JobNotification>> JobObject::Next(std::chrono::milliseconds timeout) {
  if (port_ == nullptr) {
    return HrStatus(kEInvalidArg, JobLabel(name_) + " was opened, not created: it has no notification port");
  }
  DWORD message = 0;
  ULONG_PTR key = 0;
  LPOVERLAPPED overlapped = nullptr;
  if (!GetQueuedCompletionStatus(port_, &message, &key, &overlapped, static_cast<DWORD>(timeout.count()))) {
    if (overlapped == nullptr && GetLastError() == WAIT_TIMEOUT) return std::optional<JobNotification>();
    return LastError("waiting for notifications of " + JobLabel(name_));
  }
  JobNotification n;
  n.message = message;
  n.event = EventOf(message);
  // For process messages the "overlapped" pointer carries the pid.
  n.pid = static_cast<uint32_t>(reinterpret_cast<ULONG_PTR>(overlapped));
  return std::optional<JobNotification>(n);
}

}  // namespace silo::runtime::windows::jobobject
