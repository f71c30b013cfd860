#include "image/registry/testing/oci_layout.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::image::registry::testing {
namespace {

using nlohmann::json;

la_ssize_t AppendToString(struct archive*, void* user, const void* buf, size_t n) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

json DescriptorJson(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest.String()}, {"size", d.size}};
  if (d.platform.has_value()) {
    json p = {{"os", d.platform->os}, {"architecture", d.platform->architecture}};
    if (!d.platform->variant.empty()) p["variant"] = d.platform->variant;
    if (!d.platform->os_version.empty()) p["os.version"] = d.platform->os_version;
    j["platform"] = p;
  }
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

}  // namespace

absl::StatusOr<std::string> MakeTar(const std::vector<TestFile>& files, bool gzip) {
  std::unique_ptr<struct archive, int (*)(struct archive*)> a(archive_write_new(), archive_write_free);
  std::string out;
  archive_write_set_format_pax_restricted(a.get());
  if (gzip) {
    archive_write_add_filter_gzip(a.get());
    // No wall-clock time in the gzip header: equal files must give equal
    // blobs, or images built a second apart stop sharing layers.
    archive_write_set_options(a.get(), "gzip:!timestamp");
  }
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open2(a.get(), &out, nullptr, AppendToString, nullptr, nullptr) != ARCHIVE_OK) {
    return absl::InternalError(absl::StrCat("archive_write_open2: ", archive_error_string(a.get())));
  }
  for (const auto& f : files) {
    std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)> e(archive_entry_new(), archive_entry_free);
    const bool dir = !f.path.empty() && f.path.back() == '/';
    archive_entry_set_pathname(e.get(), f.path.c_str());
    archive_entry_set_filetype(e.get(), dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e.get(), dir ? 0755 : 0644);
    archive_entry_set_size(e.get(), dir ? 0 : static_cast<la_int64_t>(f.content.size()));
    archive_entry_set_mtime(e.get(), 1700000000, 0);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), f.content.data(), f.content.size()) < 0) {
      return absl::InternalError(absl::StrCat("writing ", f.path, " to tar: ", archive_error_string(a.get())));
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return absl::InternalError(absl::StrCat("archive_write_close: ", archive_error_string(a.get())));
  }
  return out;
}

absl::StatusOr<Descriptor> OciLayout::AddBlob(std::string media_type, const std::string& data) {
  Descriptor d;
  d.media_type = std::move(media_type);
  d.digest = Sha256Of(data);
  d.size = static_cast<int64_t>(data.size());
  SILO_RETURN_IF_ERROR(MakeDirs(absl::StrCat(dir_, "/blobs/sha256")));
  SILO_RETURN_IF_ERROR(AtomicWriteFile(absl::StrCat(dir_, "/blobs/sha256/", d.digest.hex), data));
  return d;
}

absl::StatusOr<BuiltImage> OciLayout::AddImage(const TestImage& image) {
  BuiltImage out;
  json diff_ids = json::array();
  for (const auto& files : image.layers) {
    SILO_ASSIGN_OR_RETURN(std::string plain, MakeTar(files, /*gzip=*/false));
    SILO_ASSIGN_OR_RETURN(std::string gz, MakeTar(files, /*gzip=*/true));
    diff_ids.push_back(Sha256Of(plain).String());
    SILO_ASSIGN_OR_RETURN(Descriptor d, AddBlob("application/vnd.oci.image.layer.v1.tar+gzip", gz));
    out.layers.push_back(d);
  }
  if (!image.raw_layer.empty()) {
    diff_ids.push_back(Sha256Of(image.raw_layer).String());
    SILO_ASSIGN_OR_RETURN(Descriptor d, AddBlob("application/vnd.oci.image.layer.v1.tar", image.raw_layer));
    out.layers.push_back(d);
  }
  json config = {{"architecture", image.platform.architecture},
                 {"os", image.platform.os},
                 {"config", {{"Cmd", image.cmd}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  if (!image.platform.variant.empty()) config["variant"] = image.platform.variant;
  if (!image.platform.os_version.empty()) config["os.version"] = image.platform.os_version;
  SILO_ASSIGN_OR_RETURN(out.config, AddBlob(std::string(kOciConfig), config.dump()));
  json layers = json::array();
  for (const auto& l : out.layers) layers.push_back(DescriptorJson(l));
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", kOciManifest},
                   {"config", DescriptorJson(out.config)},
                   {"layers", layers}};
  SILO_ASSIGN_OR_RETURN(out.manifest, AddBlob(std::string(kOciManifest), manifest.dump()));
  out.manifest.platform = image.platform;
  return out;
}

absl::StatusOr<Descriptor> OciLayout::AddIndex(const std::vector<Descriptor>& manifests) {
  json list = json::array();
  for (const auto& m : manifests) list.push_back(DescriptorJson(m));
  json index = {{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", list}};
  return AddBlob(std::string(kOciIndex), index.dump());
}

absl::Status OciLayout::Tag(const Descriptor& desc, const std::string& tag) {
  tags_.emplace_back(tag, desc);
  json list = json::array();
  for (const auto& [t, d] : tags_) {
    Descriptor named = d;
    named.platform.reset();
    named.annotations["org.opencontainers.image.ref.name"] = t;
    list.push_back(DescriptorJson(named));
  }
  json index = {{"schemaVersion", 2}, {"manifests", list}};
  SILO_RETURN_IF_ERROR(MakeDirs(dir_));
  SILO_RETURN_IF_ERROR(AtomicWriteFile(absl::StrCat(dir_, "/oci-layout"), R"({"imageLayoutVersion":"1.0.0"})"));
  return AtomicWriteFile(absl::StrCat(dir_, "/index.json"), index.dump());
}

}  // namespace silo::image::registry::testing
