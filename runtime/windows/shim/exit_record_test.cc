#include "runtime/windows/shim/exit_record.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"
#include "runtime/windows/shim/shim_files.h"

namespace silo::runtime::windows::shim {
namespace {

TEST(ExitRecordTest, RoundTripsThroughTheFile) {
  char tmpl[] = "/tmp/silo-exit-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/exit";
  auto missing = ReadExitRecord(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().hr(), kHrFileNotFound);
  ASSERT_TRUE(WriteExitRecord(path, {137, 1700000000123456789}).ok());
  // Replaced, not appended to.
  ASSERT_TRUE(WriteExitRecord(path, {-1, 42}).ok());
  auto r = ReadExitRecord(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_EQ(r->exited_at_unix_nanos, 42);
  EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0);
  std::ofstream(path) << R"({"exit_code":1})";
  EXPECT_EQ(ReadExitRecord(path).status().hr(), 0x8007000Du);
  std::system((std::string("rm -rf ") + tmpl).c_str());
}

TEST(ExitRecordTest, DecodeRejectsWhatIsNotARecord) {
  EXPECT_FALSE(DecodeExitRecord("").has_value());
  EXPECT_FALSE(DecodeExitRecord("[]").has_value());
  EXPECT_FALSE(DecodeExitRecord(R"({"exit_code":"1","exited_at_unix_nanos":2})").has_value());
  auto r = DecodeExitRecord(EncodeExitRecord({3, 4}));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->exited_at_unix_nanos, 4);
}

}  // namespace
}  // namespace silo::runtime::windows::shim
