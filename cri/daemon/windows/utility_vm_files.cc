#include "cri/daemon/windows/utility_vm_files.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cri/daemon/windows/pause_rootfs.h"
#include "image/layers/wcifs/layer_calls.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {
namespace {

namespace fs = std::filesystem;

constexpr char kUtilityVm[] = "UtilityVM";
constexpr char kTemplate[] = "SystemTemplate.vhdx";
constexpr char kScratch[] = "sandbox.vhdx";

// A real folder or file, not a link: a layer's content must not send the
// copy (or the VM's share) elsewhere on the host.
bool IsReal(const fs::path& p, fs::file_type want) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(p, ec);
  return !ec && st.type() == want;
}

bool HasUtilityVm(const fs::path& layer) {
  const fs::path uvm = layer / kUtilityVm;
  return IsReal(uvm, fs::file_type::directory) && IsReal(uvm / "Files", fs::file_type::directory) &&
         IsReal(uvm / kTemplate, fs::file_type::regular);
}

// Sandbox ids are the manager's hex; anything else must not name a path.
bool IsPlainName(const std::string& id) {
  return !id.empty() && id != "." && id != ".." && id.find_first_of("/\\:") == std::string::npos;
}

}  // namespace

UtilityVmFiles::UtilityVmFiles(std::string root, std::function<std::string(const std::string&)> hcs_path)
    : root_(std::move(root)), hcs_path_(std::move(hcs_path)) {}

void UtilityVmFiles::Attach(image::ImageManager* images) { images_.store(images); }

std::string UtilityVmFiles::PodDir(const std::string& sandbox_id) const { return absl::StrCat(root_, "/", sandbox_id); }

absl::StatusOr<runtime::windows::hypervisor::UvmBootFiles> UtilityVmFiles::Prepare(const std::string& sandbox_id,
                                                                                  const std::string& image) {
  if (!IsPlainName(sandbox_id)) return absl::InvalidArgumentError(absl::StrCat("sandbox id '", sandbox_id, "'"));
  image::ImageManager* images = images_.load();
  if (images == nullptr) return absl::FailedPreconditionError("the image store is not open yet");
  SILO_ASSIGN_OR_RETURN(const image::ImageRecord record, SandboxImageRecord(*images, image));
  // Uppermost first, as hcsshim's LocateUVMFolder searches.
  std::string layer;
  for (auto it = record.chain_ids.rbegin(); it != record.chain_ids.rend() && layer.empty(); ++it) {
    const std::string dir = images->SnapshotDir(*it);
    if (HasUtilityVm(dir)) layer = dir;
  }
  if (layer.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the sandbox image ", image,
        " has no layer with a UtilityVM folder (Files and SystemTemplate.vhdx): Hyper-V isolated pods boot from it"));
  }
  const std::string uvm = absl::StrCat(layer, "/", kUtilityVm);
  const fs::path dir = PodDir(sandbox_id);
  const fs::path scratch = dir / kScratch;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("utility VM folder ", dir.string(), ": ", ec.message()));
  if (!fs::exists(scratch, ec)) {
    // Copied aside and renamed, so a crash never leaves half a disk under the final name.
    const fs::path partial = dir / absl::StrCat(kScratch, ".partial");
    fs::copy_file(fs::path(uvm) / kTemplate, partial, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(partial, scratch, ec);
    if (ec) {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
      return absl::InternalError(
          absl::StrCat("copy ", uvm, "/", kTemplate, " to ", scratch.string(), ": ", ec.message()));
    }
  }
  auto named = [this](const std::string& p) {
    return hcs_path_ ? hcs_path_(p) : image::layers::wcifs::WindowsPath(p);
  };
  return runtime::windows::hypervisor::UvmBootFiles{named(uvm), named(scratch.string())};
}

absl::Status UtilityVmFiles::Release(const std::string& sandbox_id) {
  if (!IsPlainName(sandbox_id)) return absl::InvalidArgumentError(absl::StrCat("sandbox id '", sandbox_id, "'"));
  std::error_code ec;
  fs::remove_all(PodDir(sandbox_id), ec);
  if (ec) return absl::InternalError(absl::StrCat("remove utility VM folder ", PodDir(sandbox_id), ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace silo::cri
