#include "image/layers/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "image/layers/safe_path.h"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"
#include "runtime/base/ids.h"
#include "runtime/base/status_macros.h"

namespace silo::image::layers {
namespace {

constexpr size_t kCopyChunk = 64 * 1024;
constexpr uint64_t kStreamSlack = uint64_t{64} << 20;
constexpr absl::string_view kWhiteoutPrefix = ".wh.";
constexpr absl::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr char kOpaqueXattr[] = "trusted.overlay.opaque";

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

// Ownership and times of a directory, applied after all its children exist
// (creating a child would otherwise reset the directory's mtime).
struct DirMeta {
  std::vector<std::string> components;
  mode_t mode;
  uid_t uid;
  gid_t gid;
  struct timespec mtime;
};

bool IsOverlayControlXattr(absl::string_view name) {
  return absl::StartsWith(name, "trusted.overlay.") || absl::StartsWith(name, "user.overlay.");
}

class Unpacker {
 public:
  Unpacker(int root_fd, const UnpackOptions& options) : root_fd_(root_fd), options_(options) {}

  absl::StatusOr<UnpackStats> Run(ByteSource& blob) {
    SILO_ASSIGN_OR_RETURN(stream_, DecompressedStream::Open(blob, options_.media_type));
    std::unique_ptr<struct archive, ArchiveDeleter> ar(archive_read_new());
    if (!ar) return absl::ResourceExhaustedError("archive_read_new failed");
    archive_read_support_format_tar(ar.get());
    if (archive_read_open(ar.get(), this, nullptr, &Unpacker::TarRead, nullptr) != ARCHIVE_OK) {
      return ArchiveError(ar.get(), "open layer tar");
    }
    std::string last = "(start of archive)";
    while (true) {
      struct archive_entry* entry = nullptr;
      int r = archive_read_next_header(ar.get(), &entry);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return ArchiveError(ar.get(), absl::StrCat("read tar header after \"", last, "\""));
      const char* name = archive_entry_pathname(entry);
      last = name != nullptr ? name : "";
      if (++stats_.files > options_.max_entries) {
        return absl::ResourceExhaustedError(absl::StrCat("layer entry \"", last, "\": more than ",
                                                         options_.max_entries, " entries"));
      }
      absl::Status s = ApplyEntry(ar.get(), entry, last);
      if (!s.ok()) return Annotate(s, absl::StrCat("layer entry \"", last, "\""));
    }
    SILO_ASSIGN_OR_RETURN(stats_.diff_id, stream_->Finish(StreamLimit()));
    SILO_RETURN_IF_ERROR(ApplyDirMeta());
    if (!options_.expected_diff_id.empty() && options_.expected_diff_id != stats_.diff_id) {
      return absl::DataLossError(absl::StrCat("layer diff_id mismatch: expected ", options_.expected_diff_id,
                                              ", got ", stats_.diff_id));
    }
    return stats_;
  }

 private:
  uint64_t StreamLimit() const {
    return options_.max_total_bytes > UINT64_MAX - kStreamSlack ? UINT64_MAX
                                                                : options_.max_total_bytes + kStreamSlack;
  }

  static la_ssize_t TarRead(struct archive* a, void* self, const void** out) {
    auto* u = static_cast<Unpacker*>(self);
    if (u->stream_->uncompressed_bytes() > u->StreamLimit()) {
      u->read_error_ = absl::ResourceExhaustedError(
          absl::StrCat("uncompressed layer exceeds ", u->StreamLimit(), " bytes"));
    } else {
      absl::StatusOr<size_t> n = u->stream_->Read(u->buf_.data(), u->buf_.size());
      if (n.ok()) {
        *out = u->buf_.data();
        return static_cast<la_ssize_t>(*n);
      }
      u->read_error_ = n.status();
    }
    archive_set_error(a, EIO, "%s", std::string(u->read_error_.message()).c_str());
    return -1;
  }

  absl::Status ArchiveError(struct archive* a, absl::string_view what) {
    if (!read_error_.ok()) return Annotate(read_error_, what);
    const char* msg = archive_error_string(a);
    return absl::DataLossError(absl::StrCat(what, ": ", msg != nullptr ? msg : "corrupt tar stream"));
  }

  absl::Status ApplyEntry(struct archive* ar, struct archive_entry* e, const std::string& name) {
    SILO_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitMemberPath(name));
    const mode_t type = archive_entry_filetype(e);
    const char* hardlink = archive_entry_hardlink(e);
    if (parts.empty()) {
      if (hardlink != nullptr || type != AE_IFDIR) {
        return absl::InvalidArgumentError("the layer root may only be a directory");
      }
      DeferDirMeta(parts, e);
      return absl::OkStatus();
    }
    const std::string base = parts.back();
    parts.pop_back();

    if (absl::StartsWith(base, kWhiteoutPrefix)) return ApplyWhiteout(parts, base);

    if (hardlink == nullptr && type == AE_IFREG) {
      const uint64_t size = static_cast<uint64_t>(std::max<la_int64_t>(archive_entry_size(e), 0));
      if (size > options_.max_entry_bytes) {
        return absl::ResourceExhaustedError(
            absl::StrCat("size ", size, " exceeds the per-entry limit of ", options_.max_entry_bytes, " bytes"));
      }
      if (size > options_.max_total_bytes - std::min(stats_.bytes, options_.max_total_bytes)) {
        return absl::ResourceExhaustedError(
            absl::StrCat("layer content exceeds the total limit of ", options_.max_total_bytes, " bytes"));
      }
    }
    if ((type == AE_IFCHR || type == AE_IFBLK) && hardlink == nullptr && !options_.allow_devices) {
      return absl::PermissionDeniedError("device nodes are not allowed in this layer (allow_devices is off)");
    }

    SILO_ASSIGN_OR_RETURN(ScopedFd parent, OpenDirBeneath(root_fd_, parts, /*create=*/true));
    const int pfd = parent.get();

    // A later member replaces an earlier one of the same name (tar order),
    // except that a directory over a directory only updates metadata.
    bool replaced_whiteout = false;
    struct stat existing;
    if (::fstatat(pfd, base.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
      if (hardlink == nullptr && type == AE_IFDIR && S_ISDIR(existing.st_mode)) {
        SILO_ASSIGN_OR_RETURN(ScopedFd dir, OpenDirBeneath(pfd, {base}, false));
        SILO_RETURN_IF_ERROR(ApplyXattrs(dir.get(), e));
        parts.push_back(base);
        DeferDirMeta(parts, e);
        return absl::OkStatus();
      }
      replaced_whiteout = S_ISCHR(existing.st_mode) && existing.st_rdev == makedev(0, 0);
      SILO_RETURN_IF_ERROR(RemoveTreeAt(pfd, base));
    } else if (errno != ENOENT) {
      return ErrnoToStatus(errno, absl::StrCat("stat \"", base, "\""));
    }

    if (hardlink != nullptr) return ApplyHardlink(pfd, base, hardlink);

    const mode_t perm = archive_entry_perm(e) & 07777;
    switch (type) {
      case AE_IFREG:
        return WriteRegular(ar, e, pfd, base);
      case AE_IFDIR: {
        if (::mkdirat(pfd, base.c_str(), 0700) != 0) return ErrnoToStatus(errno, "mkdir");
        SILO_ASSIGN_OR_RETURN(ScopedFd dir, OpenDirBeneath(pfd, {base}, false));
        // Whiteout then directory: the layer deleted the lower directory and
        // made a new one, which in overlay terms is an opaque directory.
        if (replaced_whiteout) SILO_RETURN_IF_ERROR(SetOpaque(dir.get()));
        SILO_RETURN_IF_ERROR(ApplyXattrs(dir.get(), e));
        parts.push_back(base);
        DeferDirMeta(parts, e);
        return absl::OkStatus();
      }
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (target == nullptr) return absl::InvalidArgumentError("symlink without a target");
        // The target text is stored, never followed by the unpacker.
        if (::symlinkat(target, pfd, base.c_str()) != 0) return ErrnoToStatus(errno, "symlink");
        return ApplyMetaAt(pfd, base, e, /*is_symlink=*/true);
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        dev_t dev = type == AE_IFIFO ? 0 : archive_entry_rdev(e);
        if (::mknodat(pfd, base.c_str(), type | perm, dev) != 0) return ErrnoToStatus(errno, "mknod");
        return ApplyMetaAt(pfd, base, e, /*is_symlink=*/false);
      }
      case AE_IFSOCK:
        return absl::OkStatus();  // sockets cannot be restored meaningfully; tar skips them too
      default:
        return absl::InvalidArgumentError(absl::StrCat("unsupported tar entry type 0", type));
    }
  }

  absl::Status ApplyWhiteout(const std::vector<std::string>& parent_parts, const std::string& base) {
    SILO_ASSIGN_OR_RETURN(ScopedFd parent, OpenDirBeneath(root_fd_, parent_parts, /*create=*/true));
    if (base == kOpaqueMarker) return SetOpaque(parent.get());
    // Other ".wh..wh." names are AUFS bookkeeping (e.g. .wh..wh.plnk) with no
    // overlay meaning.
    if (absl::StartsWith(base, ".wh..wh.")) return absl::OkStatus();
    std::string hidden = base.substr(kWhiteoutPrefix.size());
    if (hidden.empty() || hidden == "." || hidden == "..") {
      return absl::InvalidArgumentError(absl::StrCat("invalid whiteout name \"", base, "\""));
    }
    struct stat st;
    if (::fstatat(parent.get(), hidden.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      // The name also exists in this layer, which already hides the lower
      // entry; a directory must additionally hide the lower directory's
      // contents.
      if (!S_ISDIR(st.st_mode)) return absl::OkStatus();
      SILO_ASSIGN_OR_RETURN(ScopedFd dir, OpenDirBeneath(parent.get(), {hidden}, false));
      return SetOpaque(dir.get());
    }
    if (::mknodat(parent.get(), hidden.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("mknod whiteout \"", hidden, "\""));
    }
    return absl::OkStatus();
  }

  absl::Status SetOpaque(int dir_fd) {
    if (::fsetxattr(dir_fd, kOpaqueXattr, "y", 1, 0) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("set ", kOpaqueXattr));
    }
    return absl::OkStatus();
  }

  absl::Status ApplyHardlink(int pfd, const std::string& base, absl::string_view link_name) {
    auto target = SplitMemberPath(link_name);
    if (!target.ok()) return Annotate(target.status(), "hard link target");
    if (target->empty()) return absl::InvalidArgumentError("hard link to the layer root");
    std::string target_base = target->back();
    target->pop_back();
    auto target_parent = OpenDirBeneath(root_fd_, *target, /*create=*/false);
    if (!target_parent.ok()) {
      return Annotate(target_parent.status(), absl::StrCat("hard link target \"", link_name, "\""));
    }
    struct stat st;
    if (::fstatat(target_parent->get(), target_base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return absl::NotFoundError(
          absl::StrCat("hard link target \"", link_name, "\" is not an earlier entry of this layer"));
    }
    if (S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat("hard link target \"", link_name, "\" is a directory"));
    }
    // Flags 0: a symlink target is linked itself, never followed.
    if (::linkat(target_parent->get(), target_base.c_str(), pfd, base.c_str(), 0) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("link to \"", link_name, "\""));
    }
    return absl::OkStatus();
  }

  absl::Status WriteRegular(struct archive* ar, struct archive_entry* e, int pfd, const std::string& base) {
    ScopedFd fd(::openat(pfd, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return ErrnoToStatus(errno, "create file");
    const uint64_t size = static_cast<uint64_t>(std::max<la_int64_t>(archive_entry_size(e), 0));
    while (true) {
      const void* block = nullptr;
      size_t len = 0;
      la_int64_t offset = 0;
      int r = archive_read_data_block(ar, &block, &len, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return ArchiveError(ar, "read file data");
      if (offset < 0 || static_cast<uint64_t>(offset) + len > size) {
        return absl::DataLossError("file data extends past the declared size");
      }
      const char* p = static_cast<const char*>(block);
      while (len > 0) {
        ssize_t w = ::pwrite(fd.get(), p, len, offset);
        if (w < 0) {
          if (errno == EINTR) continue;
          return ErrnoToStatus(errno, "write file");
        }
        p += w;
        offset += w;
        len -= static_cast<size_t>(w);
      }
    }
    // Sparse files may end in a hole that no data block covers.
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return ErrnoToStatus(errno, "truncate file");
    stats_.bytes += size;
    SILO_RETURN_IF_ERROR(Chown(::fchown(fd.get(), archive_entry_uid(e), archive_entry_gid(e))));
    if (::fchmod(fd.get(), archive_entry_perm(e) & 07777) != 0) return ErrnoToStatus(errno, "chmod");
    SILO_RETURN_IF_ERROR(ApplyXattrs(fd.get(), e));
    struct timespec times[2] = {MTime(e), MTime(e)};
    if (::futimens(fd.get(), times) != 0) return ErrnoToStatus(errno, "set times");
    return absl::OkStatus();
  }

  // Owner, mode and times of a symlink, fifo or device node, by name.
  absl::Status ApplyMetaAt(int pfd, const std::string& base, struct archive_entry* e, bool is_symlink) {
    SILO_RETURN_IF_ERROR(Chown(::fchownat(pfd, base.c_str(), archive_entry_uid(e), archive_entry_gid(e),
                                          AT_SYMLINK_NOFOLLOW)));
    // The node was just created by us and is not a symlink, so following is moot.
    if (!is_symlink && ::fchmodat(pfd, base.c_str(), archive_entry_perm(e) & 07777, 0) != 0) {
      return ErrnoToStatus(errno, "chmod");
    }
    struct timespec times[2] = {MTime(e), MTime(e)};
    if (::utimensat(pfd, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) return ErrnoToStatus(errno, "set times");
    return absl::OkStatus();
  }

  absl::Status Chown(int rc) {
    if (!options_.preserve_ownership || rc == 0) return absl::OkStatus();
    if (errno == EPERM && ::geteuid() != 0) return absl::OkStatus();  // unprivileged: keep our own ids
    return ErrnoToStatus(errno, "chown");
  }

  absl::Status ApplyXattrs(int fd, struct archive_entry* e) {
    archive_entry_xattr_reset(e);
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      if (name == nullptr || IsOverlayControlXattr(name)) continue;
      if (::fsetxattr(fd, name, value, size, 0) != 0 && errno != ENOTSUP && errno != EPERM) {
        return ErrnoToStatus(errno, absl::StrCat("set xattr ", name));
      }
    }
    return absl::OkStatus();
  }

  static struct timespec MTime(struct archive_entry* e) {
    struct timespec ts;
    ts.tv_sec = archive_entry_mtime(e);
    ts.tv_nsec = archive_entry_mtime_nsec(e);
    return ts;
  }

  void DeferDirMeta(const std::vector<std::string>& parts, struct archive_entry* e) {
    dirs_[absl::StrJoin(parts, "/")] = DirMeta{parts, static_cast<mode_t>(archive_entry_perm(e) & 07777),
                                               static_cast<uid_t>(archive_entry_uid(e)),
                                               static_cast<gid_t>(archive_entry_gid(e)), MTime(e)};
  }

  // Deepest paths first ("a/b" sorts after "a"), so tightening a parent's
  // mode never blocks reaching its children.
  absl::Status ApplyDirMeta() {
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      const DirMeta& m = it->second;
      auto dir = OpenDirBeneath(root_fd_, m.components, /*create=*/false);
      if (!dir.ok()) {
        // A later member replaced or removed the directory; nothing to apply.
        if (absl::IsFailedPrecondition(dir.status()) || absl::IsNotFound(dir.status())) continue;
        return Annotate(dir.status(), absl::StrCat("directory \"", it->first, "\""));
      }
      absl::Status s = Chown(::fchown(dir->get(), m.uid, m.gid));
      if (s.ok() && ::fchmod(dir->get(), m.mode) != 0) s = ErrnoToStatus(errno, "chmod");
      struct timespec times[2] = {m.mtime, m.mtime};
      if (s.ok() && ::futimens(dir->get(), times) != 0) s = ErrnoToStatus(errno, "set times");
      if (!s.ok()) return Annotate(s, absl::StrCat("layer directory \"", it->first, "\""));
    }
    return absl::OkStatus();
  }

  const int root_fd_;
  const UnpackOptions& options_;
  std::unique_ptr<DecompressedStream> stream_;
  std::vector<char> buf_ = std::vector<char>(kCopyChunk);
  absl::Status read_error_;
  std::map<std::string, DirMeta> dirs_;
  UnpackStats stats_;
};

}  // namespace

absl::StatusOr<UnpackStats> Unpack(ByteSource& blob, const std::string& target_dir, const UnpackOptions& options) {
  if (::mkdir(target_dir.c_str(), 0755) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("create unpack target ", target_dir));
  }
  absl::StatusOr<UnpackStats> result;
  {
    ScopedFd root(::open(target_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root.valid()) {
      result = ErrnoToStatus(errno, absl::StrCat("open unpack target ", target_dir));
    } else {
      Unpacker unpacker(root.get(), options);
      result = unpacker.Run(blob);
    }
  }
  if (!result.ok()) {
    // Best effort: the original error matters more than a failed cleanup.
    (void)RemoveTree(target_dir);
    return Annotate(result.status(), absl::StrCat("unpack layer into ", target_dir));
  }
  return result;
}

absl::StatusOr<UnpackStats> Unpack(int fd, const std::string& target_dir, const UnpackOptions& options) {
  FdSource source(fd);
  return Unpack(source, target_dir, options);
}

absl::StatusOr<UnpackStats> UnpackToSnapshot(ByteSource& blob, const std::string& final_dir,
                                             const UnpackOptions& options) {
  SILO_FAILPOINT("layers.unpack");
  UnpackStats reused;
  reused.reused = true;
  reused.diff_id = options.expected_diff_id;
  struct stat st;
  if (::stat(final_dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat("snapshot path ", final_dir, " exists and is not a directory"));
    }
    return reused;
  }

  const std::string tmp = absl::StrCat(final_dir, ".tmp-", RandomHex(8));
  SILO_ASSIGN_OR_RETURN(UnpackStats stats, Unpack(blob, tmp, options));
  // From here on the temp dir is ours to remove on any failure.
  auto fail = [&tmp](absl::Status s) {
    (void)RemoveTree(tmp);
    return s;
  };
  {
    ScopedFd fd(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return fail(ErrnoToStatus(errno, absl::StrCat("open ", tmp)));
    if (::syncfs(fd.get()) != 0) return fail(ErrnoToStatus(errno, absl::StrCat("syncfs ", tmp)));
  }
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) {  // a concurrent caller won; drop our copy
      (void)RemoveTree(tmp);
      reused.diff_id = stats.diff_id;
      return reused;
    }
    return fail(ErrnoToStatus(errno, absl::StrCat("rename ", tmp, " to ", final_dir)));
  }

  const size_t slash = final_dir.rfind('/');
  const std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : final_dir.substr(0, slash));
  ScopedFd pfd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!pfd.valid() || ::fsync(pfd.get()) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("fsync ", parent, " after creating snapshot ", final_dir));
  }
  return stats;
}

absl::StatusOr<size_t> FdSource::Read(char* buf, size_t len) {
  while (true) {
    ssize_t n = ::read(fd_, buf, len);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return ErrnoToStatus(errno, absl::StrCat("read layer fd ", fd_));
  }
}

}  // namespace silo::image::layers
