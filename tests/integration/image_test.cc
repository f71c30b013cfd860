// ImageService through the real silod, pulling from a real docker-registry on
// 127.0.0.1 that the test fills with images it builds and pushes with skopeo.
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "image/registry/testing/local_registry.h"
#include "image/registry/testing/oci_layout.h"
#include "runtime/base/file_util.h"
#include "tests/support/silod_process.h"

namespace silo::testing {
namespace {

using image::registry::testing::LocalRegistry;
using image::registry::testing::OciLayout;
using image::registry::testing::TestImage;

class ImageRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reg = LocalRegistry::Start();
    ASSERT_TRUE(reg.ok()) << reg.status();
    registry_ = std::move(*reg);

    OciLayout layout(layout_dir_.path());
    TestImage img;
    img.layers = {{{"bin/hello", "hello from layer one\n"}, {"etc/os-release", "ID=silo-test\n"}},
                  {{"app/data.txt", std::string(100000, 'x')}}};
    auto built = layout.AddImage(img);
    ASSERT_TRUE(built.ok()) << built.status();
    ASSERT_TRUE(layout.Tag(built->manifest, "v1").ok());
    ASSERT_TRUE(registry_->Push(layout_dir_.path(), "v1", "team/app").ok());

    auto p = SilodProcess::Start(
        {.dir = silod_dir_.path(), .extra_yaml = absl::StrCat("registry: {insecure: [\"", registry_->host(), "\"]}\n")});
    ASSERT_TRUE(p.ok()) << p.status();
    silod_ = std::move(*p);
    img_ = silod_->ImageStub();
  }

  grpc::Status Pull(const std::string& ref, ::runtime::v1::PullImageResponse* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    ::runtime::v1::PullImageRequest req;
    req.mutable_image()->set_image(ref);
    return img_->PullImage(&ctx, req, out);
  }

  grpc::Status Status(const std::string& ref, ::runtime::v1::ImageStatusResponse* out) {
    grpc::ClientContext ctx;
    ::runtime::v1::ImageStatusRequest req;
    req.mutable_image()->set_image(ref);
    return img_->ImageStatus(&ctx, req, out);
  }

  TempDir layout_dir_, silod_dir_;
  std::unique_ptr<LocalRegistry> registry_;
  std::unique_ptr<SilodProcess> silod_;
  std::unique_ptr<::runtime::v1::ImageService::Stub> img_;
};

TEST_F(ImageRpcTest, PullByTagThenByDigestStatusListRemove) {
  const std::string tag_ref = absl::StrCat(registry_->host(), "/team/app:v1");
  ::runtime::v1::PullImageResponse pulled;
  ASSERT_TRUE(Pull(tag_ref, &pulled).ok());
  ASSERT_EQ(pulled.image_ref().rfind("sha256:", 0), 0u) << pulled.image_ref();

  ::runtime::v1::ImageStatusResponse st;
  ASSERT_TRUE(Status(tag_ref, &st).ok());
  ASSERT_TRUE(st.has_image());
  EXPECT_EQ(st.image().id(), pulled.image_ref());
  ASSERT_EQ(st.image().repo_tags_size(), 1);
  EXPECT_EQ(st.image().repo_tags(0), tag_ref);
  ASSERT_EQ(st.image().repo_digests_size(), 1);
  const std::string digest_ref = st.image().repo_digests(0);
  EXPECT_EQ(digest_ref.rfind(absl::StrCat(registry_->host(), "/team/app@sha256:"), 0), 0u) << digest_ref;
  EXPECT_GT(st.image().size(), 100u);

  // The same image by digest: same id, no second image.
  ::runtime::v1::PullImageResponse by_digest;
  ASSERT_TRUE(Pull(digest_ref, &by_digest).ok());
  EXPECT_EQ(by_digest.image_ref(), pulled.image_ref());
  ::runtime::v1::ListImagesResponse list;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(img_->ListImages(&ctx, {}, &list).ok());
  }
  ASSERT_EQ(list.images_size(), 1);
  EXPECT_EQ(list.images(0).id(), pulled.image_ref());

  // Survives a restart of silod.
  EXPECT_EQ(silod_->Stop(kSigTerm), 0);
  auto again = SilodProcess::Start(
      {.dir = silod_dir_.path(), .extra_yaml = absl::StrCat("registry: {insecure: [\"", registry_->host(), "\"]}\n")});
  ASSERT_TRUE(again.ok()) << again.status();
  silod_ = std::move(*again);
  img_ = silod_->ImageStub();
  st.Clear();
  ASSERT_TRUE(Status(pulled.image_ref(), &st).ok());
  ASSERT_TRUE(st.has_image());

  // ImageFsInfo counts what the pull stored.
  ::runtime::v1::ImageFsInfoResponse fs;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(img_->ImageFsInfo(&ctx, {}, &fs).ok());
  }
  ASSERT_GE(fs.image_filesystems_size(), 1);
  EXPECT_GT(fs.image_filesystems(0).used_bytes().value(), 100000u);

  // Remove by tag removes the image; a second remove is still OK.
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext ctx;
    ::runtime::v1::RemoveImageRequest rm;
    rm.mutable_image()->set_image(tag_ref);
    ::runtime::v1::RemoveImageResponse resp;
    EXPECT_TRUE(img_->RemoveImage(&ctx, rm, &resp).ok()) << "round " << i;
  }
  st.Clear();
  ASSERT_TRUE(Status(pulled.image_ref(), &st).ok());
  EXPECT_FALSE(st.has_image());  // missing image: success with image unset
}

// The configured sandbox image is pinned, as containerd pins its sandbox
// image: kubelet's image garbage collection skips images ImageStatus and
// ListImages report pinned.
TEST_F(ImageRpcTest, TheSandboxImageIsReportedPinnedOverGrpc) {
  const std::string tag_ref = absl::StrCat(registry_->host(), "/team/app:v1");
  EXPECT_EQ(silod_->Stop(kSigTerm), 0);
  auto pinned = SilodProcess::Start(
      {.dir = silod_dir_.path(),
       .extra_yaml = absl::StrCat("registry: {insecure: [\"", registry_->host(), "\"]}\nsandbox: {image: \"",
                                  tag_ref, "\"}\n")});
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  silod_ = std::move(*pinned);
  img_ = silod_->ImageStub();
  ::runtime::v1::PullImageResponse pulled;
  ASSERT_TRUE(Pull(tag_ref, &pulled).ok());
  ::runtime::v1::ImageStatusResponse st;
  ASSERT_TRUE(Status(tag_ref, &st).ok());
  ASSERT_TRUE(st.has_image());
  EXPECT_TRUE(st.image().pinned());
  ::runtime::v1::ListImagesResponse list;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(img_->ListImages(&ctx, {}, &list).ok());
  }
  ASSERT_EQ(list.images_size(), 1);
  EXPECT_TRUE(list.images(0).pinned());

  // Another silod configuration, another sandbox image: this one is no longer pinned.
  EXPECT_EQ(silod_->Stop(kSigTerm), 0);
  auto plain = SilodProcess::Start(
      {.dir = silod_dir_.path(), .extra_yaml = absl::StrCat("registry: {insecure: [\"", registry_->host(), "\"]}\n")});
  ASSERT_TRUE(plain.ok()) << plain.status();
  silod_ = std::move(*plain);
  img_ = silod_->ImageStub();
  st.Clear();
  ASSERT_TRUE(Status(tag_ref, &st).ok());
  ASSERT_TRUE(st.has_image());
  EXPECT_FALSE(st.image().pinned());
}

// Bytes under `dir` in regular files (the content store's blobs and ingests).
int64_t BytesUnder(const std::string& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) total += static_cast<int64_t>(it->file_size(size_ec));
  }
  return total;
}

// The value of an unlabelled sample in a Prometheus text page, -1 if absent.
double Sample(const std::string& page, const std::string& name) {
  size_t at = page.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(page.substr(at + name.size() + 2));
}

TEST_F(ImageRpcTest, PullKilledMidwayLeavesNoImageAndTheRepullResumes) {
  // One incompressible 24 MiB layer, downloaded at 4 MiB/s so the kill lands
  // in the middle of it.
  constexpr int64_t kLayerBytes = 24 << 20;
  std::string data(kLayerBytes, '\0');
  uint64_t x = 0x2545f4914f6cdd1dull;
  for (char& c : data) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  TempDir big_layout;
  OciLayout layout(big_layout.path());
  TestImage img;
  img.layers = {{{"data/blob", std::move(data)}}};
  auto built = layout.AddImage(img);
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_TRUE(layout.Tag(built->manifest, "v1").ok());
  ASSERT_TRUE(registry_->Push(big_layout.path(), "v1", "team/big").ok());
  const std::string ref = absl::StrCat(registry_->host(), "/team/big:v1");
  const std::string insecure = absl::StrCat("registry: {insecure: [\"", registry_->host(), "\"]");

  silod_->Stop(kSigTerm);
  auto slow = SilodProcess::Start(
      {.dir = silod_dir_.path(), .extra_yaml = insecure + ", max_download_bytes_per_sec: 4194304}\n"});
  ASSERT_TRUE(slow.ok()) << slow.status();
  silod_ = std::move(*slow);
  img_ = silod_->ImageStub();
  grpc::Status first;
  std::thread puller([&] {
    ::runtime::v1::PullImageResponse r;
    first = Pull(ref, &r);
  });
  const std::string content = silod_->root() + "/images/content";
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (BytesUnder(content) < (6 << 20) && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int64_t before_kill = BytesUnder(content);
  EXPECT_EQ(silod_->Stop(kSigKill), 128 + kSigKill);
  puller.join();
  EXPECT_FALSE(first.ok());
  ASSERT_GE(before_kill, 6 << 20);
  ASSERT_LT(before_kill, kLayerBytes) << "the pull finished before it could be killed";

  auto again = SilodProcess::Start({.dir = silod_dir_.path(), .extra_yaml = insecure + "}\n"});
  ASSERT_TRUE(again.ok()) << again.status();
  silod_ = std::move(*again);
  img_ = silod_->ImageStub();
  ::runtime::v1::ImageStatusResponse st;
  ASSERT_TRUE(Status(ref, &st).ok());
  EXPECT_FALSE(st.has_image()) << "a killed pull must not leave a visible image";

  ::runtime::v1::PullImageResponse pulled;
  grpc::Status second = Pull(ref, &pulled);
  ASSERT_TRUE(second.ok()) << second.error_message();
  st.Clear();
  ASSERT_TRUE(Status(ref, &st).ok());
  ASSERT_TRUE(st.has_image());
  EXPECT_EQ(st.image().id(), pulled.image_ref());
  // The new silod counted only what the resumed download still needed.
  auto page = HttpGet(silod_->metrics_port(), "/metrics");
  ASSERT_TRUE(page.ok()) << page.status();
  const double received = Sample(*page, "silo_image_pull_bytes_total");
  EXPECT_GT(received, 0) << *page;
  EXPECT_LT(received, static_cast<double>(st.image().size() - (before_kill - (1 << 20)))) << *page;
  EXPECT_NE(page->find("silo_image_pull_duration_seconds_count{code=\"OK\"} 1"), std::string::npos) << *page;
}

TEST_F(ImageRpcTest, BadReferencesAndMissingImagesFailClearly) {
  ::runtime::v1::PullImageResponse out;
  grpc::Status s = Pull("Not A Reference", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  s = Pull(absl::StrCat(registry_->host(), "/team/nope:v1"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_NE(s.error_message().find("team/nope"), std::string::npos) << s.error_message();
  ::runtime::v1::ListImagesResponse list;
  grpc::ClientContext ctx;
  ASSERT_TRUE(img_->ListImages(&ctx, {}, &list).ok());
  EXPECT_EQ(list.images_size(), 0);  // nothing half-made is visible
}

// A registry behind basic auth: no credentials is a clear error, then the
// CRI AuthConfig and the config's credentials file each get the image.
TEST(ImageAuthTest, CredentialsFromRequestOrCredentialsFile) {
  auto reg = LocalRegistry::Start({.username = "alice", .password = "s3cret"});
  ASSERT_TRUE(reg.ok()) << reg.status();
  TempDir layout_dir, dir;
  OciLayout layout(layout_dir.path());
  TestImage img;
  img.layers = {{{"etc/motd", "private\n"}}};
  auto built = layout.AddImage(img);
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_TRUE(layout.Tag(built->manifest, "v1").ok());
  ASSERT_TRUE((*reg)->Push(layout_dir.path(), "v1", "private/app").ok());
  const std::string ref = absl::StrCat((*reg)->host(), "/private/app:v1");

  // base64("alice:s3cret")
  ASSERT_TRUE(AtomicWriteFile(dir.path() + "/creds.json",
                              absl::StrCat(R"({"auths": {")", (*reg)->host(), R"(": {"auth": "YWxpY2U6czNjcmV0"}}})"))
                  .ok());
  const std::string insecure = absl::StrCat("registry: {insecure: [\"", (*reg)->host(), "\"]");
  auto pull = [&](SilodProcess& silod, const ::runtime::v1::AuthConfig* auth) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    ::runtime::v1::PullImageRequest req;
    req.mutable_image()->set_image(ref);
    if (auth) *req.mutable_auth() = *auth;
    ::runtime::v1::PullImageResponse resp;
    return silod.ImageStub()->PullImage(&ctx, req, &resp);
  };
  {
    TempDir d;
    auto silod = SilodProcess::Start({.dir = d.path(), .extra_yaml = insecure + "}\n"});
    ASSERT_TRUE(silod.ok()) << silod.status();
    grpc::Status s = pull(**silod, nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    EXPECT_NE(s.error_message().find((*reg)->host()), std::string::npos) << s.error_message();
    ::runtime::v1::AuthConfig auth;
    auth.set_username("alice");
    auth.set_password("s3cret");
    s = pull(**silod, &auth);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  {
    TempDir d;
    auto silod = SilodProcess::Start(
        {.dir = d.path(), .extra_yaml = absl::StrCat(insecure, ", credentials_file: ", dir.path(), "/creds.json}\n")});
    ASSERT_TRUE(silod.ok()) << silod.status();
    grpc::Status s = pull(**silod, nullptr);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
}

}  // namespace
}  // namespace silo::testing
