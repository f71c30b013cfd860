#pragma once
// Binding a loadable API table to a system DLL (Win32 only): computecore,
// computenetwork and the layer DLLs are loaded from System32 at run time
// (mingw has no import library for some, and hosts without the Containers
// feature lack them), their exports taken with GetProcAddress, and every
// slot's type checked at compile time against the SDK declaration.

#include <windows.h>

#include <cstddef>
#include <string>
#include <type_traits>

#include "runtime/base/windows/result.h"

namespace silo::win32::dll {

// The size a parameter occupies in the x64 ABI: a reference (REFGUID) is
// passed as a pointer.
template <typename T>
inline constexpr size_t kArgSize = std::is_reference_v<T> ? sizeof(void*) : sizeof(T);

template <typename... T>
struct Pack {};
template <typename PA, typename PB>
inline constexpr bool kSameSizes = false;
template <typename... A, typename... B>
  requires(sizeof...(A) == sizeof...(B))
inline constexpr bool kSameSizes<Pack<A...>, Pack<B...>> = ((kArgSize<A> == kArgSize<B>) && ...);

// Same number of parameters, each of the same size, and a return value of
// the same size (or both void): on x64 (one calling convention) that is ABI
// compatibility, which is what a GetProcAddress cast relies on.
template <typename A, typename B>
struct SameShape : std::false_type {};
template <typename RA, typename... A, typename RB, typename... B>
struct SameShape<RA (*)(A...), RB (*)(B...)> {
  static constexpr bool kSameReturn = [] {
    if constexpr (std::is_void_v<RA> || std::is_void_v<RB>) {
      return std::is_void_v<RA> == std::is_void_v<RB>;
    } else {
      return sizeof(RA) == sizeof(RB);
    }
  }();
  static constexpr bool value = kSameSizes<Pack<A...>, Pack<B...>> && kSameReturn;
};

// Stores export `name` of `dll` in `slot`; false if the DLL lacks it.
template <typename Slot>
bool Bind(HMODULE dll, const char* name, Slot& slot) {
  FARPROC proc = GetProcAddress(dll, name);
  if (proc == nullptr) return false;
  // Through void(*)(), the sanctioned way to silence -Wcast-function-type.
  slot = reinterpret_cast<Slot>(reinterpret_cast<void (*)()>(proc));
  return true;
}

// LoadLibraryExW(name) from System32 only (never the current directory).
inline Result<HMODULE> LoadSystemDll(const wchar_t* name, const char* name_utf8) {
  HMODULE dll = LoadLibraryExW(name, nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (dll == nullptr) {
    const DWORD error = GetLastError();
    return HrStatus(static_cast<uint32_t>(HRESULT_FROM_WIN32(error)),
                         std::string("LoadLibraryExW ") + name_utf8 + ": error " + std::to_string(error));
  }
  return dll;
}

}  // namespace silo::win32::dll
