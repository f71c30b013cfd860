#include "image/digest.h"

#include <string>

#include "gtest/gtest.h"

namespace silo::image {
namespace {

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcSha256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(DigestTest, ParsesSha256) {
  auto d = ParseDigest(std::string("sha256:") + kAbcSha256);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->algorithm, "sha256");
  EXPECT_EQ(d->hex, kAbcSha256);
  EXPECT_EQ(d->String(), std::string("sha256:") + kAbcSha256);
}

TEST(DigestTest, ParsesSha512) {
  auto d = ParseDigest("sha512:" + std::string(128, 'f'));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->algorithm, "sha512");
}

TEST(DigestTest, RejectsMalformed) {
  struct Case {
    std::string text;
    std::string problem;
  };
  const Case cases[] = {
      {"", "missing ':'"},
      {kAbcSha256, "missing ':'"},
      {std::string("md5:") + kAbcSha256, "unsupported algorithm"},
      {std::string("SHA256:") + kAbcSha256, "unsupported algorithm"},
      {"sha256:" + std::string(63, 'a'), "needs 64"},
      {"sha256:" + std::string(65, 'a'), "needs 64"},
      {"sha256:", "needs 64"},
      {"sha256:" + std::string(63, 'a') + "A", "not lowercase hex"},
      {"sha256:" + std::string(63, 'a') + "g", "not lowercase hex"},
      {"sha512:" + std::string(64, 'a'), "needs 128"},
  };
  for (const Case& c : cases) {
    auto d = ParseDigest(c.text);
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(std::string(d.status().message()).find(c.problem), std::string::npos)
        << c.text << " -> " << d.status();
  }
}

TEST(DigestTest, ValidateDigest) {
  EXPECT_TRUE(ValidateDigest(Sha256Of("x")).ok());
  EXPECT_EQ(ValidateDigest(Digest{}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ValidateDigest(Digest{"sha256", "../../../etc/passwd"}).ok());
  EXPECT_FALSE(ValidateDigest(Digest{"sha256:" + std::string(kAbcSha256), std::string(kAbcSha256)}).ok());
  EXPECT_FALSE(ValidateDigest(Digest{"", kAbcSha256}).ok());
}

TEST(DigestTest, KnownVectors) {
  EXPECT_EQ(Sha256Of("").hex, kEmptySha256);
  EXPECT_EQ(Sha256Of("abc").hex, kAbcSha256);
  auto h = Hasher::Create("sha512");
  ASSERT_TRUE(h.ok());
  h->Update("abc");
  EXPECT_EQ(h->Current().String(),
            "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(DigestTest, StreamingMatchesOneShotAndCurrentDoesNotFinalise) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>(i * 7));
  Hasher h = Hasher::Sha256();
  h.Update(data.substr(0, 1234));
  EXPECT_EQ(h.Current(), Sha256Of(data.substr(0, 1234)));
  h.Update(data.substr(1234));
  EXPECT_EQ(h.Current(), Sha256Of(data));
  EXPECT_EQ(h.bytes(), data.size());
}

TEST(DigestTest, UnsupportedHasher) {
  auto h = Hasher::Create("md5");
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DigestTest, HasherIsMovable) {
  Hasher a = Hasher::Sha256();
  a.Update("ab");
  Hasher b = std::move(a);
  b.Update("c");
  EXPECT_EQ(b.Current().hex, kAbcSha256);
}

}  // namespace
}  // namespace silo::image
