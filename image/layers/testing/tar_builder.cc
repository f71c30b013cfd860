#include "image/layers/testing/tar_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace silo::image::layers::testing {
namespace {

la_ssize_t AppendToString(struct archive*, void* client, const void* buf, size_t len) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), len);
  return static_cast<la_ssize_t>(len);
}

void Check(int rc, struct archive* a, const char* what) {
  if (rc < ARCHIVE_WARN) {
    std::fprintf(stderr, "tar_builder: %s: %s\n", what, archive_error_string(a));
    std::abort();  // a broken test fixture must not pass silently
  }
}

std::string Octal(uint64_t value, size_t width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llo", static_cast<int>(width - 1), static_cast<unsigned long long>(value));
  return std::string(buf, width - 1) + '\0';
}

std::string UstarHeader(const std::string& name, char typeflag, uint64_t size, const std::string& linkname) {
  std::string h(512, '\0');
  std::memcpy(&h[0], name.data(), std::min<size_t>(name.size(), 100));
  std::memcpy(&h[100], Octal(0644, 8).data(), 8);
  std::memcpy(&h[108], Octal(0, 8).data(), 8);
  std::memcpy(&h[116], Octal(0, 8).data(), 8);
  std::memcpy(&h[124], Octal(size, 12).data(), 12);
  std::memcpy(&h[136], Octal(1700000000, 12).data(), 12);
  h[156] = typeflag;
  std::memcpy(&h[157], linkname.data(), std::min<size_t>(linkname.size(), 100));
  std::memcpy(&h[257], "ustar\0" "00", 8);
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(&h[148], 8, "%06o", sum);
  h[155] = ' ';
  return h;
}

void AppendPadded(std::string* tar, const std::string& data) {
  tar->append(data);
  tar->append((512 - data.size() % 512) % 512, '\0');
}

}  // namespace

TarBuilder::TarBuilder() : ar_(archive_write_new()) {
  Check(archive_write_set_format_pax_restricted(ar_), ar_, "set format");
  Check(archive_write_set_bytes_in_last_block(ar_, 1), ar_, "last block");
  Check(archive_write_open(ar_, &out_, nullptr, &AppendToString, nullptr), ar_, "open");
}

TarBuilder::~TarBuilder() {
  if (ar_ != nullptr) archive_write_free(ar_);
}

TarBuilder& TarBuilder::Add(const TarMember& m) {
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, m.path.c_str());
  archive_entry_set_uid(e, m.uid);
  archive_entry_set_gid(e, m.gid);
  archive_entry_set_mtime(e, m.mtime, 0);
  archive_entry_set_perm(e, m.mode);
  if (m.hardlink) {
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_hardlink(e, m.link.c_str());
    archive_entry_set_size(e, 0);
  } else {
    archive_entry_set_filetype(e, m.type);
    if (m.type == AE_IFLNK) archive_entry_set_symlink(e, m.link.c_str());
    if (m.type == AE_IFCHR || m.type == AE_IFBLK) {
      archive_entry_set_rdevmajor(e, m.dev_major);
      archive_entry_set_rdevminor(e, m.dev_minor);
    }
    int64_t size = m.type == AE_IFREG ? (m.declared_size >= 0 ? m.declared_size : m.content.size()) : 0;
    archive_entry_set_size(e, size);
  }
  for (const auto& [name, value] : m.xattrs) {
    archive_entry_xattr_add_entry(e, name.c_str(), value.data(), value.size());
  }
  Check(archive_write_header(ar_, e), ar_, "write header");
  if (!m.hardlink && m.type == AE_IFREG && !m.content.empty()) {
    la_ssize_t n = archive_write_data(ar_, m.content.data(), m.content.size());
    if (n < 0) Check(static_cast<int>(n), ar_, "write data");
  }
  archive_entry_free(e);
  return *this;
}

TarBuilder& TarBuilder::File(const std::string& path, const std::string& content, unsigned mode) {
  return Add({.path = path, .content = content, .mode = mode});
}

TarBuilder& TarBuilder::Dir(const std::string& path, unsigned mode) {
  return Add({.path = path, .type = AE_IFDIR, .mode = mode});
}

TarBuilder& TarBuilder::Symlink(const std::string& path, const std::string& target) {
  return Add({.path = path, .type = AE_IFLNK, .link = target, .mode = 0777});
}

TarBuilder& TarBuilder::Hardlink(const std::string& path, const std::string& target) {
  return Add({.path = path, .link = target, .hardlink = true});
}

std::string TarBuilder::Finish() {
  Check(archive_write_close(ar_), ar_, "close");
  archive_write_free(ar_);
  ar_ = nullptr;
  return out_;
}

void AppendRawPaxMember(std::string* tar, const std::string& name, char typeflag, const std::string& content,
                        const std::map<std::string, std::string>& pax, const std::string& linkname) {
  std::string records;
  for (const auto& [key, value] : pax) {
    std::string body = " " + key + "=" + value + "\n";
    // The length prefix counts its own digits.
    size_t len = body.size() + 1;
    while (std::to_string(len).size() + body.size() != len) ++len;
    records += std::to_string(len) + body;
  }
  if (!records.empty()) {
    tar->append(UstarHeader("PaxHeaders/" + name.substr(0, 80), 'x', records.size(), ""));
    AppendPadded(tar, records);
  }
  tar->append(UstarHeader(name, typeflag, content.size(), linkname));
  AppendPadded(tar, content);
}

void AppendTarEnd(std::string* tar) { tar->append(1024, '\0'); }

std::string Compress(const std::string& plain, Compression c) {
  if (c == Compression::kNone) return plain;
  std::string out;
  struct archive* a = archive_write_new();
  Check(archive_write_set_format_raw(a), a, "raw format");
  Check(c == Compression::kGzip ? archive_write_add_filter_gzip(a) : archive_write_add_filter_zstd(a), a,
        "add filter");
  Check(archive_write_set_bytes_in_last_block(a, 1), a, "last block");
  Check(archive_write_open(a, &out, nullptr, &AppendToString, nullptr), a, "open");
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(plain.size()));
  Check(archive_write_header(a, e), a, "header");
  if (!plain.empty()) {
    la_ssize_t n = archive_write_data(a, plain.data(), plain.size());
    if (n < 0) Check(static_cast<int>(n), a, "write");
  }
  archive_entry_free(e);
  Check(archive_write_close(a), a, "close");
  archive_write_free(a);
  return out;
}

std::string Sha256Digest(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

}  // namespace silo::image::layers::testing
