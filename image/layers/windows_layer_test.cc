#include "image/layers/windows_layer.h"

#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "image/layers/testing/tar_builder.h"

namespace silo::image::layers {
namespace {

using testing::AppendRawPaxMember;

absl::StatusOr<ImportPlan> Plan(const std::string& blob) {
  std::istringstream in(blob);
  IstreamSource src(in);
  return PlanWindowsLayer(src);
}

TEST(WindowsLayerTest, PlansFilesHivesAndPaxMetadata) {
  const std::string sd("\x01\x00\x04\x80\x14\x00\x00\x00", 8);
  std::string tar;
  AppendRawPaxMember(&tar, "Files", '5', "", {{"MSWINDOWS.rawsd", absl::Base64Escape(sd)}});
  AppendRawPaxMember(&tar, "Files/Windows/System32/app.dll", '0', "MZ\x90",
                     {{"MSWINDOWS.fileattr", "33"},
                      {"MSWINDOWS.rawsd", absl::Base64Escape(sd)},
                      {"LIBARCHIVE.creationtime", "1600000000.25"},
                      {"MSWINDOWS.xattr.$KERNEL.PURGE", absl::Base64Escape("ea")}});
  AppendRawPaxMember(&tar, "Files/Users", '5', "", {});
  AppendRawPaxMember(&tar, "Files/Junction", '2', "", {{"MSWINDOWS.mountpoint", "1"}}, "C:\\Users");
  AppendRawPaxMember(&tar, "Files/Windows/System32/app2.dll", '1', "", {}, "Files/Windows/System32/app.dll");
  AppendRawPaxMember(&tar, "Files/ProgramData/.wh.old", '0', "", {});
  AppendRawPaxMember(&tar, "Files/Temp/.wh..wh..opq", '0', "", {});
  AppendRawPaxMember(&tar, "Hives/SOFTWARE_BASE", '0', "regf", {});
  AppendRawPaxMember(&tar, "UtilityVM/Files/x", '0', "", {});
  testing::AppendTarEnd(&tar);

  auto plan = Plan(testing::Compress(tar, Compression::kGzip));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->diff_id, testing::Sha256Digest(tar));
  EXPECT_TRUE(plan->has_hives);
  EXPECT_TRUE(plan->has_utility_vm);
  EXPECT_EQ(plan->total_bytes, 7u);
  ASSERT_EQ(plan->entries.size(), 9u);

  const WindowsEntry& root = plan->entries[0];
  EXPECT_EQ(root.path, "Files");
  EXPECT_EQ(root.kind, WindowsEntryKind::kDirectory);
  EXPECT_EQ(root.attributes, kFileAttributeDirectory);
  EXPECT_EQ(root.security_descriptor, sd);

  const WindowsEntry& dll = plan->entries[1];
  EXPECT_EQ(dll.kind, WindowsEntryKind::kFile);
  EXPECT_EQ(dll.size, 3u);
  EXPECT_EQ(dll.attributes, 33u);
  EXPECT_EQ(dll.security_descriptor, sd);
  EXPECT_TRUE(dll.has_creation_time);
  EXPECT_EQ(dll.creation_time_sec, 1600000000);
  EXPECT_EQ(dll.creation_time_nsec, 250000000);
  EXPECT_EQ(dll.extended_attributes.at("$KERNEL.PURGE"), "ea");
  EXPECT_EQ(dll.mtime_sec, 1700000000);

  EXPECT_EQ(plan->entries[3].kind, WindowsEntryKind::kSymlink);
  EXPECT_TRUE(plan->entries[3].mount_point);
  EXPECT_EQ(plan->entries[3].link_target, "C:\\Users");
  EXPECT_EQ(plan->entries[4].kind, WindowsEntryKind::kHardLink);
  EXPECT_EQ(plan->entries[4].link_target, "Files/Windows/System32/app.dll");
  EXPECT_EQ(plan->entries[5].kind, WindowsEntryKind::kWhiteout);
  EXPECT_EQ(plan->entries[5].path, "Files/ProgramData/old");
  EXPECT_EQ(plan->entries[6].kind, WindowsEntryKind::kOpaqueDirectory);
  EXPECT_EQ(plan->entries[6].path, "Files/Temp");
  EXPECT_EQ(plan->entries[7].path, "Hives/SOFTWARE_BASE");
  EXPECT_EQ(plan->entries[7].size, 4u);
}

TEST(WindowsLayerTest, RejectsEntriesOutsideRootsOrWithTraversal) {
  const std::pair<std::string, char> kBad[] = {
      {"etc/passwd", '0'},          {"Files/../../evil", '0'},  {"Files/a/..", '5'},
      {"../Files/x", '0'},          {"Files/a\\..\\..\\x", '0'}, {"Files/C:/x", '0'},
      {"Files/a:stream", '0'},      {"Files/. ./x", '0'},       {"Files/dev", '3'},
      {"Files/.wh...", '0'},        {".wh.Files", '0'},
  };
  for (const auto& [name, type] : kBad) {
    std::string tar;
    AppendRawPaxMember(&tar, "Files/ok", '0', "ok", {});
    AppendRawPaxMember(&tar, name, type, "", {});
    testing::AppendTarEnd(&tar);
    auto plan = Plan(tar);
    ASSERT_FALSE(plan.ok()) << name;
    EXPECT_NE(plan.status().message().find("\"" + name + "\""), absl::string_view::npos) << plan.status();
  }
}

TEST(WindowsLayerTest, AlternateDataStreamsAttachToTheirFile) {
  std::string tar;
  AppendRawPaxMember(&tar, "Files", '5', "", {});
  AppendRawPaxMember(&tar, "Files/setup.exe", '0', "MZ", {{"MSWINDOWS.fileattr", "32"}});
  AppendRawPaxMember(&tar, "Files/setup.exe:Zone.Identifier", '0', "[ZoneTransfer]\r\nZoneId=3\r\n", {});
  AppendRawPaxMember(&tar, "Files/setup.exe:thumb", '0', "png", {});
  AppendRawPaxMember(&tar, "Files/next.txt", '0', "x", {});
  testing::AppendTarEnd(&tar);
  auto plan = Plan(tar);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->entries.size(), 3u) << "streams are not entries of their own";
  const WindowsEntry& exe = plan->entries[1];
  EXPECT_EQ(exe.path, "Files/setup.exe");
  ASSERT_EQ(exe.alternate_streams.size(), 2u);
  EXPECT_EQ(exe.alternate_streams[0].name, "Zone.Identifier");
  EXPECT_EQ(exe.alternate_streams[0].size, 26u);
  EXPECT_EQ(exe.alternate_streams[1].name, "thumb");
  EXPECT_EQ(plan->total_bytes, 2u + 26u + 3u + 1u);
  EXPECT_TRUE(plan->entries[2].alternate_streams.empty());

  for (const auto& [name, type] : std::vector<std::pair<std::string, char>>{
           {"Files/setup.exe:a:b", '0'}, {"Files/setup.exe:", '0'}, {"Files/setup.exe:link", '2'},
           {"Files/other.exe:s", '0'}, {"Files:s", '0'}}) {
    std::string bad;
    AppendRawPaxMember(&bad, "Files", '5', "", {});
    AppendRawPaxMember(&bad, "Files/setup.exe", '0', "MZ", {});
    AppendRawPaxMember(&bad, name, type, "", {});
    testing::AppendTarEnd(&bad);
    auto p = Plan(bad);
    ASSERT_FALSE(p.ok()) << name;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_NE(p.status().message().find("\"" + name + "\""), absl::string_view::npos) << p.status();
  }
}

TEST(WindowsLayerTest, RejectsHardLinkOutsideAndBadBase64) {
  std::string tar;
  AppendRawPaxMember(&tar, "Files/h", '1', "", {}, "../etc/passwd");
  testing::AppendTarEnd(&tar);
  EXPECT_FALSE(Plan(tar).ok());

  tar.clear();
  AppendRawPaxMember(&tar, "Files/f", '0', "", {{"MSWINDOWS.rawsd", "***"}});
  testing::AppendTarEnd(&tar);
  auto plan = Plan(tar);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("\"Files/f\""), absl::string_view::npos) << plan.status();
}

// Hostile layers: each plants a link, then tries to reach through it.
struct Member {
  std::string name;
  char type = '0';
  std::string linkname;
  bool junction = false;
};

absl::Status PlanMembers(const std::vector<Member>& members) {
  std::string tar;
  AppendRawPaxMember(&tar, "Files", '5', "", {});
  for (const Member& m : members) {
    std::map<std::string, std::string> pax;
    if (m.junction) pax["MSWINDOWS.mountpoint"] = "1";
    AppendRawPaxMember(&tar, m.name, m.type, m.type == '0' ? "x" : "", pax, m.linkname);
  }
  testing::AppendTarEnd(&tar);
  return Plan(tar).status();
}

void ExpectRejected(const absl::Status& s, const std::string& member, const std::string& why) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("\"" + member + "\""), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find(why), absl::string_view::npos) << s;
}

TEST(WindowsLayerTest, RejectsMemberBeneathAJunction) {
  ExpectRejected(PlanMembers({{"Files/j", '2', "C:\\", true}, {"Files/j/x", '0'}}), "Files/j/x", "beneath");
  ExpectRejected(PlanMembers({{"Files/j", '2', "C:\\", true}, {"Files/j/Windows", '5'}}), "Files/j/Windows",
                 "beneath");
}

TEST(WindowsLayerTest, RejectsMemberBeneathASymlinkWhateverTheCase) {
  ExpectRejected(PlanMembers({{"Files/s", '2', "C:\\Windows"}, {"Files/s/x", '0'}}), "Files/s/x", "beneath");
  ExpectRejected(PlanMembers({{"Files/Dir/S", '2', "..\\.."}, {"Files/dir/s/deep/x", '0'}}),
                 "Files/dir/s/deep/x", "beneath");
}

TEST(WindowsLayerTest, RejectsWhiteoutAndHardLinkBeneathALink) {
  ExpectRejected(PlanMembers({{"Files/j", '2', "C:\\", true}, {"Files/j/.wh.victim", '0'}}), "Files/j/.wh.victim",
                 "beneath");
  ExpectRejected(PlanMembers({{"Files/a", '0'}, {"Files/j", '2', "C:\\", true}, {"Files/j/a2", '1', "Files/a"}}),
                 "Files/j/a2", "beneath");
}

TEST(WindowsLayerTest, RejectsHardLinkToATargetOutsideTheLayer) {
  // Through a link of the layer, to the link itself, or by name.
  ExpectRejected(PlanMembers({{"Files/j", '2', "C:\\", true}, {"Files/stolen", '1', "Files/j/SAM"}}),
                 "Files/stolen", "beneath");
  ExpectRejected(PlanMembers({{"Files/j", '2', "C:\\", true}, {"Files/h", '1', "Files/j"}}), "Files/h",
                 "is a link");
  ExpectRejected(PlanMembers({{"Files/h", '1', "/Files/x"}}), "Files/h", "absolute");
  ExpectRejected(PlanMembers({{"Files/h", '1', "Files/../../x"}}), "Files/h", "\"..\"");
}

TEST(WindowsLayerTest, RejectsAbsoluteAndDotDotNames) {
  ExpectRejected(PlanMembers({{"/Files/x", '0'}}), "/Files/x", "absolute");
  ExpectRejected(PlanMembers({{"/UtilityVM/Files/x", '5'}}), "/UtilityVM/Files/x", "absolute");
  ExpectRejected(PlanMembers({{"Files/../../x", '0'}}), "Files/../../x", "\"..\"");
}

TEST(WindowsLayerTest, RejectsAlternateStreamOnALink) {
  ExpectRejected(PlanMembers({{"Files/j", '2', "C:\\Windows\\System32\\config\\SAM"}, {"Files/j:evil", '0'}}),
                 "Files/j:evil", "link");
  ExpectRejected(PlanMembers({{"Files/j", '2', "C:\\", true}, {"Files/j/x:evil", '0'}}), "Files/j/x:evil",
                 "beneath");
}

TEST(WindowsLayerTest, RejectsALinkAsALayerRootOrRewrittenAsAFolder) {
  ExpectRejected(PlanMembers({{"UtilityVM", '2', "C:\\Windows", true}}), "UtilityVM", "cannot be a link");
  ExpectRejected(PlanMembers({{"Files/j", '2', "C:\\", true}, {"Files/J", '5'}}), "Files/J", "already a link");
}

}  // namespace
}  // namespace silo::image::layers
