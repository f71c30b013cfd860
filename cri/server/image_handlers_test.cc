#include "cri/server/image_handlers.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/registry/testing/served_images.h"
#include "nlohmann/json.hpp"
#include "runtime/store/metadata_db.h"

namespace silo::cri {
namespace {

namespace fs = std::filesystem;
using image::registry::testing::BuiltImage;
using image::registry::testing::ServedImages;
using image::registry::testing::TestImage;
using ::testing::ElementsAre;

std::string TempDir() {
  char tmpl[] = "/tmp/silo-imagecri-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl), nullptr);
  return tmpl;
}

TEST(ToCriImageTest, NumericUserBecomesUid) {
  image::ImageRecord r;
  r.id = "sha256:" + std::string(64, 'a');
  r.repo_tags = {"docker.io/library/x:1"};
  r.repo_digests = {"docker.io/library/x@sha256:" + std::string(64, 'b')};
  r.size = 1234;
  r.user = "1000:2000";
  r.annotations = {{"k", "v"}};
  ::runtime::v1::Image img = ToCriImage(r);
  EXPECT_EQ(img.id(), r.id);
  EXPECT_THAT(img.repo_tags(), ElementsAre(r.repo_tags[0]));
  EXPECT_THAT(img.repo_digests(), ElementsAre(r.repo_digests[0]));
  EXPECT_EQ(img.size(), 1234u);
  ASSERT_TRUE(img.has_uid());
  EXPECT_EQ(img.uid().value(), 1000);
  EXPECT_EQ(img.username(), "");
  EXPECT_EQ(img.spec().image(), r.id);
  EXPECT_EQ(img.spec().annotations().at("k"), "v");
  EXPECT_FALSE(img.pinned());
}

TEST(ToCriImageTest, NamedAndEmptyUsers) {
  image::ImageRecord r;
  r.user = "nobody:nogroup";
  ::runtime::v1::Image named = ToCriImage(r);
  EXPECT_FALSE(named.has_uid());
  EXPECT_EQ(named.username(), "nobody");
  r.user = "";
  ::runtime::v1::Image root = ToCriImage(r);
  EXPECT_FALSE(root.has_uid());
  EXPECT_EQ(root.username(), "");
  r.user = "0";
  EXPECT_EQ(ToCriImage(r).uid().value(), 0);
}

class ImageHandlersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto served = ServedImages::Start();
    ASSERT_TRUE(served.ok()) << served.status();
    served_ = served->release();
    TestImage img;
    img.layers = {{{"etc/hello", "hello\n"}}, {{"bin/tool", std::string(5000, 'x')}}};
    auto built = served_->Serve(img, "hello", "v1");
    ASSERT_TRUE(built.ok()) << built.status();
    built_ = new BuiltImage(*built);
  }
  static void TearDownTestSuite() {
    delete served_;
    delete built_;
  }
  void SetUp() override {
    root_ = TempDir();
    auto db = runtime::store::MetadataDb::Open(absl::StrCat(root_, "/db"));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    image::ImageManagerOptions o;
    o.root = absl::StrCat(root_, "/images");
    o.registry.insecure_hosts = {served_->host()};
    o.platform = image::registry::Platform{"linux", "amd64", "", "", {}};
    auto m = image::ImageManager::Open(o, db_.get());
    ASSERT_TRUE(m.ok()) << m.status();
    images_ = std::move(*m);
  }
  void TearDown() override {
    images_.reset();
    db_.reset();
    fs::remove_all(root_);
  }
  std::string Tag() { return absl::StrCat(served_->host(), "/hello:v1"); }
  int64_t Size() {
    int64_t s = built_->config.size;
    for (const auto& l : built_->layers) s += l.size;
    return s;
  }
  ::runtime::v1::ImageStatusResponse StatusOf(const std::string& name, bool verbose) {
    ::runtime::v1::ImageStatusRequest req;
    req.mutable_image()->set_image(name);
    req.set_verbose(verbose);
    ::runtime::v1::ImageStatusResponse resp;
    absl::Status s = HandleImageStatus(*images_, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp;
  }
  std::string Pull() {
    ::runtime::v1::PullImageRequest req;
    req.mutable_image()->set_image(Tag());
    ::runtime::v1::PullImageResponse resp;
    absl::Status s = HandlePullImage(*images_, req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp.image_ref();
  }

  static ServedImages* served_;
  static BuiltImage* built_;
  std::string root_;
  std::unique_ptr<runtime::store::MetadataDb> db_;
  std::unique_ptr<image::ImageManager> images_;
};

ServedImages* ImageHandlersTest::served_ = nullptr;
BuiltImage* ImageHandlersTest::built_ = nullptr;

TEST_F(ImageHandlersTest, PullThenStatusListRemove) {
  std::string ref = Pull();
  EXPECT_EQ(ref, built_->config.digest.String());

  ::runtime::v1::ImageStatusResponse status = StatusOf(Tag(), false);
  ASSERT_TRUE(status.has_image());
  EXPECT_EQ(status.image().id(), ref);  // image_ref == Image.id
  EXPECT_THAT(status.image().repo_tags(), ElementsAre(Tag()));
  EXPECT_THAT(status.image().repo_digests(),
              ElementsAre(absl::StrCat(served_->host(), "/hello@", built_->manifest.digest.String())));
  EXPECT_EQ(status.image().size(), static_cast<uint64_t>(Size()));
  EXPECT_TRUE(status.info().empty());

  ::runtime::v1::ListImagesRequest list_req;
  ::runtime::v1::ListImagesResponse list;
  ASSERT_TRUE(HandleListImages(*images_, list_req, &list).ok());
  ASSERT_EQ(list.images_size(), 1);
  EXPECT_EQ(list.images(0).id(), ref);
  list_req.mutable_filter()->mutable_image()->set_image(absl::StrCat(served_->host(), "/nothere:v1"));
  ::runtime::v1::ListImagesResponse filtered;
  ASSERT_TRUE(HandleListImages(*images_, list_req, &filtered).ok());
  EXPECT_EQ(filtered.images_size(), 0);
  list_req.mutable_filter()->mutable_image()->set_image(ref);
  ::runtime::v1::ListImagesResponse by_id;
  ASSERT_TRUE(HandleListImages(*images_, list_req, &by_id).ok());
  EXPECT_EQ(by_id.images_size(), 1);

  ::runtime::v1::RemoveImageRequest rm;
  rm.mutable_image()->set_image(Tag());
  ::runtime::v1::RemoveImageResponse rm_resp;
  ASSERT_TRUE(HandleRemoveImage(*images_, rm, &rm_resp).ok());
  EXPECT_FALSE(StatusOf(ref, false).has_image());
  EXPECT_TRUE(HandleRemoveImage(*images_, rm, &rm_resp).ok());  // idempotent
}

TEST_F(ImageHandlersTest, VerboseStatusCarriesConfigAndChainIds) {
  std::string ref = Pull();
  ::runtime::v1::ImageStatusResponse status = StatusOf(ref, true);
  ASSERT_TRUE(status.has_image());
  ASSERT_TRUE(status.info().contains("info"));
  nlohmann::json info = nlohmann::json::parse(status.info().at("info"));
  EXPECT_EQ(info["id"], ref);
  EXPECT_EQ(info["manifestDigest"], built_->manifest.digest.String());
  ASSERT_EQ(info["chainIDs"].size(), 2u);
  EXPECT_EQ(info["chainIDs"][0], info["diffIDs"][0]);
  EXPECT_EQ(info["imageSpec"]["os"], "linux");
  EXPECT_EQ(info["imageSpec"]["rootfs"]["diff_ids"], info["diffIDs"]);
}

TEST_F(ImageHandlersTest, MissingImageIsOkWithoutImage) {
  ::runtime::v1::ImageStatusResponse status = StatusOf(Tag(), true);
  EXPECT_FALSE(status.has_image());
  EXPECT_TRUE(status.info().empty());
  ::runtime::v1::RemoveImageRequest rm;
  rm.mutable_image()->set_image(Tag());
  ::runtime::v1::RemoveImageResponse rm_resp;
  EXPECT_TRUE(HandleRemoveImage(*images_, rm, &rm_resp).ok());
}

TEST_F(ImageHandlersTest, PullErrorsKeepTheirCodes) {
  ::runtime::v1::PullImageRequest req;
  ::runtime::v1::PullImageResponse resp;
  EXPECT_EQ(HandlePullImage(*images_, req, &resp).code(), absl::StatusCode::kInvalidArgument);
  req.mutable_image()->set_image("bad ref!!");
  EXPECT_EQ(HandlePullImage(*images_, req, &resp).code(), absl::StatusCode::kInvalidArgument);
  req.mutable_image()->set_image(absl::StrCat(served_->host(), "/nothere:v1"));
  EXPECT_EQ(HandlePullImage(*images_, req, &resp).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(resp.image_ref().empty());
}

TEST_F(ImageHandlersTest, FsInfoReportsTheImageRoot) {
  ::runtime::v1::ImageFsInfoResponse empty;
  ASSERT_TRUE(HandleImageFsInfo(*images_, {}, &empty).ok());
  ASSERT_EQ(empty.image_filesystems_size(), 1);
  const uint64_t empty_bytes = empty.image_filesystems(0).used_bytes().value();
  Pull();
  ::runtime::v1::ImageFsInfoResponse resp;
  ASSERT_TRUE(HandleImageFsInfo(*images_, {}, &resp).ok());
  ASSERT_EQ(resp.image_filesystems_size(), 1);
  const auto& fs = resp.image_filesystems(0);
  EXPECT_EQ(fs.fs_id().mountpoint(), images_->root());
  EXPECT_GE(fs.used_bytes().value(), empty_bytes + static_cast<uint64_t>(Size()) + 5000);
  EXPECT_GT(fs.inodes_used().value(), empty.image_filesystems(0).inodes_used().value());
  EXPECT_GT(fs.timestamp(), 0);
}

}  // namespace
}  // namespace silo::cri
