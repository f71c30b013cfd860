#include "image/layers/wcifs/wcifs_layer_unpacker.h"

#include <atomic>
#include <filesystem>

#include "gtest/gtest.h"
#include "image/digest.h"
#include "image/layers/testing/tar_builder.h"
#include "image/layers/testing/temp_dir.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "runtime/base/file_util.h"

namespace silo::image::layers::wcifs {
namespace {

namespace fs = std::filesystem;
using testing::AppendRawPaxMember;
using testing::AppendTarEnd;
using testing::TempDir;

class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  absl::StatusOr<size_t> Read(char* buf, size_t len) override {
    const size_t n = std::min(len, data_.size() - offset_);
    std::copy_n(data_.data() + offset_, n, buf);
    offset_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t offset_ = 0;
};

std::string BaseTar() {
  std::string tar;
  AppendRawPaxMember(&tar, "Files", '5', "", {});
  AppendRawPaxMember(&tar, "Files/a.txt", '0', "alpha", {{"MSWINDOWS.fileattr", "32"}});
  AppendRawPaxMember(&tar, "Files/a.txt:Zone.Identifier", '0', "zone", {});
  AppendRawPaxMember(&tar, "Files/skipped.txt", '0', "not asked for twice", {});
  AppendRawPaxMember(&tar, "Files/big.bin", '0', std::string(3000, 'b'), {});
  AppendRawPaxMember(&tar, "Files/link.txt", '1', "", {}, "Files/a.txt");
  AppendRawPaxMember(&tar, "Hives", '5', "", {});
  AppendRawPaxMember(&tar, "Hives/System_Base", '0', "hive", {});
  AppendTarEnd(&tar);
  return tar;
}

std::string DiffTar() {
  std::string tar;
  AppendRawPaxMember(&tar, "Files", '5', "", {});
  AppendRawPaxMember(&tar, "Files/b.txt", '0', "beta", {});
  AppendRawPaxMember(&tar, "Files/.wh.big.bin", '0', "", {});
  AppendTarEnd(&tar);
  return tar;
}

class WcifsLayerUnpackerTest : public ::testing::Test {
 protected:
  LayerBlob Blob(const std::string& name, const std::string& tar, const std::string& diff_id) {
    LayerBlob b;
    b.chain_id = name;
    b.dir = dir_.Sub("layers/" + name);
    b.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    b.diff_id = diff_id;
    const std::string gz = testing::Compress(tar, Compression::kGzip);
    b.open = [this, gz]() -> absl::StatusOr<std::unique_ptr<ByteSource>> {
      ++opens_;
      return std::unique_ptr<ByteSource>(std::make_unique<StringSource>(gz));
    };
    return b;
  }
  WcifsLayerUnpacker Unpacker() {
    WcifsLayerUnpackerOptions o;
    o.staging_root = dir_.Sub("staging");
    return WcifsLayerUnpacker(fake_.api(), o);
  }

  FakeLayerApi fake_;
  TempDir dir_;
  std::atomic<int> opens_{0};
};

TEST_F(WcifsLayerUnpackerTest, ImportsTheChainStreamingFileBytesOnTheSecondRead) {
  const std::vector<LayerBlob> chain = {Blob("base", BaseTar(), Sha256Of(BaseTar()).String()),
                                        Blob("app", DiffTar(), Sha256Of(DiffTar()).String())};
  WcifsLayerUnpacker unpacker = Unpacker();
  ASSERT_TRUE(MakeDirs(dir_.Sub("layers")).ok());
  ASSERT_TRUE(unpacker.UnpackChain(chain).ok());
  EXPECT_EQ(opens_.load(), 4);  // a plan and a streaming read per layer
  EXPECT_TRUE(unpacker.IsUnpacked(chain[0].dir));
  EXPECT_TRUE(unpacker.IsUnpacked(chain[1].dir));

  // The fake writes each backup stream verbatim: the file's bytes and its
  // alternate data stream's are in it, and nothing of another member.
  const std::string a = *ReadFile(chain[0].dir + "/Files/a.txt");
  EXPECT_NE(a.find("alpha"), std::string::npos);
  EXPECT_NE(a.find("zone"), std::string::npos);
  EXPECT_EQ(a.find("not asked"), std::string::npos);
  EXPECT_NE(ReadFile(chain[0].dir + "/Files/big.bin")->find(std::string(3000, 'b')), std::string::npos);
  EXPECT_TRUE(fs::equivalent(chain[0].dir + "/Files/a.txt", chain[0].dir + "/Files/link.txt"));
  EXPECT_NE(ReadFile(chain[0].dir + "/Hives/System_Base")->find("hive"), std::string::npos);
  ASSERT_EQ(fake_.Calls(LayerCall::kProcessBaseImage).size(), 1u);
  EXPECT_EQ(fake_.Calls(LayerCall::kProcessBaseImage)[0].path, chain[0].dir);

  const auto imports = fake_.Calls(LayerCall::kImportLayer);
  ASSERT_EQ(imports.size(), 1u);
  EXPECT_EQ(imports[0].path, chain[1].dir);
  EXPECT_EQ(imports[0].parents, std::vector<std::string>{chain[0].dir});
  EXPECT_NE(ReadFile(chain[1].dir + "/Files/b.txt")->find("beta"), std::string::npos);
  bool tombstone = false;
  for (const FakeLayerCall& c : fake_.Calls(LayerCall::kRemoveAll)) {
    tombstone |= c.root == chain[1].dir && c.rel == "Files/big.bin";
  }
  EXPECT_TRUE(tombstone);

  // Complete layers are not read again.
  ASSERT_TRUE(unpacker.UnpackChain(chain).ok());
  EXPECT_EQ(opens_.load(), 4);
  ASSERT_TRUE(unpacker.RemoveLayer(chain[1].dir).ok());
  EXPECT_FALSE(fs::exists(chain[1].dir));
  ASSERT_TRUE(unpacker.RemoveLayer(chain[1].dir).ok());  // gone is fine
}

TEST_F(WcifsLayerUnpackerTest, ContentThatIsNotTheConfigsDiffIdIsRefusedBeforeAnyWrite) {
  const std::vector<LayerBlob> chain = {Blob("base", BaseTar(), Sha256Of(BaseTar()).String()),
                                        Blob("app", DiffTar(), Sha256Of("something else").String())};
  WcifsLayerUnpacker unpacker = Unpacker();
  const absl::Status s = unpacker.UnpackChain(chain);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_TRUE(fake_.Calls(LayerCall::kBackupWriteFile).empty());
  EXPECT_TRUE(fake_.Calls(LayerCall::kImportLayer).empty());
  EXPECT_FALSE(fs::exists(chain[0].dir));
}

}  // namespace
}  // namespace silo::image::layers::wcifs
