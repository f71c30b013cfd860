#include "runtime/windows/readiness/fake/fake_readiness_api.h"

#include <cstdlib>

namespace silo::runtime::windows::readiness::fake {

FakeReadinessApi* FakeReadinessApi::current_ = nullptr;

namespace {
constexpr uint32_t kErrorInvalidHandle = 6;
constexpr uint32_t kErrorInvalidParameter = 87;
}  // namespace

FakeReadinessApi::FakeReadinessApi() {
  if (current_ != nullptr) std::abort();  // one table, one fake
  current_ = this;
  api_ = ReadinessApi{&Load, &Free, &OpenScm, &OpenService, &Query, &Close, &LastError};
}

FakeReadinessApi::~FakeReadinessApi() { current_ = nullptr; }

void FakeReadinessApi::InstallContainersFeature() {
  for (const wchar_t* dll : {L"computecore.dll", L"vmcompute.dll", L"computenetwork.dll"}) AddDll(dll);
  SetService(L"vmcompute", kServiceRunning);
  SetService(L"hns", kServiceRunning);
}

void* FakeReadinessApi::NewHandle() {
  next_handle_ += 4;
  return reinterpret_cast<void*>(next_handle_);
}

void* FakeReadinessApi::Load(const wchar_t* name) {
  FakeReadinessApi& f = *current_;
  const std::wstring n = name == nullptr ? L"" : name;
  if (n.empty() || n.find_first_of(L"\\/") != std::wstring::npos) {
    f.last_error_ = kErrorInvalidParameter;
    return nullptr;
  }
  if (!f.dlls_.count(n)) {
    f.last_error_ = kErrorModNotFound;
    return nullptr;
  }
  void* h = f.NewHandle();
  f.modules_.insert(h);
  return h;
}

int32_t FakeReadinessApi::Free(void* module) {
  FakeReadinessApi& f = *current_;
  if (f.modules_.erase(module) == 0) {
    ++f.bad_closes_;
    f.last_error_ = kErrorInvalidHandle;
    return 0;
  }
  return 1;
}

void* FakeReadinessApi::OpenScm() {
  FakeReadinessApi& f = *current_;
  if (f.scm_error_ != 0) {
    f.last_error_ = f.scm_error_;
    return nullptr;
  }
  void* h = f.NewHandle();
  f.scm_handles_.insert(h);
  return h;
}

void* FakeReadinessApi::OpenService(void* scm, const wchar_t* name) {
  FakeReadinessApi& f = *current_;
  if (!f.scm_handles_.count(scm)) {
    f.last_error_ = kErrorInvalidHandle;
    return nullptr;
  }
  if (name == nullptr || !f.services_.count(name)) {
    f.last_error_ = kErrorServiceDoesNotExist;
    return nullptr;
  }
  void* h = f.NewHandle();
  f.services_open_[h] = name;
  return h;
}

int32_t FakeReadinessApi::Query(void* service, uint32_t* state) {
  FakeReadinessApi& f = *current_;
  auto it = f.services_open_.find(service);
  if (it == f.services_open_.end() || state == nullptr) {
    f.last_error_ = it == f.services_open_.end() ? kErrorInvalidHandle : kErrorInvalidParameter;
    return 0;
  }
  *state = f.services_.count(it->second) ? f.services_.at(it->second) : kServiceStopped;
  return 1;
}

int32_t FakeReadinessApi::Close(void* handle) {
  FakeReadinessApi& f = *current_;
  // A service handle must be closed before its manager's (Windows allows
  // either order; the fake insists on the tidy one the probe uses).
  if (f.services_open_.erase(handle) == 1) return 1;
  if (f.scm_handles_.count(handle) && f.services_open_.empty()) {
    f.scm_handles_.erase(handle);
    return 1;
  }
  ++f.bad_closes_;
  f.last_error_ = kErrorInvalidHandle;
  return 0;
}

uint32_t FakeReadinessApi::LastError() { return current_->last_error_; }

}  // namespace silo::runtime::windows::readiness::fake
