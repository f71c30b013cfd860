#include "image/registry/manifest.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/base/status_macros.h"

namespace silo::image::registry {
namespace {

using nlohmann::json;

bool IsSchema1(absl::string_view mt) { return mt == kDockerSchema1 || mt == kDockerSchema1Signed; }

absl::Status Schema1Error() {
  return absl::UnimplementedError(
      "image uses Docker manifest schema 1, which is deprecated and not supported; re-push it with a current "
      "client (schema 2 or OCI)");
}

std::string StringField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

absl::StatusOr<Descriptor> ParseDescriptor(const json& j, absl::string_view what) {
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(what, " is not an object"));
  Descriptor d;
  d.media_type = StringField(j, "mediaType");
  auto digest = ParseDigest(StringField(j, "digest"));
  if (!digest.ok()) return Annotate(digest.status(), absl::StrCat(what, " digest"));
  d.digest = *digest;
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", d.digest.String(), " has no valid size"));
  }
  d.size = size->get<int64_t>();
  if (auto urls = j.find("urls"); urls != j.end() && urls->is_array()) {
    for (const auto& u : *urls) {
      if (u.is_string()) d.urls.push_back(u.get<std::string>());
    }
  }
  if (auto ann = j.find("annotations"); ann != j.end() && ann->is_object()) {
    for (const auto& [k, v] : ann->items()) {
      if (v.is_string()) d.annotations[k] = v.get<std::string>();
    }
  }
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    Platform plat;
    plat.os = StringField(*p, "os");
    plat.architecture = StringField(*p, "architecture");
    plat.variant = StringField(*p, "variant");
    plat.os_version = StringField(*p, "os.version");
    if (auto f = p->find("os.features"); f != p->end() && f->is_array()) {
      for (const auto& x : *f) {
        if (x.is_string()) plat.os_features.push_back(x.get<std::string>());
      }
    }
    d.platform = std::move(plat);
  }
  return d;
}

absl::StatusOr<json> ParseObject(absl::string_view body) {
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return absl::InvalidArgumentError("manifest is not a JSON object");
  return doc;
}

}  // namespace

std::string ManifestAcceptHeader() {
  return absl::StrCat(kOciIndex, ", ", kOciManifest, ", ", kDockerManifestList, ", ", kDockerManifest);
}

bool IsIndexMediaType(absl::string_view mt) { return mt == kOciIndex || mt == kDockerManifestList; }
bool IsManifestMediaType(absl::string_view mt) { return mt == kOciManifest || mt == kDockerManifest; }

bool IsKnownLayerMediaType(absl::string_view mt) {
  static constexpr absl::string_view kKnown[] = {
      "application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.v1.tar+zstd",
      "application/vnd.oci.image.layer.nondistributable.v1.tar",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
      "application/vnd.docker.image.rootfs.diff.tar.gzip",
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  };
  for (auto k : kKnown) {
    if (mt == k) return true;
  }
  return false;
}

absl::StatusOr<std::string> DetectMediaType(absl::string_view content_type, absl::string_view body) {
  // Drop parameters such as "; charset=utf-8".
  std::string ct(absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';'))));
  if (IsSchema1(ct)) return Schema1Error();
  if (IsIndexMediaType(ct) || IsManifestMediaType(ct)) return ct;
  SILO_ASSIGN_OR_RETURN(json doc, ParseObject(body));
  if (auto v = doc.find("schemaVersion"); v != doc.end() && v->is_number_integer() && v->get<int>() == 1) {
    return Schema1Error();
  }
  std::string mt = StringField(doc, "mediaType");
  if (IsSchema1(mt)) return Schema1Error();
  if (IsIndexMediaType(mt) || IsManifestMediaType(mt)) return mt;
  if (mt.empty() && doc.contains("manifests")) return std::string(kOciIndex);
  if (mt.empty() && doc.contains("layers")) return std::string(kOciManifest);
  return absl::InvalidArgumentError(absl::StrCat("unsupported manifest media type \"", mt.empty() ? ct : mt, "\""));
}

absl::StatusOr<Manifest> ParseManifest(absl::string_view media_type, absl::string_view body) {
  SILO_ASSIGN_OR_RETURN(json doc, ParseObject(body));
  Manifest m;
  m.media_type = std::string(media_type);
  auto config = doc.find("config");
  if (config == doc.end()) return absl::InvalidArgumentError("manifest has no config descriptor");
  SILO_ASSIGN_OR_RETURN(m.config, ParseDescriptor(*config, "config"));
  if (m.config.media_type != kOciConfig && m.config.media_type != kDockerConfig) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported config media type \"", m.config.media_type, "\" (not a container image)"));
  }
  auto layers = doc.find("layers");
  if (layers == doc.end() || !layers->is_array()) return absl::InvalidArgumentError("manifest has no layers array");
  for (size_t i = 0; i < layers->size(); ++i) {
    SILO_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor((*layers)[i], absl::StrCat("layer ", i)));
    if (!IsKnownLayerMediaType(d.media_type)) {
      return absl::InvalidArgumentError(
          absl::StrCat("layer ", i, " (", d.digest.String(), ") has unsupported media type \"", d.media_type, "\""));
    }
    m.layers.push_back(std::move(d));
  }
  return m;
}

absl::StatusOr<Index> ParseIndex(absl::string_view media_type, absl::string_view body) {
  SILO_ASSIGN_OR_RETURN(json doc, ParseObject(body));
  Index idx;
  idx.media_type = std::string(media_type);
  auto list = doc.find("manifests");
  if (list == doc.end() || !list->is_array()) return absl::InvalidArgumentError("index has no manifests array");
  for (size_t i = 0; i < list->size(); ++i) {
    SILO_ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor((*list)[i], absl::StrCat("index entry ", i)));
    idx.manifests.push_back(std::move(d));
  }
  return idx;
}

}  // namespace silo::image::registry
