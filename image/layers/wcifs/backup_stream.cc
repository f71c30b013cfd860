#include "image/layers/wcifs/backup_stream.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"

namespace silo::image::layers::wcifs {
namespace {

void PutU16(std::string& out, uint16_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>(v >> 8);
}
void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

bool IsDriveLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Appends one part: header, name, payload.
absl::Status AppendPart(std::string& out, uint32_t id, std::string_view payload, std::string_view name = {}) {
  std::string name16;
  if (!name.empty()) {
    SILO_ASSIGN_OR_RETURN(name16, Utf8ToUtf16Le(name));
  }
  out += EncodeStreamHeader(id, 0, payload.size(), name16);
  out.append(payload.data(), payload.size());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> Utf8ToUtf16Le(std::string_view s) {
  std::string out;
  out.reserve(s.size() * 2);
  for (size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int extra = 0;
    char32_t cp = 0;
    if (b0 < 0x80) {
      cp = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      extra = 1, cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      extra = 2, cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      extra = 3, cp = b0 & 0x07;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("invalid UTF-8 at byte ", i));
    }
    if (i + extra >= s.size()) {
      return absl::InvalidArgumentError(absl::StrCat("truncated UTF-8 at byte ", i));
    }
    for (int k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return absl::InvalidArgumentError(absl::StrCat("invalid UTF-8 at byte ", i));
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid UTF-8 at byte ", i));
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      PutU16(out, static_cast<uint16_t>(0xD800 | (cp >> 10)));
      PutU16(out, static_cast<uint16_t>(0xDC00 | (cp & 0x3FF)));
    } else {
      PutU16(out, static_cast<uint16_t>(cp));
    }
    i += 1 + extra;
  }
  return out;
}

std::string EncodeStreamHeader(uint32_t stream_id, uint32_t attributes, uint64_t size,
                               std::string_view name_utf16le) {
  std::string out;
  PutU32(out, stream_id);
  PutU32(out, attributes);
  PutU64(out, size);
  PutU32(out, static_cast<uint32_t>(name_utf16le.size()));
  out.append(name_utf16le.data(), name_utf16le.size());
  return out;
}

absl::StatusOr<std::string> EncodeFullEaInformation(const std::map<std::string, std::string>& eas) {
  std::string out;
  size_t index = 0;
  for (const auto& [name, value] : eas) {
    const bool last = ++index == eas.size();
    if (name.empty() || name.size() > 255) {
      return absl::InvalidArgumentError(absl::StrCat("extended attribute name \"", name, "\" is empty or over 255 bytes"));
    }
    if (value.size() > 0xFFFF) {
      return absl::InvalidArgumentError(absl::StrCat("extended attribute \"", name, "\" value is over 65535 bytes"));
    }
    const uint32_t entry_size = 8 + static_cast<uint32_t>(name.size()) + 1 + static_cast<uint32_t>(value.size());
    const uint32_t padded = (entry_size + 3) & ~uint32_t{3};
    PutU32(out, last ? 0 : padded);
    out += '\0';  // Flags: persisted EAs carry none (tar has nowhere to keep them)
    out += static_cast<char>(name.size());
    PutU16(out, static_cast<uint16_t>(value.size()));
    out += name;
    out += '\0';
    out += value;
    if (!last) out.append(padded - entry_size, '\0');
  }
  return out;
}

absl::StatusOr<std::string> EncodeReparsePoint(std::string_view raw_target, bool mount_point) {
  std::string target(raw_target);
  std::replace(target.begin(), target.end(), '/', '\\');
  if (target.empty()) return absl::InvalidArgumentError("reparse point with an empty target");
  std::string nt_target;
  bool relative = false;
  if (target.starts_with("\\\\?\\")) {
    nt_target = "\\??\\" + target.substr(4);
  } else if (target.starts_with("\\\\")) {
    nt_target = "\\??\\UNC\\" + target.substr(2);
  } else if (target.size() >= 2 && IsDriveLetter(target[0]) && target[1] == ':') {
    nt_target = "\\??\\" + target;
  } else {
    nt_target = target;
    relative = true;
  }
  if (mount_point && relative) {
    return absl::InvalidArgumentError(absl::StrCat("junction target \"", target, "\" is not absolute"));
  }
  SILO_ASSIGN_OR_RETURN(std::string sub16, Utf8ToUtf16Le(nt_target));
  SILO_ASSIGN_OR_RETURN(std::string print16, Utf8ToUtf16Le(target));
  sub16.append(2, '\0');
  print16.append(2, '\0');
  // ReparseDataLength counts everything after the 8-byte tag/length/reserved
  // prefix: four u16 name fields, the symlink flags, both names.
  const size_t data_length = 8 + (mount_point ? 0 : 4) + sub16.size() + print16.size();
  if (data_length > 0xFFFF) {
    return absl::InvalidArgumentError(absl::StrCat("reparse target \"", target, "\" is too long"));
  }
  std::string out;
  PutU32(out, mount_point ? kReparseTagMountPoint : kReparseTagSymlink);
  PutU16(out, static_cast<uint16_t>(data_length));
  PutU16(out, 0);                                            // Reserved
  PutU16(out, 0);                                            // SubstituteNameOffset
  PutU16(out, static_cast<uint16_t>(sub16.size() - 2));      // SubstituteNameLength
  PutU16(out, static_cast<uint16_t>(sub16.size()));          // PrintNameOffset
  PutU16(out, static_cast<uint16_t>(print16.size() - 2));    // PrintNameLength
  if (!mount_point) PutU32(out, relative ? kSymlinkFlagRelative : 0);
  out += sub16;
  out += print16;
  return out;
}

absl::StatusOr<std::string> EncodeBackupStream(const WindowsEntry& entry, std::string_view data,
                                               const std::vector<AlternateStream>& streams,
                                               const BackupStreamOptions& options) {
  const auto fail = [&](absl::Status s) { return Annotate(s, absl::StrCat("backup stream for \"", entry.path, "\"")); };
  switch (entry.kind) {
    case WindowsEntryKind::kFile:
    case WindowsEntryKind::kDirectory:
    case WindowsEntryKind::kSymlink:
      break;
    default:
      return fail(absl::InvalidArgumentError("only files, directories and links have a backup stream"));
  }
  const bool is_file = entry.kind == WindowsEntryKind::kFile;
  if (is_file && data.size() != entry.size) {
    return fail(absl::InvalidArgumentError(absl::StrCat("have ", data.size(), " data bytes, entry says ", entry.size)));
  }
  if (!is_file && (!data.empty() || !streams.empty())) {
    return fail(absl::InvalidArgumentError("only files carry data or alternate data streams"));
  }
  std::string out;
  if (options.include_security) {
    if (entry.security_descriptor.empty() && !entry.sddl.empty()) {
      return fail(absl::UnimplementedError("SDDL security descriptors (MSWINDOWS.sd) need Windows to convert"));
    }
    if (!entry.security_descriptor.empty()) {
      SILO_RETURN_IF_ERROR(fail(AppendPart(out, kBackupSecurityData, entry.security_descriptor)));
    }
  }
  if (!entry.extended_attributes.empty()) {
    auto ea = EncodeFullEaInformation(entry.extended_attributes);
    if (!ea.ok()) return fail(ea.status());
    SILO_RETURN_IF_ERROR(AppendPart(out, kBackupEaData, *ea));
  }
  if (entry.kind == WindowsEntryKind::kSymlink) {
    auto reparse = EncodeReparsePoint(entry.link_target, entry.mount_point);
    if (!reparse.ok()) return fail(reparse.status());
    SILO_RETURN_IF_ERROR(AppendPart(out, kBackupReparseData, *reparse));
  }
  if (is_file) SILO_RETURN_IF_ERROR(AppendPart(out, kBackupData, data));
  for (const AlternateStream& s : streams) {
    if (s.name.empty() || s.name.find_first_of(":/\\") != std::string::npos) {
      return fail(absl::InvalidArgumentError(absl::StrCat("bad alternate data stream name \"", s.name, "\"")));
    }
    SILO_RETURN_IF_ERROR(fail(AppendPart(out, kBackupAlternateData, s.data, absl::StrCat(":", s.name, ":$DATA"))));
  }
  return out;
}

}  // namespace silo::image::layers::wcifs
