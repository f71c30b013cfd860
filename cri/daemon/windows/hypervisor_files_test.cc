// What silod gives the hypervisor handler, from the sandbox image and the
// WCIFS layer store over the fake layer API: the utility VM's boot files
// (UtilityVmFiles) and a hosted container's layers (HostedRootfsSource).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cri/daemon/windows/hosted_rootfs.h"
#include "cri/daemon/windows/testing/wcifs_images_test_base.h"
#include "cri/daemon/windows/utility_vm_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/layers/wcifs/layer_calls.h"

namespace silo::cri {
namespace {

namespace fs = std::filesystem;
namespace reg = image::registry::testing;
using image::layers::wcifs::LayerCall;
using image::layers::wcifs::WindowsPath;
using ::testing::HasSubstr;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class HypervisorFilesTest : public testing::WcifsImagesTestBase {
 protected:
  static void SetUpTestSuite() {
    reg::TestImage pause;
    pause.platform = reg::WindowsPlatform(testing::kTestHostBuild);
    pause.layers = {reg::WindowsBaseLayerWithUtilityVm("20348"), {{"Files/", ""}, {"Files/pause.exe", "MZ pause"}}};
    pause.cmd = {"C:\\pause.exe"};
    reg::TestImage plain = pause;
    plain.layers = {reg::WindowsBaseLayer("20348"), {{"Files/", ""}, {"Files/pause.exe", "MZ pause"}}};
    Serve({{pause, "uvm"}, {plain, "plain"}}, "pause");
  }

  std::string UvmRoot() const { return absl::StrCat(root_, "/uvm"); }
};

TEST_F(HypervisorFilesTest, BootsFromTheBaseLayersUtilityVmWithACopyOfItsTemplateAsScratch) {
  UtilityVmFiles files(UvmRoot(), nullptr);
  files.Attach(images_.get());
  absl::StatusOr<runtime::windows::hypervisor::UvmBootFiles> made = files.Prepare("sb1", Ref("uvm"));
  ASSERT_TRUE(made.ok()) << made.status();
  const auto record = images_->Status(Ref("uvm"));
  ASSERT_TRUE(record.ok() && record->has_value());
  const std::string base = images_->SnapshotDir((*record)->chain_ids[0]);
  EXPECT_EQ(made->utility_vm_path, WindowsPath(base + "/UtilityVM"));
  EXPECT_EQ(made->scratch_vhd_path, WindowsPath(UvmRoot() + "/sb1/sandbox.vhdx"));
  // The fake layer API keeps the backup stream the importer wrote; the template's bytes end it.
  EXPECT_TRUE(absl::EndsWith(Slurp(UvmRoot() + "/sb1/sandbox.vhdx"), "uvm scratch template 20348"));
  EXPECT_EQ(fake_.Calls(LayerCall::kProcessUtilityImage).size(), 1u) << "the importer processed the UtilityVM";

  // A retry keeps the disk the VM may already have written.
  std::ofstream(UvmRoot() + "/sb1/sandbox.vhdx") << "written by the VM";
  ASSERT_TRUE(files.Prepare("sb1", Ref("uvm")).ok());
  EXPECT_EQ(Slurp(UvmRoot() + "/sb1/sandbox.vhdx"), "written by the VM");

  ASSERT_TRUE(files.Release("sb1").ok());
  EXPECT_FALSE(fs::exists(UvmRoot() + "/sb1"));
  EXPECT_TRUE(files.Release("sb1").ok()) << "idempotent";
}

TEST_F(HypervisorFilesTest, AnImageWithoutUtilityVmIsRefusedNamingItAndLeavesNothing) {
  UtilityVmFiles files(UvmRoot(), nullptr);
  files.Attach(images_.get());
  absl::StatusOr<runtime::windows::hypervisor::UvmBootFiles> made = files.Prepare("sb1", Ref("plain"));
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), absl::StatusCode::kFailedPrecondition) << made.status();
  EXPECT_THAT(made.status().message(), HasSubstr(Ref("plain")));
  EXPECT_THAT(made.status().message(), HasSubstr("UtilityVM"));
  EXPECT_FALSE(fs::exists(UvmRoot() + "/sb1"));
}

TEST_F(HypervisorFilesTest, ATemplateThatIsALinkIsNotCopied) {
  UtilityVmFiles files(UvmRoot(), nullptr);
  files.Attach(images_.get());
  ASSERT_TRUE(files.Prepare("sb0", Ref("uvm")).ok());  // pulls and imports
  const auto record = images_->Status(Ref("uvm"));
  const fs::path tmpl = fs::path(images_->SnapshotDir((*record)->chain_ids[0])) / "UtilityVM/SystemTemplate.vhdx";
  const fs::path secret = fs::path(root_) / "host-secret";
  std::ofstream(secret) << "host secret";
  fs::remove(tmpl);
  fs::create_symlink(secret, tmpl);
  absl::StatusOr<runtime::windows::hypervisor::UvmBootFiles> made = files.Prepare("sb1", Ref("uvm"));
  EXPECT_EQ(made.status().code(), absl::StatusCode::kFailedPrecondition) << made.status();
  EXPECT_FALSE(fs::exists(UvmRoot() + "/sb1"));
  EXPECT_TRUE(files.Release("sb0").ok());
}

TEST_F(HypervisorFilesTest, SandboxIdsThatNamePathsAndAClosedImageStoreAreRefused) {
  UtilityVmFiles files(UvmRoot(), nullptr);
  EXPECT_EQ(files.Prepare("sb1", Ref("uvm")).status().code(), absl::StatusCode::kFailedPrecondition);
  files.Attach(images_.get());
  for (const char* id : {"", "..", "../x", "a/b", "a\\b"}) {
    EXPECT_EQ(files.Prepare(id, Ref("uvm")).status().code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_EQ(files.Release(id).code(), absl::StatusCode::kInvalidArgument) << id;
  }
}

TEST_F(HypervisorFilesTest, AHostedContainersScratchIsUnmountedFromTheHostAndItsLayersNamedForTheVm) {
  const auto pulled = images_->Pull(Ref("uvm"));
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  const auto record = images_->Status(Ref("uvm"));
  absl::StatusOr<image::PreparedRootfs> prepared = store_->Prepare("c1", (*record)->chain_ids);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  const std::string scratch = store_->ScratchDir("c1");
  ASSERT_TRUE(fake_.IsActivated(scratch));

  HostedRootfsSource hosted(fake_.api(), [](const std::string& p) { return "C:" + p; });
  runtime::container::CreateSpec spec;
  spec.id = "c1";
  spec.rootfs = prepared->path;
  spec.layer_dirs = prepared->layer_dirs;
  EXPECT_EQ(hosted.Prepare(spec).status().code(), absl::StatusCode::kFailedPrecondition) << "no store attached";
  hosted.Attach(store_.get());
  absl::StatusOr<runtime::windows::hypervisor::HostedRootfs> rootfs = hosted.Prepare(spec);
  ASSERT_TRUE(rootfs.ok()) << rootfs.status();
  EXPECT_FALSE(fake_.IsActivated(scratch)) << "a VHDX mounted on the host cannot be attached to the VM";
  EXPECT_TRUE(fake_.Prepared().empty());
  EXPECT_EQ(rootfs->scratch_vhd_path, "C:" + scratch + "/sandbox.vhdx");
  ASSERT_EQ(rootfs->layers.size(), 2u);  // nearest first
  EXPECT_EQ(rootfs->layers[0].host_path, "C:" + images_->SnapshotDir((*record)->chain_ids[1]));
  EXPECT_EQ(rootfs->layers[1].host_path, "C:" + images_->SnapshotDir((*record)->chain_ids[0]));
  EXPECT_NE(rootfs->layers[0].id, rootfs->layers[1].id);
  EXPECT_TRUE(fs::exists(scratch + "/sandbox.vhdx")) << "the scratch stays the layer store's";
  ASSERT_TRUE(store_->Remove("c1").ok());
}

}  // namespace
}  // namespace silo::cri
