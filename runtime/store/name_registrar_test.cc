#include "runtime/store/name_registrar.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace silo::runtime::store {
namespace {

TEST(NameRegistrarTest, NamesAreBuiltLikeContainerd) {
  ::runtime::v1::PodSandboxMetadata pod;
  pod.set_name("web");
  pod.set_namespace_("default");
  pod.set_uid("u-1");
  pod.set_attempt(2);
  EXPECT_EQ(MakeSandboxName(pod), "web_default_u-1_2");
  ::runtime::v1::ContainerMetadata c;
  c.set_name("app");
  c.set_attempt(5);
  EXPECT_EQ(MakeContainerName(c, pod), "app_web_default_u-1_5");
}

TEST(NameRegistrarTest, ReserveIsIdempotentPerKey) {
  NameRegistrar r;
  ASSERT_TRUE(r.Reserve("pod_a", "id1").ok());
  EXPECT_TRUE(r.Reserve("pod_a", "id1").ok());
  absl::Status taken = r.Reserve("pod_a", "id2");
  EXPECT_EQ(taken.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(taken.message().find("id1"), absl::string_view::npos) << taken;
  EXPECT_EQ(r.Reserve("pod_b", "id1").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(*r.Get("pod_a"), "id1");
  EXPECT_EQ(r.Reserve("", "id3").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.Reserve("pod_c", "").code(), absl::StatusCode::kInvalidArgument);

  r.Release("pod_a");
  r.Release("pod_a");  // no-op
  EXPECT_EQ(r.Get("pod_a").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(r.Reserve("pod_a", "id2").ok());
  r.ReleaseByKey("id2");
  EXPECT_EQ(r.Get("pod_a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(r.Reserve("pod_b", "id1").ok());  // id1 no longer holds pod_a
}

TEST(NameRegistrarTest, ExactlyOneConcurrentReserverWins) {
  NameRegistrar r;
  constexpr int kThreads = 8;
  std::atomic<int> wins{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      absl::Status s = r.Reserve("same_name", "key" + std::to_string(t));
      if (s.ok()) {
        ++wins;
      } else if (s.code() == absl::StatusCode::kAlreadyExists) {
        ++refused;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(refused.load(), kThreads - 1);
  EXPECT_TRUE(r.Get("same_name").ok());
}

}  // namespace
}  // namespace silo::runtime::store
