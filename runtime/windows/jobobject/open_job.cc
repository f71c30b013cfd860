#include "runtime/windows/jobobject/open_job.h"

#include <cstdio>

#include "runtime/base/windows/wide.h"

namespace silo::runtime::windows::jobobject {
namespace {

constexpr uint32_t kEInvalidArg = 0x80070057;

uint32_t HResultFromWin32(uint32_t err) { return err == 0 ? 0 : ((err & 0x0000FFFFu) | (7u << 16) | 0x80000000u); }

std::string Label(const std::wstring& name) { return "job \"" + win32::WideToUtf8(name) + "\""; }

}  // namespace

std::wstring SiloJobName(std::wstring_view container_id) {
  return L"\\Container_" + std::wstring(container_id);
}

bool IsObjectManagerPath(std::wstring_view name) { return !name.empty() && name.front() == L'\\'; }

Result<void*> OpenNamedJob(const JobApi& api, const std::wstring& name, uint32_t access) {
  if (name.empty()) return HrStatus(kEInvalidArg, "opening a job object: a name is required");
  if (!IsObjectManagerPath(name)) {
    void* job = api.open_job_object(access, 0, name.c_str());
    if (job == nullptr) {
      const uint32_t err = api.get_last_error();
      return HrStatus(HResultFromWin32(err), "OpenJobObjectW " + Label(name) + ": error " + std::to_string(err));
    }
    return job;
  }
  // UNICODE_STRING lengths are 16-bit byte counts.
  const size_t bytes = name.size() * sizeof(wchar_t);
  if (bytes > 0xFFFE) return HrStatus(kEInvalidArg, "NtOpenJobObject " + Label(name) + ": name too long");
  NtUnicodeString object_name{static_cast<uint16_t>(bytes), static_cast<uint16_t>(bytes), name.c_str()};
  NtObjectAttributes attributes{};
  attributes.length = sizeof(NtObjectAttributes);
  attributes.object_name = &object_name;
  void* job = nullptr;
  const int32_t status = api.nt_open_job_object(&job, access, &attributes);
  if (status != 0) {
    const uint32_t err = api.rtl_nt_status_to_dos_error(status);
    char code[16];
    std::snprintf(code, sizeof(code), "0x%08X", static_cast<uint32_t>(status));
    return HrStatus(HResultFromWin32(err), "NtOpenJobObject " + Label(name) + ": NTSTATUS " + code + " (error " +
                                               std::to_string(err) + ")");
  }
  return job;
}

}  // namespace silo::runtime::windows::jobobject
