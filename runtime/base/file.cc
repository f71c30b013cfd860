#include "runtime/base/file.h"

#include <utility>

namespace silo {

// Ownership only; opening, I/O and Close() are per platform.
File::File(File&& other) noexcept : handle_(std::exchange(other.handle_, -1)), path_(std::move(other.path_)) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    Close();
    handle_ = std::exchange(other.handle_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

File::~File() { Close(); }

}  // namespace silo
