#include "runtime/base/failpoint.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/base/file_util.h"

namespace silo::failpoint {
namespace {

using ::testing::HasSubstr;

class FailpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-failpoint-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static Registry Make(absl::string_view spec, std::string trace = "") {
    absl::StatusOr<std::map<std::string, Action>> armed = ParseSpec(spec);
    EXPECT_TRUE(armed.ok()) << armed.status();
    return Registry(armed.ok() ? *armed : std::map<std::string, Action>{}, std::move(trace));
  }
  std::string dir_;
};

TEST_F(FailpointTest, ParsesErrorHangAndNth) {
  auto armed = ParseSpec(" store.commit=error ; cni.add=hang(3000)@2;content.commit=error@3;");
  ASSERT_TRUE(armed.ok()) << armed.status();
  ASSERT_EQ(armed->size(), 3u);
  EXPECT_EQ(armed->at("store.commit").kind, Action::Kind::kError);
  EXPECT_EQ(armed->at("store.commit").nth, 0);
  EXPECT_EQ(armed->at("cni.add").kind, Action::Kind::kHang);
  EXPECT_EQ(armed->at("cni.add").hang_ms, 3000);
  EXPECT_EQ(armed->at("cni.add").nth, 2);
  EXPECT_EQ(armed->at("content.commit").nth, 3);
  EXPECT_TRUE(ParseSpec("")->empty());
}

TEST_F(FailpointTest, RejectsMalformedSpecsNamingTheEntry) {
  for (const char* bad : {"store.commit", "=error", "a=boom", "a=hang(x)", "a=hang(-1)", "a=error@0", "a=error@",
                          "a=error;a=error"}) {
    auto armed = ParseSpec(bad);
    EXPECT_EQ(armed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(std::string(ParseSpec("x=boom").status().message()), HasSubstr("x=boom"));
}

TEST_F(FailpointTest, ErrorFiresOnEveryHitAndNamesThePoint) {
  Registry r = Make("store.commit=error");
  for (int i = 0; i < 3; ++i) {
    absl::Status s = r.Hit("store.commit");
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(std::string(s.message()), HasSubstr("failpoint store.commit"));
  }
  EXPECT_TRUE(r.Hit("store.delete").ok());
  EXPECT_EQ(r.Hits("store.commit"), 3);
  EXPECT_EQ(r.Hits("store.delete"), 0);
}

TEST_F(FailpointTest, NthFiresOnlyOnThatHit) {
  Registry r = Make("store.commit=error@2");
  EXPECT_TRUE(r.Hit("store.commit").ok());
  EXPECT_FALSE(r.Hit("store.commit").ok());
  EXPECT_TRUE(r.Hit("store.commit").ok());
  EXPECT_EQ(r.Hits("store.commit"), 3);
}

TEST_F(FailpointTest, HangSleepsThenFails) {
  Registry r = Make("cni.add=hang(150)");
  auto start = std::chrono::steady_clock::now();
  absl::Status s = r.Hit("cni.add");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(150));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("failpoint cni.add"));
}

TEST_F(FailpointTest, TraceAppendsEveryHitInOrder) {
  std::string trace = dir_ + "/trace";
  ASSERT_TRUE(AtomicWriteFile(trace, "earlier\n").ok());
  {
    Registry r = Make("b=error", trace);
    EXPECT_TRUE(r.Hit("a").ok());
    EXPECT_FALSE(r.Hit("b").ok());
    EXPECT_TRUE(r.Hit("a").ok());
  }
  EXPECT_EQ(*ReadFile(trace), "earlier\na\nb\na\n");
}

TEST_F(FailpointTest, ConcurrentHitsAreCountedOnceEachAndTraceLinesStayWhole) {
  std::string trace = dir_ + "/trace";
  Registry r = Make("p=error@500", trace);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        if (!r.Hit("p").ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.Hits("p"), 1000);
  EXPECT_EQ(failures.load(), 1);  // exactly the 500th hit, whichever thread made it
  std::string text = *ReadFile(trace);
  std::string expected;
  for (int i = 0; i < 1000; ++i) expected += "p\n";
  EXPECT_EQ(text, expected);
}

// The macro against the process-wide registry, which reads the environment
// once: this is the only test in the binary that touches it.
absl::StatusOr<int> Guarded() {
  SILO_FAILPOINT("failpoint_test.guarded");
  return 7;
}

TEST_F(FailpointTest, MacroFollowsTheBuildOption) {
  ::setenv("SILO_FAILPOINTS", "failpoint_test.guarded=error@2", 1);
  absl::StatusOr<int> first = Guarded();
  absl::StatusOr<int> second = Guarded();
  ::unsetenv("SILO_FAILPOINTS");
  EXPECT_TRUE(first.ok());
#if SILO_FAILPOINTS_ENABLED
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("failpoint failpoint_test.guarded"));
  EXPECT_EQ(Global().Hits("failpoint_test.guarded"), 2);
#else
  // Compiled out: the registry is never consulted.
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 7);
#endif
}

}  // namespace
}  // namespace silo::failpoint
