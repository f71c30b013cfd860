#include "runtime/shim/cri_log_writer.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::shim {
namespace {

using ::testing::ElementsAre;

struct timespec FixedClock() { return {1700000000, 123456000}; }

class CriLogWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-crilog-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/0.log";
    auto w = CriLogWriter::Open(path_, FixedClock);
    ASSERT_TRUE(w.ok()) << w.status();
    writer_ = std::move(*w);
  }
  void TearDown() override {
    writer_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Parses the file back; each entry is "<stream> <P|F> <content>".
  std::vector<std::string> Records(const std::string& path) {
    auto text = ReadFile(path);
    EXPECT_TRUE(text.ok()) << text.status();
    std::vector<std::string> out;
    if (!text.ok()) return out;
    EXPECT_TRUE(text->empty() || text->back() == '\n');
    for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
      auto r = ParseCriLogRecord(line);
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok()) continue;
      EXPECT_EQ(r->timestamp, "2023-11-14T22:13:20.123456Z");
      out.push_back(absl::StrCat(LogStreamName(r->stream), " ", r->partial ? "P" : "F", " ", r->content));
    }
    return out;
  }
  std::vector<std::string> Records() { return Records(path_); }

  std::string dir_, path_;
  std::unique_ptr<CriLogWriter> writer_;
};

TEST(CriLogFormatTest, TimestampMatchesGoRfc3339Nano) {
  EXPECT_EQ(FormatRfc3339NanoUtc({0, 0}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339NanoUtc({1700000000, 500000000}), "2023-11-14T22:13:20.5Z");
  EXPECT_EQ(FormatRfc3339NanoUtc({1700000000, 1}), "2023-11-14T22:13:20.000000001Z");
  EXPECT_EQ(FormatRfc3339NanoUtc({1700000000, 999999999}), "2023-11-14T22:13:20.999999999Z");
}

TEST(CriLogFormatTest, RecordLayout) {
  EXPECT_EQ(FormatCriLogRecord({1700000000, 0}, LogStream::kStderr, true, "a b"),
            "2023-11-14T22:13:20Z stderr P a b\n");
  EXPECT_EQ(FormatCriLogRecord({1700000000, 0}, LogStream::kStdout, false, ""),
            "2023-11-14T22:13:20Z stdout F \n");
}

TEST(CriLogFormatTest, ParsesKubeletShapes) {
  auto r = ParseCriLogRecord("2016-10-06T00:17:09.669794202Z stdout F log content 1\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream, LogStream::kStdout);
  EXPECT_FALSE(r->partial);
  EXPECT_EQ(r->content, "log content 1");
  r = ParseCriLogRecord("2016-10-06T00:17:09.669794203+02:00 stderr P:x  two  spaces");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->partial);
  EXPECT_EQ(r->content, " two  spaces");
  r = ParseCriLogRecord("2016-10-06T00:17:09Z stdout F ");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->content, "");
}

TEST(CriLogFormatTest, RejectsGarbage) {
  for (const char* bad : {"", "garbage", "2016-10-06T00:17:09Z", "2016-10-06T00:17:09Z stdout",
                          "2016-10-06T00:17:09Z stdin F x", "2016-10-06T00:17:09Z stdout X x",
                          "2016-10-06 00:17:09Z stdout F x", "2016-10-06T00:17:09. stdout F x",
                          "2016-10-06T00:17:09+0200 stdout F x", "2016-10-06T00:17:09Z stdout F"}) {
    EXPECT_FALSE(ParseCriLogRecord(bad).ok()) << bad;
  }
}

TEST_F(CriLogWriterTest, CompleteLinesAreFull) {
  CriLineSplitter out(writer_.get(), LogStream::kStdout);
  ASSERT_TRUE(out.Feed("hello\nworld\n\n").ok());
  ASSERT_TRUE(out.Finish().ok());
  EXPECT_THAT(Records(), ElementsAre("stdout F hello", "stdout F world", "stdout F "));
}

TEST_F(CriLogWriterTest, LineAcrossFeedsIsJoined) {
  CriLineSplitter out(writer_.get(), LogStream::kStdout);
  ASSERT_TRUE(out.Feed("hel").ok());
  ASSERT_TRUE(out.Feed("lo").ok());
  EXPECT_THAT(Records(), ElementsAre());
  ASSERT_TRUE(out.Feed(" there\nnext").ok());
  EXPECT_THAT(Records(), ElementsAre("stdout F hello there"));
}

TEST_F(CriLogWriterTest, CrLfLosesBothBytesLoneCrKept) {
  CriLineSplitter out(writer_.get(), LogStream::kStdout);
  ASSERT_TRUE(out.Feed("dos\r").ok());
  ASSERT_TRUE(out.Feed("\nmid\rcr\n\r\r\n").ok());
  EXPECT_THAT(Records(), ElementsAre("stdout F dos", "stdout F mid\rcr", "stdout F \r"));
}

TEST_F(CriLogWriterTest, TrailingPartialAtEofIsP) {
  CriLineSplitter out(writer_.get(), LogStream::kStderr);
  ASSERT_TRUE(out.Feed("done\nno newline").ok());
  ASSERT_TRUE(out.Finish().ok());
  EXPECT_THAT(Records(), ElementsAre("stderr F done", "stderr P no newline"));
}

TEST_F(CriLogWriterTest, FinishWithNothingPendingWritesNothing) {
  CriLineSplitter out(writer_.get(), LogStream::kStdout);
  ASSERT_TRUE(out.Feed("x\n").ok());
  ASSERT_TRUE(out.Finish().ok());
  EXPECT_THAT(Records(), ElementsAre("stdout F x"));
}

TEST_F(CriLogWriterTest, LongLinesSplitAtMaxLine) {
  CriLineSplitter out(writer_.get(), LogStream::kStdout, 4);
  ASSERT_TRUE(out.Feed("abcd\n").ok());        // exactly max: one F
  ASSERT_TRUE(out.Feed("abcdefgh\n").ok());    // 2*max: P + F
  ASSERT_TRUE(out.Feed("abcdefghij\n").ok());  // P P F
  EXPECT_THAT(Records(), ElementsAre("stdout F abcd", "stdout P abcd", "stdout F efgh", "stdout P abcd",
                                     "stdout P efgh", "stdout F ij"));
}

TEST_F(CriLogWriterTest, LongLineIsCutBeforeItsNewlineArrives) {
  CriLineSplitter out(writer_.get(), LogStream::kStdout, 4);
  ASSERT_TRUE(out.Feed("abcd").ok());
  EXPECT_THAT(Records(), ElementsAre());  // could still end as exactly one F
  ASSERT_TRUE(out.Feed("efghi").ok());
  EXPECT_THAT(Records(), ElementsAre("stdout P abcd", "stdout P efgh"));
  ASSERT_TRUE(out.Feed("\r").ok());  // held back: may be half of \r\n
  ASSERT_TRUE(out.Feed("\n").ok());
  EXPECT_THAT(Records(), ElementsAre("stdout P abcd", "stdout P efgh", "stdout F i"));
}

TEST_F(CriLogWriterTest, DefaultMaxIs16KiB) {
  CriLineSplitter out(writer_.get(), LogStream::kStdout);
  std::string big(kDefaultMaxLogLine * 2 + 10, 'x');
  ASSERT_TRUE(out.Feed(big + "\n").ok());
  auto records = Records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], "stdout P " + std::string(kDefaultMaxLogLine, 'x'));
  EXPECT_EQ(records[1], "stdout P " + std::string(kDefaultMaxLogLine, 'x'));
  EXPECT_EQ(records[2], "stdout F " + std::string(10, 'x'));
}

TEST_F(CriLogWriterTest, TwoStreamsFromTwoThreadsNeverInterleave) {
  constexpr int kLines = 2000;
  auto run = [this](LogStream s, char c) {
    CriLineSplitter out(writer_.get(), s, 64);
    std::string line(100, c);  // 64 + 36: a P and an F per line
    for (int i = 0; i < kLines; ++i) ASSERT_TRUE(out.Feed(line + "\n").ok());
  };
  std::thread a(run, LogStream::kStdout, 'o');
  std::thread b(run, LogStream::kStderr, 'e');
  a.join();
  b.join();
  auto records = Records();
  ASSERT_EQ(records.size(), 4u * kLines);
  int out_p = 0, err_f = 0;
  for (const auto& r : records) {
    if (r == "stdout P " + std::string(64, 'o')) ++out_p;
    else if (r == "stderr F " + std::string(36, 'e')) ++err_f;
    else ASSERT_TRUE(r == "stdout F " + std::string(36, 'o') || r == "stderr P " + std::string(64, 'e')) << r;
  }
  EXPECT_EQ(out_p, kLines);
  EXPECT_EQ(err_f, kLines);
}

TEST_F(CriLogWriterTest, ReopenStartsAFreshFileAfterRotation) {
  CriLineSplitter out(writer_.get(), LogStream::kStdout);
  ASSERT_TRUE(out.Feed("before\n").ok());
  std::string rotated = path_ + ".1";
  ASSERT_EQ(::rename(path_.c_str(), rotated.c_str()), 0);
  ASSERT_TRUE(out.Feed("still old\n").ok());  // kubelet renamed; shim has not reopened yet
  ASSERT_TRUE(writer_->Reopen().ok());
  ASSERT_TRUE(out.Feed("after\n").ok());
  EXPECT_THAT(Records(rotated), ElementsAre("stdout F before", "stdout F still old"));
  EXPECT_THAT(Records(), ElementsAre("stdout F after"));
}

TEST_F(CriLogWriterTest, ReopenFailureKeepsOldFile) {
  std::string sub = dir_ + "/sub";
  ASSERT_TRUE(MakeDirs(sub).ok());
  auto w = CriLogWriter::Open(sub + "/c.log", FixedClock);
  ASSERT_TRUE(w.ok());
  std::filesystem::rename(sub, dir_ + "/moved");
  EXPECT_FALSE((*w)->Reopen().ok());
  ASSERT_TRUE((*w)->Write(LogStream::kStdout, false, "kept").ok());
  EXPECT_THAT(Records(dir_ + "/moved/c.log"), ElementsAre("stdout F kept"));
}

TEST(CriLogWriterOpenTest, MissingDirectoryIsNotFound) {
  auto w = CriLogWriter::Open("/tmp/silo-no-such-dir-for-test/x/0.log");
  EXPECT_EQ(w.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace silo::runtime::shim
