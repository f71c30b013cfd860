#include "runtime/windows/hypervisor/pod_vm_record.h"

#include <unistd.h>

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using ::testing::HasSubstr;

PodVmRecord Sample() {
  PodVmRecord r;
  r.vm.document.vm_id = "pod-1@vm";
  r.vm.document.scratch_vhd_path = "C:\\silo\\pods\\pod-1\\vm.vhdx";
  r.vm.document.utility_vm_path = r.utility_vm_path = "C:\\silo\\layers\\base\\UtilityVM";
  r.vm.hcn_namespace = {{"Id", "0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59"}};
  r.vm.endpoints.push_back({"7d3a1c52-9f0e-4b8a-8c1d-2e3f4a5b6c71",
                            {{"Id", "e1d2c3b4-a5f6-4788-9900-aabbccddeef1"}, {"MacAddress", "00-15-5D-52-C0-01"}}});
  MountedLayers m;
  m.shares.push_back({{"a1b2c3d4-0000-5000-8000-000000000001", "C:\\silo\\layers\\base"}, "s2"});
  m.scratch_vhd_path = "C:\\silo\\scratch\\c1\\sandbox.vhdx";
  m.lun = 1;
  r.containers["c1"] = m;
  return r;
}

TEST(PodVmRecordTest, WhatIsSavedLoadsBackWhole) {
  const std::string dir = ::testing::TempDir() + "/pod_vm_record_" + std::to_string(::getpid());
  ASSERT_TRUE(SavePodVmRecord(dir, "pod-1", Sample()).ok());
  absl::StatusOr<PodVmRecord> loaded = LoadPodVmRecord(dir, "pod-1");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(PodVmRecordToJson(*loaded), PodVmRecordToJson(Sample()));
  EXPECT_EQ(loaded->containers.at("c1").shares.at(0).name, "s2");
  EXPECT_EQ(loaded->vm.endpoints.at(0).hcn_endpoint["MacAddress"], "00-15-5D-52-C0-01");
  ASSERT_TRUE(DeletePodVmRecord(dir, "pod-1").ok());
  EXPECT_EQ(LoadPodVmRecord(dir, "pod-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(DeletePodVmRecord(dir, "pod-1").ok()) << "idempotent";
  std::filesystem::remove_all(dir);
}

TEST(PodVmRecordTest, AMalformedRecordIsInvalidArgumentNamingWhatIsWrong) {
  EXPECT_EQ(ParsePodVmRecord("not json").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ParsePodVmRecord(R"({"vm_id":"p@vm"})").status().message(), HasSubstr("scratch"));
  absl::StatusOr<PodVmRecord> bad = ParsePodVmRecord(
      R"({"vm_id":"p@vm","scratch":"C:\\s.vhdx","utility_vm_path":"C:\\u","containers":{"c1":{"shares":[],"scratch":"C:\\x"}}})");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("c1"));
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
