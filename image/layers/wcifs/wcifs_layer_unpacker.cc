#include "image/layers/wcifs/wcifs_layer_unpacker.h"

#include <filesystem>
#include <future>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "image/layers/pax_tar_reader.h"
#include "runtime/base/status_macros.h"
#include "runtime/windows/hresult.h"

namespace silo::image::layers::wcifs {
namespace {

namespace fs = std::filesystem;

// A member name as the plan names entries ("Files//a/" -> "Files/a").
std::string MemberPath(const std::string& name) {
  return absl::StrJoin(absl::StrSplit(name, '/', absl::SkipEmpty()), "/");
}

// The second pass over a layer: hands out file bytes in archive order, as
// the Importer asks for them (increasing entry index, at most once each).
class MemberStream {
 public:
  MemberStream(const LayerBlob& blob, const ImportPlan& plan) : blob_(blob), plan_(plan) {}

  absl::Status Read(size_t index, std::string* data, std::vector<AlternateStream>* streams) {
    if (!tar_) {
      SILO_ASSIGN_OR_RETURN(source_, blob_.open());
      SILO_ASSIGN_OR_RETURN(stream_, DecompressedStream::Open(*source_, blob_.media_type));
      tar_ = std::make_unique<PaxTarReader>(*stream_);
    }
    const WindowsEntry& e = plan_.entries.at(index);
    SILO_ASSIGN_OR_RETURN(*data, ReadMember(e.path, [&](const TarHeader& h) {
                            return h.typeflag == '0' && MemberPath(h.name) == e.path;
                          }));
    streams->clear();
    for (const WindowsStreamInfo& s : e.alternate_streams) {
      const std::string name = absl::StrCat(e.path, ":", s.name);
      SILO_ASSIGN_OR_RETURN(std::string bytes, ReadMember(name, [&](const TarHeader& h) {
                              const size_t colon = h.name.rfind(':');
                              return colon != std::string::npos &&
                                     absl::StrCat(MemberPath(h.name.substr(0, colon)), h.name.substr(colon)) == name;
                            }));
      streams->push_back({s.name, std::move(bytes)});
    }
    return absl::OkStatus();
  }

 private:
  // Reads forward to the next member `is_it` accepts and returns its bytes.
  template <typename Pred>
  absl::StatusOr<std::string> ReadMember(const std::string& what, Pred is_it) {
    TarHeader h;
    while (true) {
      SILO_ASSIGN_OR_RETURN(bool more, tar_->Next(&h));
      if (!more) {
        return absl::DataLossError(
            absl::StrCat("layer ", blob_.diff_id, ": \"", what, "\" is missing on the second read of the blob"));
      }
      if (is_it(h)) return tar_->ReadData();
    }
  }

  const LayerBlob& blob_;
  const ImportPlan& plan_;
  std::unique_ptr<ByteSource> source_;
  std::unique_ptr<DecompressedStream> stream_;
  std::unique_ptr<PaxTarReader> tar_;
};

}  // namespace

WcifsLayerUnpacker::WcifsLayerUnpacker(const LayerApi* api, WcifsLayerUnpackerOptions options)
    : options_(std::move(options)),
      calls_(api),
      importer_(LayerCalls(api), ImporterOptions{options_.staging_root, options_.use_computestorage}) {}

bool WcifsLayerUnpacker::IsUnpacked(const std::string& dir) const {
  std::error_code ec;
  return fs::exists(absl::StrCat(dir, "/", kImportedMarker), ec);
}

absl::Status WcifsLayerUnpacker::UnpackChain(const std::vector<LayerBlob>& chain) {
  // Plans are made in parallel (each is a full read of its blob); complete
  // layers are not read at all (the Importer skips them).
  std::vector<std::future<absl::StatusOr<ImportPlan>>> planned;
  for (const LayerBlob& blob : chain) {
    if (IsUnpacked(blob.dir)) {
      std::promise<absl::StatusOr<ImportPlan>> done;
      done.set_value(ImportPlan{});
      planned.push_back(done.get_future());
      continue;
    }
    planned.push_back(std::async(std::launch::async, [this, &blob]() -> absl::StatusOr<ImportPlan> {
      WindowsPlanOptions limits = options_.limits;
      limits.media_type = blob.media_type;
      SILO_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, blob.open());
      absl::StatusOr<ImportPlan> plan = PlanWindowsLayer(*source, limits);
      if (!plan.ok()) return Annotate(plan.status(), absl::StrCat("layer ", blob.diff_id));
      if (plan->diff_id != blob.diff_id) {
        return absl::DataLossError(absl::StrCat("layer ", blob.chain_id, ": content is ", plan->diff_id,
                                                " but the image config says ", blob.diff_id));
      }
      return plan;
    }));
  }
  std::vector<std::unique_ptr<MemberStream>> readers;
  std::vector<LayerSource> sources(chain.size());
  std::vector<std::string> dirs;
  absl::Status first;
  for (size_t i = 0; i < chain.size(); ++i) {
    absl::StatusOr<ImportPlan> plan = planned[i].get();
    dirs.push_back(chain[i].dir);
    if (!plan.ok()) {
      if (first.ok()) first = plan.status();
      continue;
    }
    sources[i].plan = std::move(*plan);
  }
  SILO_RETURN_IF_ERROR(first);
  for (size_t i = 0; i < chain.size(); ++i) {
    readers.push_back(std::make_unique<MemberStream>(chain[i], sources[i].plan));
    sources[i].read = [r = readers.back().get()](size_t index, std::string* data,
                                                 std::vector<AlternateStream>* streams) {
      return r->Read(index, data, streams);
    };
  }
  return importer_.ImportImage(dirs, sources);
}

absl::Status WcifsLayerUnpacker::RemoveIncomplete(const std::string& root) {
  return importer_.RemoveIncomplete(root);
}

absl::Status WcifsLayerUnpacker::RemoveLayer(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return absl::OkStatus();
  return runtime::windows::HrStatusToStatus(calls_.DestroyLayer(dir), "DestroyLayer", dir);
}

}  // namespace silo::image::layers::wcifs
