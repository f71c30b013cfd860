#pragma once
// FakeReadinessApi: a host's System32 DLLs and services behind a
// ReadinessApi table, for the Linux tests of the readiness probe (and of
// Status wiring above it). Strict as Windows is: a DLL name with a path
// separator is refused (LOAD_LIBRARY_SEARCH_SYSTEM32 takes a bare name),
// OpenServiceW needs a live SCM handle, QueryServiceStatus a live service
// handle, and FreeLibrary/CloseServiceHandle of a handle the fake did not
// give out (or already saw closed) fails and is counted. GetLastError is
// set by failing calls only. The table holds plain function pointers, so at
// most one fake may be alive per process (checked). Not thread-safe.

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "runtime/windows/readiness/readiness_api.h"

namespace silo::runtime::windows::readiness::fake {

class FakeReadinessApi {
 public:
  FakeReadinessApi();
  ~FakeReadinessApi();
  FakeReadinessApi(const FakeReadinessApi&) = delete;
  FakeReadinessApi& operator=(const FakeReadinessApi&) = delete;

  const ReadinessApi& api() const { return api_; }

  // A host with the Containers feature: the three DLLs, vmcompute and hns running.
  void InstallContainersFeature();
  void AddDll(const std::wstring& name) { dlls_.insert(name); }
  void RemoveDll(const std::wstring& name) { dlls_.erase(name); }
  // state: kServiceRunning, kServiceStopped, ...
  void SetService(const std::wstring& name, uint32_t state) { services_[name] = state; }
  void RemoveService(const std::wstring& name) { services_.erase(name); }
  // OpenSCManagerW fails with this error (e.g. 5, access denied); 0 = works.
  void FailScManager(uint32_t error) { scm_error_ = error; }

  int open_handles() const { return static_cast<int>(modules_.size() + scm_handles_.size() + services_open_.size()); }
  int bad_closes() const { return bad_closes_; }

 private:
  static FakeReadinessApi* current_;
  static void* Load(const wchar_t* name);
  static int32_t Free(void* module);
  static void* OpenScm();
  static void* OpenService(void* scm, const wchar_t* name);
  static int32_t Query(void* service, uint32_t* state);
  static int32_t Close(void* handle);
  static uint32_t LastError();
  void* NewHandle();

  ReadinessApi api_{};
  std::set<std::wstring> dlls_;
  std::map<std::wstring, uint32_t> services_;
  uint32_t scm_error_ = 0;
  uint32_t last_error_ = 0;
  uintptr_t next_handle_ = 0x1000;
  std::set<void*> modules_, scm_handles_;
  std::map<void*, std::wstring> services_open_;
  int bad_closes_ = 0;
};

}  // namespace silo::runtime::windows::readiness::fake
