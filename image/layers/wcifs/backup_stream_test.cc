#include "image/layers/wcifs/backup_stream.h"

#include <string>

#include "gtest/gtest.h"

namespace silo::image::layers::wcifs {
namespace {

// "0a 1b ..." -> bytes; spaces and newlines are ignored.
std::string Hex(const std::string& text) {
  std::string out, digits;
  for (char c : text) {
    if (c == ' ' || c == '\n') continue;
    digits += c;
    if (digits.size() == 2) {
      out += static_cast<char>(std::stoi(digits, nullptr, 16));
      digits.clear();
    }
  }
  return out;
}

// ASCII -> UTF-16LE, for readable expected names.
std::string W(const std::string& ascii) {
  std::string out;
  for (char c : ascii) out += std::string{c, '\0'};
  return out;
}

TEST(BackupStreamTest, FileWithSecurityEaDataAndAlternateStream) {
  WindowsEntry e;
  e.path = "Files/a.txt";
  e.kind = WindowsEntryKind::kFile;
  e.size = 3;
  e.security_descriptor = Hex("01 00 04 80");
  e.extended_attributes = {{"A", "xy"}};
  auto got = EncodeBackupStream(e, "abc", {{"s", "Z"}});
  ASSERT_TRUE(got.ok()) << got.status();
  const std::string want =
      // security: id 3, attrs 0, size 4, name 0, then the descriptor
      Hex("03000000 00000000 0400000000000000 00000000") + Hex("01000480") +
      // EA: id 2, size 12 = {next 0, flags 0, namelen 1, valuelen 2} "A" NUL "xy"
      Hex("02000000 00000000 0c00000000000000 00000000") + Hex("00000000 00 01 0200") + "A" + std::string(1, '\0') +
      "xy" +
      // data: id 1, size 3
      Hex("01000000 00000000 0300000000000000 00000000") + "abc" +
      // ADS: id 4, size 1, name ":s:$DATA" = 8 UTF-16 units = 16 bytes
      Hex("04000000 00000000 0100000000000000 10000000") + W(":s:$DATA") + "Z";
  EXPECT_EQ(*got, want);
}

TEST(BackupStreamTest, EmptyFileStillHasADataPart) {
  WindowsEntry e;
  e.path = "Files/empty";
  auto got = EncodeBackupStream(e, "");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, Hex("01000000 00000000 0000000000000000 00000000"));
}

TEST(BackupStreamTest, EaListPadsAndLinksAllButTheLastEntry) {
  auto got = EncodeFullEaInformation({{"A", "x"}, {"BC", ""}});
  ASSERT_TRUE(got.ok()) << got.status();
  // "A": 8 + 1 + 1 + 1 = 11 bytes, padded to 12, next = 12.
  // "BC": 8 + 2 + 1 + 0 = 11 bytes, last: next 0, no padding.
  EXPECT_EQ(*got, Hex("0c000000 00 01 0100 41 00 78 00") + Hex("00000000 00 02 0000 42 43 00"));
  EXPECT_FALSE(EncodeFullEaInformation({{std::string(256, 'n'), ""}}).ok());
}

TEST(BackupStreamTest, JunctionReparseBuffer) {
  auto got = EncodeReparsePoint("C:\\Users", /*mount_point=*/true);
  ASSERT_TRUE(got.ok()) << got.status();
  // substitute "\??\C:\Users" (12 units: 24 bytes + NUL), print "C:\Users" (8 units: 16 + NUL).
  // ReparseDataLength = 8 + 26 + 18 = 52 = 0x34; no Flags word for mount points.
  const std::string want = Hex("030000a0 3400 0000") + Hex("0000 1800 1a00 1000") + W("\\??\\C:\\Users") +
                           Hex("0000") + W("C:\\Users") + Hex("0000");
  EXPECT_EQ(*got, want);
  EXPECT_FALSE(EncodeReparsePoint("relative", true).ok());
}

TEST(BackupStreamTest, RelativeSymlinkReparseBufferInAStream) {
  WindowsEntry e;
  e.path = "Files/link";
  e.kind = WindowsEntryKind::kSymlink;
  e.link_target = "a/b";  // '/' becomes '\'
  auto got = EncodeBackupStream(e, "");
  ASSERT_TRUE(got.ok()) << got.status();
  // names "a\b" (3 units, 6 bytes + NUL) twice; length = 8 + 4 + 8 + 8 = 28 = 0x1c; flags 1 (relative).
  const std::string reparse = Hex("0c0000a0 1c00 0000") + Hex("0000 0600 0800 0600") + Hex("01000000") +
                              W("a\\b") + Hex("0000") + W("a\\b") + Hex("0000");
  EXPECT_EQ(*got, Hex("08000000 00000000 2400000000000000 00000000") + reparse);
  EXPECT_EQ(reparse.size(), 0x24u);
}

TEST(BackupStreamTest, AbsoluteSymlinkAndUncTargets) {
  auto abs = EncodeReparsePoint("C:\\x", false);
  ASSERT_TRUE(abs.ok());
  // "\??\C:\x" (8 units) then "C:\x" (4 units); flags 0.
  EXPECT_EQ(*abs, Hex("0c0000a0 2800 0000") + Hex("0000 1000 1200 0800") + Hex("00000000") + W("\\??\\C:\\x") +
                      Hex("0000") + W("C:\\x") + Hex("0000"));
  auto unc = EncodeReparsePoint("\\\\srv\\s", false);
  ASSERT_TRUE(unc.ok());
  EXPECT_NE(unc->find(W("\\??\\UNC\\srv\\s")), std::string::npos);
}

TEST(BackupStreamTest, DirectorySecurityOnlyAndHiveWithoutSecurity) {
  WindowsEntry dir;
  dir.path = "Files/d";
  dir.kind = WindowsEntryKind::kDirectory;
  dir.security_descriptor = "SD";
  auto got = EncodeBackupStream(dir, "");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, Hex("03000000 00000000 0200000000000000 00000000") + "SD");
  auto bare = EncodeBackupStream(dir, "", {}, {.include_security = false});
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*bare, "");
}

TEST(BackupStreamTest, RejectsWhatHasNoStream) {
  WindowsEntry e;
  e.path = "Files/x";
  e.size = 2;
  EXPECT_EQ(EncodeBackupStream(e, "a").status().code(), absl::StatusCode::kInvalidArgument);
  e.size = 0;
  e.sddl = "O:BA";
  auto sddl = EncodeBackupStream(e, "");
  EXPECT_EQ(sddl.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(sddl.status().message().find("Files/x"), absl::string_view::npos);
  e.sddl.clear();
  e.kind = WindowsEntryKind::kWhiteout;
  EXPECT_EQ(EncodeBackupStream(e, "").status().code(), absl::StatusCode::kInvalidArgument);
  WindowsEntry f;
  f.path = "Files/f";
  EXPECT_FALSE(EncodeBackupStream(f, "", {{"a:b", ""}}).ok());
}

TEST(BackupStreamTest, Utf16Encoding) {
  auto got = Utf8ToUtf16Le("\xC3\xA9\xF0\x9F\x98\x80");  // U+00E9, U+1F600 (surrogate pair)
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, Hex("e900 3dd8 00de"));
  EXPECT_FALSE(Utf8ToUtf16Le("\xC3").ok());
  EXPECT_FALSE(Utf8ToUtf16Le("\xED\xA0\x80").ok());  // encoded surrogate
}

}  // namespace
}  // namespace silo::image::layers::wcifs
