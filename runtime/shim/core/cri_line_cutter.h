#pragma once
// CriLineCutter turns one stream's raw bytes into CRI log records with
// containerd's rules (internal/cri/io/logger.go): a line ends at '\n', and a
// "\r\n" ending loses both bytes; a line longer than `max_line` is cut into P
// chunks of exactly `max_line` bytes with the remainder written as F (a line
// of exactly `max_line` bytes is a single F); bytes left without a newline at
// EOF are written as P. It only decides the cuts: each record goes to the
// caller's `emit`, so the Linux writer (Abseil, POSIX) and the Windows
// monitor (Win32) share the rules. Standard library only.
// One cutter per stream; not thread-safe by itself.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace silo::runtime::shim {

// containerd's and CRI-O's default max_container_log_line_size.
inline constexpr size_t kDefaultMaxLogLine = 16 * 1024;

class CriLineCutter {
 public:
  // Receives one record's content (no '\n') and whether it is partial.
  using Emit = std::function<void(bool partial, std::string_view content)>;

  explicit CriLineCutter(size_t max_line = kDefaultMaxLogLine) : max_line_(max_line == 0 ? 1 : max_line) {}

  // Consumes raw bytes; emits every record they complete.
  void Feed(std::string_view data, const Emit& emit);
  // End of stream: emits what is left as P records.
  void Finish(const Emit& emit);

 private:
  void EmitChunks(std::string_view line, bool final_full, const Emit& emit);

  size_t max_line_;
  std::string pending_;
};

}  // namespace silo::runtime::shim
