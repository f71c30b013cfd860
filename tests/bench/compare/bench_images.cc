#include "tests/bench/compare/bench_images.h"

#include <cstdint>
#include <random>

#include "absl/strings/str_cat.h"
#include "image/registry/manifest.h"
#include "image/registry/testing/oci_layout.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "tests/support/busybox_image.h"

namespace silo::bench {
namespace {

using image::registry::Descriptor;
using image::registry::testing::LocalRegistry;
using image::registry::testing::OciLayout;
using image::registry::testing::TestImage;

nlohmann::json DescriptorJson(const Descriptor& d) {
  return {{"mediaType", d.media_type}, {"digest", d.digest.String()}, {"size", d.size}};
}

// busybox-static as /bin/busybox and /bin/sh, run as `busybox sleep` forever.
absl::Status BuildPauseImage(const std::string& layout_dir, const std::string& scratch) {
  const std::string root = scratch + "/rootfs";
  SILO_RETURN_IF_ERROR(MakeDirs(root + "/bin"));
  // Real copies, not links: the layer must carry executable files.
  if (testing::Sh(absl::StrCat("cp /bin/busybox ", root, "/bin/busybox && cp /bin/busybox ", root,
                               "/bin/sh && tar -cf ", scratch, "/layer.tar -C ", root, " .")) != 0) {
    return absl::InternalError(absl::StrCat("building the pause layer under ", scratch, " failed"));
  }
  SILO_ASSIGN_OR_RETURN(std::string tar, ReadFile(scratch + "/layer.tar"));
  OciLayout layout(layout_dir);
  SILO_ASSIGN_OR_RETURN(Descriptor layer, layout.AddBlob("application/vnd.oci.image.layer.v1.tar", tar));
  nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config", {{"Entrypoint", {"/bin/busybox", "sleep", "2147483647"}}, {"Env", {"PATH=/bin"}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {layer.digest.String()}}}}};
  SILO_ASSIGN_OR_RETURN(Descriptor cfg, layout.AddBlob(std::string(image::registry::kOciConfig), config.dump()));
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", std::string(image::registry::kOciManifest)},
                             {"config", DescriptorJson(cfg)},
                             {"layers", {DescriptorJson(layer)}}};
  SILO_ASSIGN_OR_RETURN(Descriptor m, layout.AddBlob(std::string(image::registry::kOciManifest), manifest.dump()));
  return layout.Tag(m, "v1");
}

// Random bytes: gzip cannot shrink them, so every layer costs its full size
// on the wire and in the unpack.
std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    for (int b = 0; b < 8; ++b) out[i + b] = static_cast<char>(v >> (8 * b));
  }
  return out;
}

absl::Status BuildBigImage(const std::string& layout_dir, int index, const BigImageShape& shape) {
  std::mt19937_64 rng(0x5110'0000u + static_cast<unsigned>(index));
  TestImage image;
  for (int l = 0; l < shape.layers; ++l) {
    image.layers.push_back({{absl::StrCat("data/layer", l, ".bin"),
                             RandomBytes(rng, static_cast<size_t>(shape.layer_mb) << 20)}});
  }
  OciLayout layout(layout_dir);
  SILO_ASSIGN_OR_RETURN(auto built, layout.AddImage(image));
  return layout.Tag(built.manifest, absl::StrCat(index));
}

}  // namespace

absl::StatusOr<PushedImages> PushBenchImages(LocalRegistry* registry, const std::string& scratch,
                                             const BigImageShape& big) {
  PushedImages out;
  SILO_ASSIGN_OR_RETURN(out.busybox, testing::PushBusyboxImage(registry, scratch + "/busybox"));

  SILO_RETURN_IF_ERROR(MakeDirs(scratch + "/pause/layout"));
  SILO_RETURN_IF_ERROR(MakeDirs(scratch + "/pause/build"));
  SILO_RETURN_IF_ERROR(BuildPauseImage(scratch + "/pause/layout", scratch + "/pause/build"));
  SILO_RETURN_IF_ERROR(registry->Push(scratch + "/pause/layout", "v1", "test/pause"));
  out.pause = absl::StrCat(registry->host(), "/test/pause:v1");

  for (int i = 0; i < big.count; ++i) {
    // One layout per image, removed after its push: they are large.
    const std::string dir = absl::StrCat(scratch, "/big", i);
    SILO_RETURN_IF_ERROR(MakeDirs(dir));
    SILO_RETURN_IF_ERROR(BuildBigImage(dir, i, big));
    SILO_RETURN_IF_ERROR(registry->Push(dir, absl::StrCat(i), "test/big"));
    testing::Sh(absl::StrCat("rm -rf ", dir));
  }
  out.big_prefix = absl::StrCat(registry->host(), "/test/big:");
  return out;
}

}  // namespace silo::bench
