#pragma once
// Internal helpers shared by namespace.cc and endpoint.cc: a scoped HCN
// handle and id parsing with a named error. Not part of the public API.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "network/hns/api.h"
#include "network/hns/check.h"
#include "network/hns/errors.h"
#include "network/hns/guid.h"
#include "network/hns/schema.h"
#include "runtime/base/windows/wide.h"

namespace silo::network::hns::internal {

// Closes the handle with `close` (HcnClose*) on destruction. Close results
// are ignored: there is nothing useful to do with a failed close.
class ScopedHcnHandle {
 public:
  explicit ScopedHcnHandle(uint32_t (*close)(HcnHandle)) : close_(close) {}
  ~ScopedHcnHandle() {
    if (handle_ != nullptr) (void)close_(handle_);
  }
  ScopedHcnHandle(const ScopedHcnHandle&) = delete;
  ScopedHcnHandle& operator=(const ScopedHcnHandle&) = delete;
  HcnHandle* out() { return &handle_; }
  HcnHandle get() const { return handle_; }

 private:
  uint32_t (*close_)(HcnHandle);
  HcnHandle handle_ = nullptr;
};

inline Result<HcnGuid> ParseId(std::string_view kind, std::string_view id) {
  std::optional<HcnGuid> g = ParseGuid(id);
  if (!g) return HrStatus(errors::kEInvalidArg, "invalid " + std::string(kind) + " id \"" + std::string(id) + "\"");
  return *g;
}

using OpenFn = uint32_t (*)(const HcnGuid*, HcnHandle*, wchar_t**);
using QueryFn = uint32_t (*)(HcnHandle, const wchar_t*, wchar_t**, wchar_t**);
using CloseFn = uint32_t (*)(HcnHandle);
using EnumerateFn = uint32_t (*)(const wchar_t*, wchar_t**, wchar_t**);
using DeleteFn = uint32_t (*)(const HcnGuid*, wchar_t**);

// Names of one object kind's exports, for messages.
struct Kind {
  const char* name;  // "namespace"
  const char* open;  // "HcnOpenNamespace"
  const char* query;
  const char* enumerate;
  const char* del;
};

// Open `id`, query its properties with the default query, close; returns the raw document.
inline Result<std::string> OpenAndQuery(const HcnApi& api, const Kind& kind, std::string_view id, OpenFn open,
                                        QueryFn query, CloseFn close) {
  Result<HcnGuid> guid = ParseId(kind.name, id);
  if (!guid.ok()) return guid.status();
  ScopedHcnHandle handle(close);
  HcnString record(api);
  if (HrStatus s = CheckHcnCall(kind.open, id, open(&*guid, handle.out(), record.out()), record); !s.ok()) return s;
  HcnString props(api);
  const std::wstring q = win32::Utf8ToWide(QueryJson());
  if (HrStatus s = CheckHcnCall(kind.query, id, query(handle.get(), q.c_str(), props.out(), record.out()), record);
      !s.ok()) {
    return s;
  }
  return props.Utf8();
}

inline Result<std::vector<std::string>> Enumerate(const HcnApi& api, const Kind& kind, EnumerateFn enumerate) {
  HcnString ids(api);
  HcnString record(api);
  const std::wstring q = win32::Utf8ToWide(QueryJson());
  if (HrStatus s = CheckHcnCall(kind.enumerate, "", enumerate(q.c_str(), ids.out(), record.out()), record); !s.ok()) {
    return s;
  }
  Result<std::vector<std::string>> list = ParseIdList(ids.Utf8());
  if (!list.ok()) return HrStatus(list.status().hr(), std::string(kind.enumerate) + ": " + list.status().message());
  return list;
}

// NotFound counts as success: the object is gone either way.
inline HrStatus Delete(const HcnApi& api, const Kind& kind, std::string_view id, DeleteFn del) {
  Result<HcnGuid> guid = ParseId(kind.name, id);
  if (!guid.ok()) return guid.status();
  HcnString record(api);
  HrStatus s = CheckHcnCall(kind.del, id, del(&*guid, record.out()), record);
  if (!s.ok() && errors::IsNotFound(s.hr())) return HrStatus::Ok();
  return s;
}

}  // namespace silo::network::hns::internal
