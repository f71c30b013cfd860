#pragma once
// The byte format between the fake Windows host (the test process that owns
// the fake API tables) and a silod in another process calling them. Both
// ends are this build on this machine, so values travel in native byte
// order and width (wchar_t included). A message is a 4-byte length and a
// payload; payloads are built with WireWriter and read with WireReader.
// Not thread-safe; one writer or reader per message.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>

namespace silo::cri::fake_host {

// Which table a call is for.
enum class Table : uint32_t {
  kHcs = 1,
  kHcn,
  kLayers,
  kHostPaths,
  kShims,
  kReadJob,
  kJobs,
  kReadiness,
  kProcesses,
  kControl
};

// Control calls (Table::kControl).
inline constexpr uint32_t kControlHello = 0;  // first message of a connection

// What a connection carries, said in its hello.
enum class ConnectionKind : uint32_t {
  kLifeline = 1,  // one per client process: its end is the process's death; carries HCS events
  kCalls = 2,     // one per calling thread: request, response, ...
};

class WireWriter {
 public:
  template <class T>
  void Put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  void PutBytes(const void* data, size_t size) {
    Put<uint64_t>(size);
    if (size > 0) bytes_.append(static_cast<const char*>(data), size);
  }
  void PutString(const std::string& s) { PutBytes(s.data(), s.size()); }
  // A UTF-16 (wchar_t) string or null.
  void PutWide(const wchar_t* s);
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

class WireReader {
 public:
  explicit WireReader(std::string bytes) : bytes_(std::move(bytes)) {}
  // False once a read ran past the end; every later read yields zeros.
  bool ok() const { return ok_; }
  template <class T>
  T Get() {
    static_assert(std::is_trivially_copyable_v<T>);
    T value{};
    if (!Take(&value, sizeof(T))) return T{};
    return value;
  }
  std::string GetString();
  // What PutWide wrote: nullopt for null.
  std::optional<std::wstring> GetWide();

 private:
  bool Take(void* out, size_t size);
  std::string bytes_;
  size_t at_ = 0;
  bool ok_ = true;
};

// Whole-message I/O on a stream socket; false when the peer is gone.
bool SendMessage(int fd, const std::string& payload);
bool ReceiveMessage(int fd, std::string* payload);

}  // namespace silo::cri::fake_host
