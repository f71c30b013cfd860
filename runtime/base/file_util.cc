#include "runtime/base/file_util.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/base/file.h"

namespace silo {

absl::Status ErrnoToStatus(int err, absl::string_view context) {
  std::string msg = absl::StrCat(context, ": ", std::strerror(err), " (errno ", err, ")");
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    case EINVAL:
    case ENAMETOOLONG:
      return absl::InvalidArgumentError(msg);
    case ENOSPC:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
      return absl::ResourceExhaustedError(msg);
    case EBUSY:
    case EAGAIN:
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  absl::StatusOr<File> f = File::Open(path, File::Access::kRead);
  if (!f.ok()) return f.status();
  std::string out;
  constexpr size_t kChunk = 64 * 1024;
  while (true) {
    size_t at = out.size();
    out.resize(at + kChunk);
    absl::StatusOr<size_t> n = f->ReadAt(static_cast<int64_t>(at), out.data() + at, kChunk);
    if (!n.ok()) return n.status();
    out.resize(at + *n);
    if (*n < kChunk) break;
  }
  return out;
}

}  // namespace silo
