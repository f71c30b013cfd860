#include "image/layers/decompress.h"

#include <sstream>

#include "gtest/gtest.h"
#include "image/layers/testing/tar_builder.h"

namespace silo::image::layers {
namespace {

using testing::Compress;
using testing::Sha256Digest;

std::string ReadAll(DecompressedStream& s) {
  std::string out;
  char buf[1000];  // odd size: exercises partial chunks
  while (true) {
    auto n = s.Read(buf, sizeof buf);
    EXPECT_TRUE(n.ok()) << n.status();
    if (!n.ok() || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

std::string SampleTar() {
  testing::TarBuilder b;
  b.Dir("etc").File("etc/hosts", std::string(200000, 'h')).File("bin/sh", "#!/bin/sh\n", 0755);
  return b.Finish();
}

TEST(DetectCompressionTest, MagicBytes) {
  EXPECT_EQ(*DetectCompression("\x1f\x8b\x08"), Compression::kGzip);
  EXPECT_EQ(*DetectCompression("\x28\xb5\x2f\xfd"), Compression::kZstd);
  EXPECT_EQ(*DetectCompression("etc/hosts"), Compression::kNone);
  EXPECT_EQ(*DetectCompression(""), Compression::kNone);
  EXPECT_EQ(DetectCompression("BZh91AY").status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(DetectCompression(std::string("\xfd" "7zXZ\0", 6)).status().code(), absl::StatusCode::kUnimplemented);
}

TEST(CompressionFromMediaTypeTest, KnownAndUnknown) {
  EXPECT_EQ(*CompressionFromMediaType("application/vnd.oci.image.layer.v1.tar"), Compression::kNone);
  EXPECT_EQ(*CompressionFromMediaType("application/vnd.oci.image.layer.v1.tar+gzip"), Compression::kGzip);
  EXPECT_EQ(*CompressionFromMediaType("application/vnd.oci.image.layer.v1.tar+zstd"), Compression::kZstd);
  EXPECT_EQ(*CompressionFromMediaType("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"),
            Compression::kGzip);
  EXPECT_EQ(*CompressionFromMediaType("application/vnd.docker.image.rootfs.diff.tar.gzip"), Compression::kGzip);
  EXPECT_EQ(*CompressionFromMediaType("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"),
            Compression::kGzip);
  EXPECT_FALSE(CompressionFromMediaType("application/vnd.oci.image.config.v1+json").ok());
  EXPECT_FALSE(CompressionFromMediaType("application/vnd.oci.image.layer.v1.tar+bzip2").ok());
}

class DecompressRoundTripTest : public ::testing::TestWithParam<Compression> {};

TEST_P(DecompressRoundTripTest, YieldsPlainTarAndItsDigest) {
  const std::string plain = SampleTar();
  const std::string blob = Compress(plain, GetParam());
  if (GetParam() != Compression::kNone) {
    ASSERT_NE(blob, plain);
  }
  std::istringstream in(blob);
  IstreamSource src(in);
  auto s = DecompressedStream::Open(src);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->compression(), GetParam());
  EXPECT_EQ(ReadAll(**s), plain);
  EXPECT_EQ((*s)->uncompressed_bytes(), plain.size());
  auto digest = (*s)->Finish();
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(*digest, Sha256Digest(plain));
}

TEST_P(DecompressRoundTripTest, FinishAloneDrainsEverything) {
  const std::string plain = SampleTar();
  std::istringstream in(Compress(plain, GetParam()));
  IstreamSource src(in);
  auto s = DecompressedStream::Open(src);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*(*s)->Finish(), Sha256Digest(plain));
}

TEST_P(DecompressRoundTripTest, BombLimitStopsFinish) {
  std::istringstream in(Compress(std::string(4 << 20, '\0'), GetParam()));
  IstreamSource src(in);
  auto s = DecompressedStream::Open(src);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->Finish(1 << 20).status().code(), absl::StatusCode::kResourceExhausted);
}

INSTANTIATE_TEST_SUITE_P(All, DecompressRoundTripTest,
                         ::testing::Values(Compression::kNone, Compression::kGzip, Compression::kZstd));

TEST(DecompressTest, MediaTypeDoesNotOverrideMagic) {
  // Docker-labelled gzip that is really plain tar still reads (containerd does the same).
  const std::string plain = SampleTar();
  std::istringstream in(plain);
  IstreamSource src(in);
  auto s = DecompressedStream::Open(src, "application/vnd.docker.image.rootfs.diff.tar.gzip");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->compression(), Compression::kNone);
  EXPECT_EQ(*(*s)->Finish(), Sha256Digest(plain));
}

TEST(DecompressTest, UnknownMediaTypeRejectedBeforeReading) {
  std::istringstream in("whatever");
  IstreamSource src(in);
  EXPECT_EQ(DecompressedStream::Open(src, "application/json").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(in.tellg(), 0);
}

TEST(DecompressTest, TruncatedStreamsAreDataLoss) {
  const std::string plain = SampleTar();
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    std::string blob = Compress(plain, c);
    blob.resize(blob.size() / 2);
    std::istringstream in(blob);
    IstreamSource src(in);
    auto s = DecompressedStream::Open(src);
    absl::Status st = s.ok() ? (*s)->Finish().status() : s.status();
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << CompressionName(c) << ": " << st;
  }
}

TEST(DecompressTest, GzipCrcMismatchIsDataLoss) {
  std::string blob = Compress(SampleTar(), Compression::kGzip);
  blob[blob.size() - 8] ^= 0x5a;  // CRC32 in the gzip trailer; the deflate data stays valid
  std::istringstream in(blob);
  IstreamSource src(in);
  auto s = DecompressedStream::Open(src);
  absl::Status st = s.ok() ? (*s)->Finish().status() : s.status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
}

TEST(DecompressTest, CorruptGzipIsDataLoss) {
  std::string blob = Compress(SampleTar(), Compression::kGzip);
  for (size_t i = blob.size() / 2; i < blob.size() / 2 + 64; ++i) blob[i] ^= 0x5a;
  std::istringstream in(blob);
  IstreamSource src(in);
  auto s = DecompressedStream::Open(src);
  absl::Status st = s.ok() ? (*s)->Finish().status() : s.status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
}

}  // namespace
}  // namespace silo::image::layers
