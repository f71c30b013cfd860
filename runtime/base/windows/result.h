#pragma once
// HrStatus / Result<T>: the error type of the Win32 wrapper layers. They
// depend only on the standard library (mingw-w64 has no Abseil); the backend
// above converts with windows::HResultToStatus(status.hr(), ...).
//
// An HrStatus is an HRESULT plus a message naming the call, the object and
// HCS's error events. Only S_OK counts as ok. Values are plain data: copyable,
// not thread-safe to mutate concurrently.

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace silo::win32 {

class [[nodiscard]] HrStatus {
 public:
  HrStatus() = default;
  HrStatus(uint32_t hr, std::string message) : hr_(hr), message_(std::move(message)) {}
  static HrStatus Ok() { return HrStatus(); }

  bool ok() const { return hr_ == 0; }
  uint32_t hr() const { return hr_; }
  const std::string& message() const { return message_; }
  // "message (HRESULT 0x8037010E)".
  std::string ToString() const;

 private:
  uint32_t hr_ = 0;
  std::string message_;
};

// Either a value or a failed HrStatus (never an ok one).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(HrStatus status) : v_(std::move(status)) {}  // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  HrStatus status() const { return ok() ? HrStatus::Ok() : std::get<HrStatus>(v_); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, HrStatus> v_;
};

// "0x8037010E".
std::string HexHResult(uint32_t hr);

}  // namespace silo::win32
