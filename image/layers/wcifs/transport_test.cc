#include "image/layers/wcifs/transport.h"

#include "gtest/gtest.h"

namespace silo::image::layers::wcifs {
namespace {

WindowsEntry Entry(std::string path, WindowsEntryKind kind, uint32_t attrs = 0) {
  WindowsEntry e;
  e.path = std::move(path);
  e.kind = kind;
  e.attributes = attrs;
  return e;
}

TEST(TransportTest, PlansFoldersTombstonesLinksAndTimes) {
  ImportPlan plan;
  plan.entries = {
      Entry("Files", WindowsEntryKind::kDirectory, 0x10),
      Entry("Files/Windows", WindowsEntryKind::kDirectory, 0x10),
      Entry("Files/Windows/a.dll", WindowsEntryKind::kFile, 0x20),
      Entry("Files/Windows/old.dll", WindowsEntryKind::kWhiteout),
      Entry("Files/Windows/b.dll", WindowsEntryKind::kHardLink),
      Entry("Hives/Software_Delta", WindowsEntryKind::kFile),
  };
  plan.entries[4].link_target = "Files/Windows/a.dll";
  auto got = PlanDiffStaging(plan);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->items.size(), 4u);
  EXPECT_EQ(got->items[0].file, "Files.$wcidirs$");
  EXPECT_EQ(got->items[0].make_directory, "Files");
  EXPECT_EQ(got->items[1].file, "Files/Windows.$wcidirs$");
  EXPECT_EQ(got->items[1].make_directory, "Files/Windows");
  EXPECT_EQ(got->items[2].file, "Files/Windows/a.dll");
  EXPECT_EQ(got->items[2].make_directory, "");
  EXPECT_EQ(got->items[2].method, StageMethod::kTransportFile);
  EXPECT_EQ(got->items[3].file, "Hives/Software_Delta");
  EXPECT_EQ(got->items[3].method, StageMethod::kBackupWrite);
  EXPECT_EQ(got->tombstones, std::vector<std::string>{"Files/Windows/old.dll"});
  ASSERT_EQ(got->hard_links.size(), 1u);
  EXPECT_EQ(got->hard_links[0].path, "Files/Windows/b.dll");
  EXPECT_EQ(got->hard_links[0].target, "Files/Windows/a.dll");
  EXPECT_EQ(got->directory_times, (std::vector<size_t>{0, 1}));
}

TEST(TransportTest, TransportFileIsAttributesThenStream) {
  WindowsEntry e = Entry("Files/a", WindowsEntryKind::kFile, 0x21);  // ARCHIVE | READONLY
  e.size = 2;
  e.security_descriptor = "S";
  auto got = EncodeTransportFile(e, "hi");
  ASSERT_TRUE(got.ok()) << got.status();
  const std::string want = std::string("\x21\x00\x00\x00", 4) +
                           // security part: id 3, size 1
                           std::string("\x03\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0", 20) + "S" +
                           // data part: id 1, size 2
                           std::string("\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\0\0\0\0", 20) + "hi";
  EXPECT_EQ(*got, want);
}

TEST(TransportTest, RejectsWhatTheTransportFormatCannotCarry) {
  ImportPlan uvm;
  uvm.entries = {Entry("UtilityVM/Files/x", WindowsEntryKind::kFile)};
  EXPECT_EQ(PlanDiffStaging(uvm).status().code(), absl::StatusCode::kUnimplemented);
  ImportPlan opaque;
  opaque.entries = {Entry("Files/d", WindowsEntryKind::kOpaqueDirectory)};
  EXPECT_EQ(PlanDiffStaging(opaque).status().code(), absl::StatusCode::kUnimplemented);
  ImportPlan hive_whiteout;
  hive_whiteout.entries = {Entry("Hives/x", WindowsEntryKind::kWhiteout)};
  EXPECT_FALSE(PlanDiffStaging(hive_whiteout).ok());
}

TEST(TransportTest, FileTimeEpoch) {
  EXPECT_EQ(UnixToFileTime(0), 116444736000000000);
  EXPECT_EQ(UnixToFileTime(1, 500), 116444736010000005);
}

}  // namespace
}  // namespace silo::image::layers::wcifs
