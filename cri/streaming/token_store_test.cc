#include "cri/streaming/token_store.h"

#include "gtest/gtest.h"

namespace silo::cri::streaming {
namespace {

struct FakeClock {
  absl::Time now = absl::FromUnixSeconds(1000);
  TokenStore::Clock fn() {
    return [this] { return now; };
  }
};

StreamRequest Exec(const std::string& id) {
  StreamRequest r;
  r.container_id = id;
  return r;
}

TEST(TokenStoreTest, SingleUse) {
  TokenStore store;
  auto t = store.Insert(Exec("c1"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), 32u);
  auto r = store.Take(*t);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->container_id, "c1");
  EXPECT_TRUE(absl::IsNotFound(store.Take(*t).status()));
  EXPECT_TRUE(absl::IsNotFound(store.Take("nope").status()));
}

TEST(TokenStoreTest, TokensAreDistinct) {
  TokenStore store;
  auto a = store.Insert(Exec("a"));
  auto b = store.Insert(Exec("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(store.Take(*b)->container_id, "b");
}

TEST(TokenStoreTest, ExpiresAfterTtl) {
  FakeClock clock;
  TokenStore store(absl::Minutes(1), 10, clock.fn());
  auto t1 = store.Insert(Exec("x"));
  auto t2 = store.Insert(Exec("y"));
  clock.now += absl::Seconds(59);
  EXPECT_TRUE(store.Take(*t1).ok());
  clock.now += absl::Seconds(1);
  EXPECT_TRUE(absl::IsNotFound(store.Take(*t2).status()));
}

TEST(TokenStoreTest, BoundedAndSweepsExpired) {
  FakeClock clock;
  TokenStore store(absl::Minutes(1), 2, clock.fn());
  ASSERT_TRUE(store.Insert(Exec("a")).ok());
  ASSERT_TRUE(store.Insert(Exec("b")).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(store.Insert(Exec("c")).status()));
  clock.now += absl::Minutes(2);
  EXPECT_TRUE(store.Insert(Exec("c")).ok());
  EXPECT_EQ(store.size(), 1u);
}

}  // namespace
}  // namespace silo::cri::streaming
