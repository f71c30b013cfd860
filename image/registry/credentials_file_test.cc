#include "image/registry/credentials_file.h"

#include "gtest/gtest.h"

namespace silo::image::registry {
namespace {

TEST(CredentialsFileTest, ReadsDockerConfigFormat) {
  // base64("alice:s3cret") = YWxpY2U6czNjcmV0
  auto f = CredentialsFile::Parse("c.json", R"({"auths": {
      "https://index.docker.io/v1/": {"username": "bob", "password": "pw"},
      "Registry.Example:5000": {"auth": "YWxpY2U6czNjcmV0"},
      "tokens.example": {"identitytoken": "refresh-me"},
      "empty.example": {}}})");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->size(), 3u);
  auto hub = f->Lookup("docker.io");
  ASSERT_TRUE(hub.has_value());
  EXPECT_EQ(hub->username, "bob");
  EXPECT_EQ(f->Lookup("registry-1.docker.io")->password, "pw");
  auto reg = f->Lookup("registry.example:5000");
  ASSERT_TRUE(reg.has_value());
  EXPECT_EQ(*reg->BasicHeader(), "Basic YWxpY2U6czNjcmV0");
  EXPECT_EQ(f->Lookup("tokens.example")->identity_token, "refresh-me");
  EXPECT_FALSE(f->Lookup("empty.example").has_value());
  EXPECT_FALSE(f->Lookup("registry.example").has_value());  // the port is part of the key
}

TEST(CredentialsFileTest, ErrorsNameTheFileAndEntry) {
  auto bad = CredentialsFile::Parse("/etc/silo/creds.json", "[1,2]");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("/etc/silo/creds.json"), std::string::npos);
  bad = CredentialsFile::Parse("c.json", R"({"auths": {"r.example": {"auth": "!!!not base64"}}})");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("r.example"), std::string::npos) << bad.status();
  bad = CredentialsFile::Parse("c.json", R"({"auths": []})");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(CredentialsFile::Load("/nonexistent/creds.json").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CredentialsFile::Parse("c.json", "{}")->size(), 0u);
}

TEST(CredentialsFileTest, NormalizesHosts) {
  EXPECT_EQ(NormalizeRegistryHost("https://Quay.IO/v2/"), "quay.io");
  EXPECT_EQ(NormalizeRegistryHost("http://127.0.0.1:5000"), "127.0.0.1:5000");
  EXPECT_EQ(NormalizeRegistryHost("index.docker.io"), "docker.io");
}

}  // namespace
}  // namespace silo::image::registry
