#include "image/registry/manifest.h"

#include <gtest/gtest.h>

namespace silo::image::registry {
namespace {

constexpr char kDigestA[] = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

std::string ManifestWithLayerType(const std::string& type) {
  return std::string(R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")") +
         kDigestA + R"(","size":10},"layers":[{"mediaType":")" + type + R"(","digest":")" + kDigestA +
         R"(","size":5,"urls":["https://x/y"],"annotations":{"k":"v"}}]})";
}

TEST(ManifestTest, ParsesDescriptors) {
  auto m = ParseManifest(kOciManifest, ManifestWithLayerType("application/vnd.docker.image.rootfs.diff.tar.gzip"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->config.size, 10);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].digest.String(), kDigestA);
  EXPECT_EQ(m->layers[0].urls, std::vector<std::string>{"https://x/y"});
  EXPECT_EQ(m->layers[0].annotations.at("k"), "v");
}

TEST(ManifestTest, UnknownLayerTypeIsNamed) {
  auto m = ParseManifest(kOciManifest, ManifestWithLayerType("application/x-weird"));
  ASSERT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("application/x-weird"), absl::string_view::npos);
}

TEST(ManifestTest, Schema1RejectedByContentTypeAndBody) {
  EXPECT_EQ(DetectMediaType(kDockerSchema1Signed, "{}").status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(DetectMediaType("application/json", R"({"schemaVersion":1,"name":"x"})").status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST(ManifestTest, DetectsFromBodyWhenContentTypeIsGeneric) {
  EXPECT_EQ(*DetectMediaType("application/json", R"({"schemaVersion":2,"manifests":[]})"), kOciIndex);
  EXPECT_EQ(*DetectMediaType("", std::string(R"({"mediaType":")") + std::string(kDockerManifest) + R"("})"),
            kDockerManifest);
  EXPECT_FALSE(DetectMediaType("text/plain", "not json").ok());
}

TEST(ManifestTest, IndexPlatforms) {
  std::string body = std::string(R"({"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")") +
                     kDigestA + R"(","size":1,"platform":{"os":"windows","architecture":"amd64","os.version":"10.0.20348.1"}}]})";
  auto idx = ParseIndex(kOciIndex, body);
  ASSERT_TRUE(idx.ok()) << idx.status();
  ASSERT_TRUE(idx->manifests[0].platform.has_value());
  EXPECT_EQ(idx->manifests[0].platform->os_version, "10.0.20348.1");
}

}  // namespace
}  // namespace silo::image::registry
