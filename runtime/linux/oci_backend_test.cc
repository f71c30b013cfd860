#include "runtime/linux/oci_backend.h"

#include "gtest/gtest.h"

namespace silo::runtime::linux_backend {
namespace {

TEST(OciBackendTest, FindsRuncInPath) {
  OciBackend b("runc");
  auto bin = b.ResolveBinary();
  ASSERT_TRUE(bin.ok()) << bin.status() << " (deploy/install-deps.sh installs runc)";
  EXPECT_EQ(bin->back(), 'c');
  EXPECT_TRUE(b.Ready().ok()) << b.Ready();
}

TEST(OciBackendTest, MissingBinaryIsNotReadyWithName) {
  OciBackend b("no-such-runtime-xyz");
  absl::Status s = b.Ready();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("no-such-runtime-xyz"), std::string::npos);
  EXPECT_EQ(OciBackend("/nonexistent/runc").Ready().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace silo::runtime::linux_backend
