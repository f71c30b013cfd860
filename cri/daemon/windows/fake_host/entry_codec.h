#pragma once
// How one entry of a Windows API table (a plain function pointer member)
// crosses the process boundary to the fake host, for the entries whose
// parameters say enough by their type:
//   integers, enums, bool       by value
//   void* (a handle)            its value, valid in the host's process only
//   const void*                 must be null (a context or security
//                               descriptor silod never passes); refused loudly
//   const wchar_t*              the string, or null
//   wchar_t** (a returned string) copied back; the host frees its copy with
//                               its table's free_string, the caller frees ours
//   T* (scalar or PlainData)    in and out by value, or null
//   const T* (PlainData)        in by value, or null
// Anything else (callbacks, buffers with a capacity, arrays with a count,
// structs that hold pointers) has no codec, so the compiler asks for a
// hand-written entry. A table's own structs opt in with kPlainData.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cwchar>
#include <optional>
#include <string>
#include <type_traits>

#include "cri/daemon/windows/fake_host/wire.h"

namespace silo::cri::fake_host {

// A struct without pointers, copied byte for byte.
template <class T>
inline constexpr bool kPlainData = false;

[[noreturn]] inline void RefuseCall(const char* why) {
  std::fprintf(stderr, "fake Windows host: %s\n", why);
  std::abort();
}

// A string returned to the caller, freed by the caller's free_string stub.
inline wchar_t* CopyOutString(const std::wstring& s) {
  wchar_t* copy = new wchar_t[s.size() + 1];
  std::wmemcpy(copy, s.c_str(), s.size() + 1);
  return copy;
}
inline void FreeOutString(wchar_t* s) { delete[] s; }

// The host side frees returned strings with the table's own free_string.
template <class Api>
void FreeHostString(const Api& api, wchar_t* s) {
  if constexpr (requires { api.free_string; }) {
    api.free_string(s);
  } else {
    RefuseCall("a table without free_string returned a string");
  }
}

template <class T>
struct ArgCodec {
  static_assert(sizeof(T) == 0, "no generic codec for this parameter: write the entry by hand");
};

template <class T>
  requires(std::is_arithmetic_v<T> || std::is_enum_v<T>)
struct ArgCodec<T> {
  struct Slot {
    T value;
  };
  static void Send(WireWriter& w, T v) { w.Put(v); }
  static void Receive(WireReader&, T) {}
  static Slot Read(WireReader& r) { return {r.Get<T>()}; }
  static T Pass(Slot& s) { return s.value; }
  template <class Api>
  static void Reply(WireWriter&, Slot&, const Api&) {}
};

template <>
struct ArgCodec<void*> {
  struct Slot {
    void* value;
  };
  static void Send(WireWriter& w, void* v) { w.Put<uint64_t>(reinterpret_cast<uintptr_t>(v)); }
  static void Receive(WireReader&, void*) {}
  static Slot Read(WireReader& r) { return {reinterpret_cast<void*>(static_cast<uintptr_t>(r.Get<uint64_t>()))}; }
  static void* Pass(Slot& s) { return s.value; }
  template <class Api>
  static void Reply(WireWriter&, Slot&, const Api&) {}
};

template <>
struct ArgCodec<const void*> {
  struct Slot {};
  static void Send(WireWriter&, const void* v) {
    if (v != nullptr) RefuseCall("a context or security descriptor pointer cannot cross processes");
  }
  static void Receive(WireReader&, const void*) {}
  static Slot Read(WireReader&) { return {}; }
  static const void* Pass(Slot&) { return nullptr; }
  template <class Api>
  static void Reply(WireWriter&, Slot&, const Api&) {}
};

template <>
struct ArgCodec<const wchar_t*> {
  struct Slot {
    std::optional<std::wstring> value;
  };
  static void Send(WireWriter& w, const wchar_t* v) { w.PutWide(v); }
  static void Receive(WireReader&, const wchar_t*) {}
  static Slot Read(WireReader& r) { return {r.GetWide()}; }
  static const wchar_t* Pass(Slot& s) { return s.value ? s.value->c_str() : nullptr; }
  template <class Api>
  static void Reply(WireWriter&, Slot&, const Api&) {}
};

template <>
struct ArgCodec<wchar_t**> {
  struct Slot {
    bool wanted = false;
    wchar_t* value = nullptr;
  };
  static void Send(WireWriter& w, wchar_t** v) { w.Put<uint8_t>(v != nullptr); }
  static void Receive(WireReader& r, wchar_t** v) {
    if (v == nullptr) return;
    std::optional<std::wstring> s = r.GetWide();
    *v = s ? CopyOutString(*s) : nullptr;
  }
  static Slot Read(WireReader& r) { return {r.Get<uint8_t>() != 0, nullptr}; }
  static wchar_t** Pass(Slot& s) { return s.wanted ? &s.value : nullptr; }
  template <class Api>
  static void Reply(WireWriter& w, Slot& s, const Api& api) {
    if (!s.wanted) return;
    w.PutWide(s.value);
    if (s.value != nullptr) FreeHostString(api, s.value);
  }
};

template <class T>
inline constexpr bool kByValue = std::is_arithmetic_v<T> || std::is_same_v<T, void*> || kPlainData<T>;

// In and out through a pointer.
template <class T>
  requires(kByValue<T> && !std::is_const_v<T> && !std::is_same_v<T, wchar_t> && !std::is_same_v<T, uint8_t>)
struct ArgCodec<T*> {
  struct Slot {
    bool present = false;
    T value{};
  };
  static void Send(WireWriter& w, T* v) {
    w.Put<uint8_t>(v != nullptr);
    if (v != nullptr) w.Put(*v);
  }
  static void Receive(WireReader& r, T* v) {
    if (v != nullptr) *v = r.Get<T>();
  }
  static Slot Read(WireReader& r) {
    Slot s;
    s.present = r.Get<uint8_t>() != 0;
    if (s.present) s.value = r.Get<T>();
    return s;
  }
  static T* Pass(Slot& s) { return s.present ? &s.value : nullptr; }
  template <class Api>
  static void Reply(WireWriter& w, Slot& s, const Api&) {
    if (s.present) w.Put(s.value);
  }
};

// In only.
template <class T>
  requires kPlainData<T>
struct ArgCodec<const T*> {
  struct Slot {
    bool present = false;
    T value{};
  };
  static void Send(WireWriter& w, const T* v) {
    w.Put<uint8_t>(v != nullptr);
    if (v != nullptr) w.Put(*v);
  }
  static void Receive(WireReader&, const T*) {}
  static Slot Read(WireReader& r) {
    Slot s;
    s.present = r.Get<uint8_t>() != 0;
    if (s.present) s.value = r.Get<T>();
    return s;
  }
  static const T* Pass(Slot& s) { return s.present ? &s.value : nullptr; }
  template <class Api>
  static void Reply(WireWriter&, Slot&, const Api&) {}
};

// Return values: nothing, a number, or a handle.
template <class R>
void PutResult(WireWriter& w, R value) {
  if constexpr (std::is_pointer_v<R>) {
    w.Put<uint64_t>(reinterpret_cast<uintptr_t>(value));
  } else {
    w.Put(value);
  }
}
template <class R>
R GetResult(WireReader& r) {
  if constexpr (std::is_pointer_v<R>) {
    return reinterpret_cast<R>(static_cast<uintptr_t>(r.Get<uint64_t>()));
  } else {
    return r.Get<R>();
  }
}

// The function type of a table member: R (*Api::*)(A...) -> R(A...).
template <class M>
struct EntryOf;
template <class Api, class R, class... A>
struct EntryOf<R (*Api::*)(A...)> {
  using Table = Api;
  using Fn = R(A...);
};

// An entry's number on the wire: its offset in the table, the same in
// both processes (one build).
template <auto M>
uint32_t EntryId() {
  using Api = typename EntryOf<decltype(M)>::Table;
  static const Api probe{};
  return static_cast<uint32_t>(reinterpret_cast<const char*>(&(probe.*M)) -
                               reinterpret_cast<const char*>(&probe));
}

}  // namespace silo::cri::fake_host
