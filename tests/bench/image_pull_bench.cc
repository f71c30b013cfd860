// Cold image pull from a real local docker-registry: MB/s with serial and
// with parallel layer unpack, measured in one run so the ratio is meaningful
// on a shared, noisy machine. Not part of ctest; run by hand:
//   build/tests/bench/silo_bench_image_pull [total_mb=256] [layers=16]
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "image/image_manager.h"
#include "image/registry/testing/local_registry.h"
#include "image/registry/testing/oci_layout.h"
#include "runtime/store/metadata_db.h"

namespace {

namespace fs = std::filesystem;
using silo::image::registry::testing::LocalRegistry;
using silo::image::registry::testing::OciLayout;
using silo::image::registry::testing::TestImage;

std::string TempDir() {
  char tmpl[] = "/tmp/silo-bench-pull-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) std::abort();
  return tmpl;
}

// Keeps the last pull's summary: its download/unpack split.
class LastPull : public silo::image::PullObserver {
 public:
  void PullStarted() override {}
  void PullFinished(const silo::image::PullSummary& s) override { summary = s; }
  void BytesReceived(int64_t n) override { bytes += n; }
  silo::image::PullSummary summary;
  int64_t bytes = 0;
};

int Fail(const std::string& what) {
  std::fprintf(stderr, "bench: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int total_mb = argc > 1 ? std::atoi(argv[1]) : 256;
  const int layers = argc > 2 ? std::atoi(argv[2]) : 16;
  if (total_mb <= 0 || layers <= 0) return Fail("usage: silo_bench_image_pull [total_mb] [layers]");

  auto reg = LocalRegistry::Start();
  if (!reg.ok()) return Fail(std::string(reg.status().message()));
  const std::string layout_dir = TempDir();
  OciLayout layout(layout_dir);
  TestImage image;
  // Incompressible data, so gzip neither helps nor flatters the numbers.
  uint64_t x = 0x9e3779b97f4a7c15ull;
  const size_t layer_bytes = (static_cast<size_t>(total_mb) << 20) / layers;
  for (int l = 0; l < layers; ++l) {
    std::string data(layer_bytes, '\0');
    for (char& c : data) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x);
    }
    image.layers.push_back({{absl::StrCat("data/layer", l), std::move(data)}});
  }
  auto built = layout.AddImage(image);
  if (!built.ok()) return Fail(std::string(built.status().message()));
  if (auto s = layout.Tag(built->manifest, "v1"); !s.ok()) return Fail(std::string(s.message()));
  if (auto s = (*reg)->Push(layout_dir, "v1", "bench"); !s.ok()) return Fail(std::string(s.message()));

  std::printf("image: %d MiB in %d layers\n", total_mb, layers);
  for (int unpacks : {1, 4}) {
    const std::string root = TempDir();
    {
      auto db = silo::runtime::store::MetadataDb::Open(absl::StrCat(root, "/db"));
      if (!db.ok()) return Fail(std::string(db.status().message()));
      silo::image::ImageManagerOptions o;
      o.root = absl::StrCat(root, "/images");
      o.registry.insecure_hosts = {(*reg)->host()};
      o.platform = silo::image::registry::Platform{"linux", "amd64", "", "", {}};
      o.max_parallel_downloads = 4;
      o.max_parallel_unpacks = unpacks;
      LastPull observer;
      o.observer = &observer;
      auto m = silo::image::ImageManager::Open(o, db->get());
      if (!m.ok()) return Fail(std::string(m.status().message()));
      const absl::Time start = absl::Now();
      auto id = (*m)->Pull(absl::StrCat((*reg)->host(), "/bench:v1"));
      const double secs = absl::ToDoubleSeconds(absl::Now() - start);
      if (!id.ok()) return Fail(std::string(id.status().message()));
      auto rec = (*m)->Status(*id);
      if (!rec.ok() || !rec->has_value()) return Fail("pulled image not found");
      const double mb = static_cast<double>((*rec)->size) / 1e6;
      const silo::image::PullSummary& sum = observer.summary;
      std::printf("cold pull, parallel unpacks=%d: %.2f s, %.1f MB/s; %.1f MB received; busy time summed over "
                  "layers: download %.2f s, unpack %.2f s\n",
                  unpacks, secs, mb / secs, static_cast<double>(observer.bytes) / 1e6, sum.download_seconds,
                  sum.unpack_seconds);
    }
    fs::remove_all(root);
  }
  fs::remove_all(layout_dir);
  return 0;
}
