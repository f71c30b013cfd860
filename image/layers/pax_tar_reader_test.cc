#include "image/layers/pax_tar_reader.h"

#include <archive_entry.h>

#include <sstream>

#include "gtest/gtest.h"
#include "image/layers/testing/tar_builder.h"

namespace silo::image::layers {
namespace {

using testing::TarBuilder;

std::vector<TarHeader> ReadAll(const std::string& tar, absl::Status* status) {
  std::istringstream in(tar);
  IstreamSource src(in);
  PaxTarReader reader(src);
  std::vector<TarHeader> out;
  while (true) {
    TarHeader h;
    auto more = reader.Next(&h);
    if (!more.ok()) {
      *status = more.status();
      return out;
    }
    if (!*more) break;
    out.push_back(std::move(h));
  }
  *status = absl::OkStatus();
  return out;
}

TEST(PaxTarReaderTest, ReadsLibarchiveTars) {
  const std::string long_name = std::string(150, 'n') + "/" + std::string(80, 'm');
  TarBuilder b;
  b.Dir("d").File(long_name, "data!", 0600).Symlink("l", "d").Hardlink("h", long_name);
  b.Add({.path = "x", .content = "1", .xattrs = {{"user.k", "v"}}});
  absl::Status st;
  auto hs = ReadAll(b.Finish(), &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(hs.size(), 5u);
  EXPECT_EQ(hs[0].typeflag, '5');
  EXPECT_EQ(hs[1].name, long_name);
  EXPECT_EQ(hs[1].size, 5u);
  EXPECT_EQ(hs[1].mode, 0600u);
  EXPECT_EQ(hs[1].mtime_sec, 1700000000);
  EXPECT_EQ(hs[2].typeflag, '2');
  EXPECT_EQ(hs[2].linkname, "d");
  EXPECT_EQ(hs[3].typeflag, '1');
  EXPECT_EQ(hs[3].linkname, long_name);
  EXPECT_EQ(hs[4].pax.count("SCHILY.xattr.user.k"), 1u);
}

TEST(PaxTarReaderTest, ReadDataReturnsEachMembersBytesAndNextSkipsTheRest) {
  TarBuilder b;
  b.File("a", "first file", 0644).Dir("d").File("b", std::string(700, 'b'), 0644).File("c", "skipped", 0644);
  b.File("e", "last", 0644);
  std::istringstream in(b.Finish());
  IstreamSource src(in);
  PaxTarReader reader(src);
  TarHeader h;
  ASSERT_TRUE(*reader.Next(&h));
  EXPECT_EQ(*reader.ReadData(), "first file");
  EXPECT_EQ(*reader.ReadData(), "");  // read once
  ASSERT_TRUE(*reader.Next(&h));
  EXPECT_EQ(h.name, "d/");
  EXPECT_EQ(*reader.ReadData(), "");
  ASSERT_TRUE(*reader.Next(&h));
  EXPECT_EQ(reader.ReadData(10).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(*reader.ReadData(), std::string(700, 'b'));  // the refusal consumed nothing
  ASSERT_TRUE(*reader.Next(&h));  // c: never read
  ASSERT_TRUE(*reader.Next(&h));
  EXPECT_EQ(h.name, "e");
  EXPECT_EQ(*reader.ReadData(), "last");
  EXPECT_FALSE(*reader.Next(&h));
}

TEST(PaxTarReaderTest, KeepsUnknownPaxRecords) {
  std::string tar;
  testing::AppendRawPaxMember(&tar, "Files/a", '0', "abc", {{"MSWINDOWS.fileattr", "32"}, {"VENDOR.x", "y"}});
  testing::AppendRawPaxMember(&tar, "Files/b", '0', "", {});
  testing::AppendTarEnd(&tar);
  absl::Status st;
  auto hs = ReadAll(tar, &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(hs.size(), 2u);
  EXPECT_EQ(hs[0].pax.at("MSWINDOWS.fileattr"), "32");
  EXPECT_EQ(hs[0].pax.at("VENDOR.x"), "y");
  EXPECT_EQ(hs[0].size, 3u);
  EXPECT_TRUE(hs[1].pax.empty());  // per-entry records do not leak to the next member
}

TEST(PaxTarReaderTest, BadChecksumAndTruncation) {
  std::string tar;
  testing::AppendRawPaxMember(&tar, "Files/a", '0', std::string(2000, 'a'), {});
  testing::AppendTarEnd(&tar);
  std::string bad = tar;
  bad[0] = 'X';
  absl::Status st;
  ReadAll(bad, &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  ReadAll(tar.substr(0, 1000), &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
}

TEST(ParsePaxRecordsTest, Malformed) {
  std::map<std::string, std::string> m;
  EXPECT_TRUE(ParsePaxRecords("11 path=ab\n", &m).ok());
  EXPECT_EQ(m["path"], "ab");
  EXPECT_FALSE(ParsePaxRecords("99 path=ab\n", &m).ok());
  EXPECT_FALSE(ParsePaxRecords("x path=ab\n", &m).ok());
  EXPECT_FALSE(ParsePaxRecords("8 =abcd\n", &m).ok());
  EXPECT_TRUE(ParsePaxRecords("8 path=\n", &m).ok());  // empty value deletes
  EXPECT_EQ(m.count("path"), 0u);
}

}  // namespace
}  // namespace silo::image::layers
