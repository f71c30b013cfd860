#include "image/layers/pax_tar_reader.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"

namespace silo::image::layers {
namespace {

constexpr size_t kBlock = 512;
// PAX headers and GNU long names are buffered; bound them.
constexpr uint64_t kMaxMetaPayload = 1 << 20;

absl::StatusOr<uint64_t> ParseNumber(const char* field, size_t len, absl::string_view what) {
  const auto* p = reinterpret_cast<const unsigned char*>(field);
  uint64_t value = 0;
  if (p[0] & 0x80) {  // GNU base-256; a set sign bit (0xff) means negative
    if (p[0] == 0xff) return absl::DataLossError(absl::StrCat("negative tar ", what));
    value = p[0] & 0x7f;
    for (size_t i = 1; i < len; ++i) {
      if (value > (UINT64_MAX >> 8)) return absl::DataLossError(absl::StrCat("tar ", what, " overflows"));
      value = (value << 8) | p[i];
    }
    return value;
  }
  size_t i = 0;
  while (i < len && (p[i] == ' ' || p[i] == 0)) ++i;
  for (; i < len && p[i] >= '0' && p[i] <= '7'; ++i) {
    if (value > (UINT64_MAX >> 3)) return absl::DataLossError(absl::StrCat("tar ", what, " overflows"));
    value = (value << 3) | (p[i] - '0');
  }
  for (; i < len; ++i) {
    if (p[i] != ' ' && p[i] != 0) return absl::DataLossError(absl::StrCat("malformed tar ", what));
  }
  return value;
}

std::string CString(const char* field, size_t len) { return std::string(field, strnlen(field, len)); }

bool ChecksumOk(const char* block) {
  auto stored = ParseNumber(block + 148, 8, "checksum");
  if (!stored.ok()) return false;
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    const bool in_field = i >= 148 && i < 156;
    unsigned char u = in_field ? ' ' : static_cast<unsigned char>(block[i]);
    signed char s = in_field ? ' ' : static_cast<signed char>(block[i]);
    unsigned_sum += u;
    signed_sum += s;
  }
  return *stored == unsigned_sum || static_cast<int64_t>(*stored) == signed_sum;
}

// Types whose size field never announces data (as Go's archive/tar).
bool HeaderOnly(char type) { return type >= '1' && type <= '6'; }

uint64_t Padded(uint64_t size) { return (size + kBlock - 1) / kBlock * kBlock; }

}  // namespace

absl::Status ParsePaxRecords(absl::string_view data, std::map<std::string, std::string>* out) {
  while (!data.empty()) {
    size_t space = data.find(' ');
    uint64_t len = 0;
    if (space == absl::string_view::npos || !absl::SimpleAtoi(data.substr(0, space), &len) ||
        len <= space + 1 || len > data.size() || data[len - 1] != '\n') {
      return absl::DataLossError("malformed PAX record");
    }
    absl::string_view body = data.substr(space + 1, len - space - 2);
    data.remove_prefix(len);
    size_t eq = body.find('=');
    if (eq == absl::string_view::npos || eq == 0) return absl::DataLossError("malformed PAX record (no key)");
    std::string key(body.substr(0, eq));
    absl::string_view value = body.substr(eq + 1);
    if (value.empty()) {
      out->erase(key);  // an empty value deletes the key (POSIX pax)
    } else {
      (*out)[key] = std::string(value);
    }
  }
  return absl::OkStatus();
}

absl::Status PaxTarReader::ReadExact(char* buf, size_t len, bool* eof) {
  size_t got = 0;
  while (got < len) {
    SILO_ASSIGN_OR_RETURN(size_t n, source_.Read(buf + got, len - got));
    if (n == 0) break;
    got += n;
  }
  if (eof != nullptr) *eof = got == 0;
  if (got == len || (got == 0 && eof != nullptr)) return absl::OkStatus();
  return absl::DataLossError("truncated tar stream");
}

absl::Status PaxTarReader::Skip(uint64_t len) {
  char buf[8192];
  while (len > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(len, sizeof buf));
    SILO_RETURN_IF_ERROR(ReadExact(buf, n, nullptr));
    len -= n;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> PaxTarReader::ReadPayload(uint64_t size) {
  if (size > kMaxMetaPayload) return absl::ResourceExhaustedError(absl::StrCat("tar metadata record of ", size, " bytes"));
  std::string data(Padded(size), '\0');
  SILO_RETURN_IF_ERROR(ReadExact(data.data(), data.size(), nullptr));
  data.resize(size);
  return data;
}

absl::StatusOr<std::string> PaxTarReader::ReadData(uint64_t max_bytes) {
  if (data_left_ > max_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("tar member of ", data_left_, " bytes exceeds ", max_bytes));
  }
  std::string data(static_cast<size_t>(data_left_), '\0');
  SILO_RETURN_IF_ERROR(ReadExact(data.data(), data.size(), nullptr));
  pending_skip_ -= data_left_;  // the padding is still skipped by Next
  data_left_ = 0;
  return data;
}

absl::StatusOr<bool> PaxTarReader::Next(TarHeader* out) {
  SILO_RETURN_IF_ERROR(Skip(pending_skip_));
  pending_skip_ = 0;
  std::map<std::string, std::string> local_pax;
  std::string long_name, long_link;
  bool have_long_name = false, have_long_link = false;
  char block[kBlock];
  while (true) {
    bool eof = false;
    SILO_RETURN_IF_ERROR(ReadExact(block, kBlock, &eof));
    if (eof) return false;
    if (std::all_of(block, block + kBlock, [](char c) { return c == 0; })) return false;
    if (!ChecksumOk(block)) return absl::DataLossError("tar header checksum mismatch");
    const char type = block[156];
    SILO_ASSIGN_OR_RETURN(uint64_t size, ParseNumber(block + 124, 12, "size"));
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      SILO_ASSIGN_OR_RETURN(std::string payload, ReadPayload(size));
      if (type == 'x') SILO_RETURN_IF_ERROR(ParsePaxRecords(payload, &local_pax));
      if (type == 'g') SILO_RETURN_IF_ERROR(ParsePaxRecords(payload, &global_pax_));
      if (type == 'L') long_name = CString(payload.data(), payload.size()), have_long_name = true;
      if (type == 'K') long_link = CString(payload.data(), payload.size()), have_long_link = true;
      continue;
    }

    TarHeader h;
    h.typeflag = (type == '\0' || type == '7') ? '0' : type;
    h.name = CString(block, 100);
    const bool ustar = std::memcmp(block + 257, "ustar\0", 6) == 0;
    const std::string prefix = ustar ? CString(block + 345, 155) : "";
    if (!prefix.empty()) h.name = absl::StrCat(prefix, "/", h.name);
    h.linkname = CString(block + 157, 100);
    if (have_long_name) h.name = long_name;
    if (have_long_link) h.linkname = long_link;
    SILO_ASSIGN_OR_RETURN(uint64_t mode, ParseNumber(block + 100, 8, "mode"));
    SILO_ASSIGN_OR_RETURN(uint64_t mtime, ParseNumber(block + 136, 12, "mtime"));
    h.mode = static_cast<uint32_t>(mode & 07777);
    h.mtime_sec = static_cast<int64_t>(mtime);
    h.size = size;
    h.pax = global_pax_;
    for (auto& [k, v] : local_pax) h.pax[k] = v;
    if (auto it = h.pax.find("path"); it != h.pax.end()) h.name = it->second;
    if (auto it = h.pax.find("linkpath"); it != h.pax.end()) h.linkname = it->second;
    if (auto it = h.pax.find("size"); it != h.pax.end() && !absl::SimpleAtoi(it->second, &h.size)) {
      return absl::DataLossError(absl::StrCat("malformed PAX size for \"", h.name, "\""));
    }
    if (auto it = h.pax.find("mtime"); it != h.pax.end()) {
      double t = 0;
      if (!absl::SimpleAtod(it->second, &t)) return absl::DataLossError("malformed PAX mtime");
      h.mtime_sec = static_cast<int64_t>(t);
    }
    if (HeaderOnly(h.typeflag)) h.size = 0;
    if (h.size > (uint64_t{1} << 62)) return absl::DataLossError(absl::StrCat("absurd size for \"", h.name, "\""));
    pending_skip_ = Padded(h.size);
    data_left_ = h.size;
    *out = std::move(h);
    return true;
  }
}

}  // namespace silo::image::layers
