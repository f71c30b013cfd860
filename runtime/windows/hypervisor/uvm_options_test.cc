#include "runtime/windows/hypervisor/uvm_options.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using ::testing::HasSubstr;

TEST(UvmOptionsTest, DefaultsAreHcsshimsWhenNoAnnotations) {
  absl::StatusOr<UvmOptions> o = ApplyUvmAnnotations(UvmOptions{}, {{"unrelated.io/key", "x"}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->memory_size_in_mb, 1024u);
  EXPECT_TRUE(o->allow_overcommit);
  EXPECT_EQ(o->processor_count, 2u);
  EXPECT_FALSE(o->disable_compartment_namespace);
}

TEST(UvmOptionsTest, AnnotationsOverrideConfigDefaults) {
  UvmOptions config;
  config.memory_size_in_mb = 2048;
  config.processor_count = 4;
  absl::StatusOr<UvmOptions> o = ApplyUvmAnnotations(
      config, {{annotation::kMemorySizeInMb, "768"},
               {annotation::kProcessorCount, "1"},
               {annotation::kProcessorLimit, "50000"},
               {annotation::kProcessorWeight, "0"},
               {annotation::kAllowOvercommit, "False"},
               {annotation::kEnableDeferredCommit, "1"},
               {annotation::kCpuGroupId, "5f6a1e2b-0000-4000-8000-00000000c0de"},
               {annotation::kStorageQosIopsMaximum, "300"},
               {annotation::kDisableCompartmentNamespace, "true"},
               {annotation::kVsmbNoDirectMap, "T"}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->memory_size_in_mb, 768u);
  EXPECT_EQ(o->processor_count, 1u);
  EXPECT_EQ(o->processor_limit, 50000u);
  EXPECT_EQ(o->processor_weight, 0u);
  EXPECT_FALSE(o->allow_overcommit);
  EXPECT_TRUE(o->enable_deferred_commit);
  EXPECT_EQ(o->cpu_group_id, "5f6a1e2b-0000-4000-8000-00000000c0de");
  EXPECT_EQ(o->storage_qos_iops_maximum, 300);
  EXPECT_TRUE(o->disable_compartment_namespace);
  EXPECT_TRUE(o->vsmb_no_direct_map);
}

TEST(UvmOptionsTest, UnannotatedFieldsKeepTheConfigDefault) {
  UvmOptions config;
  config.memory_size_in_mb = 3000;
  absl::StatusOr<UvmOptions> o = ApplyUvmAnnotations(config, {{annotation::kProcessorCount, "8"}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->memory_size_in_mb, 3000u);
  EXPECT_EQ(o->processor_count, 8u);
}

TEST(UvmOptionsTest, FullyPhysicallyBackedTurnsOvercommitOff) {
  absl::StatusOr<UvmOptions> o = ApplyUvmAnnotations(
      UvmOptions{}, {{annotation::kFullyPhysicallyBacked, "true"}, {annotation::kAllowOvercommit, "true"}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->fully_physically_backed);
  EXPECT_FALSE(o->allow_overcommit);
}

struct BadValue {
  const char* key;
  const char* value;
};

class UvmOptionsBadValueTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(UvmOptionsBadValueTest, IsInvalidArgumentNamingTheAnnotation) {
  absl::StatusOr<UvmOptions> o = ApplyUvmAnnotations(UvmOptions{}, {{GetParam().key, GetParam().value}});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(o.status().message(), HasSubstr(GetParam().key));
  EXPECT_THAT(o.status().message(), HasSubstr(GetParam().value));
}

INSTANTIATE_TEST_SUITE_P(
    Values, UvmOptionsBadValueTest,
    ::testing::Values(BadValue{annotation::kMemorySizeInMb, "0"}, BadValue{annotation::kMemorySizeInMb, "-512"},
                      BadValue{annotation::kMemorySizeInMb, "1G"}, BadValue{annotation::kMemorySizeInMb, " 512"},
                      BadValue{annotation::kMemorySizeInMb, "99999999999999999999999"},
                      BadValue{annotation::kProcessorCount, "0"}, BadValue{annotation::kProcessorCount, "two"},
                      BadValue{annotation::kProcessorCount, "4294967296"},
                      BadValue{annotation::kProcessorLimit, "0"}, BadValue{annotation::kProcessorLimit, "100001"},
                      BadValue{annotation::kProcessorWeight, "10001"},
                      BadValue{annotation::kAllowOvercommit, "yes"},
                      BadValue{annotation::kFullyPhysicallyBacked, ""},
                      BadValue{annotation::kCpuGroupId, "not-a-guid"},
                      BadValue{annotation::kStorageQosBandwidthMaximum, "2147483648"}));

TEST(UvmOptionsTest, KnownButUnsupportedAnnotationIsRefusedByName) {
  const std::string numa = "io.microsoft.virtualmachine.computetopology.processor.numa.max-processors-per-node";
  absl::StatusOr<UvmOptions> o = ApplyUvmAnnotations(UvmOptions{}, {{numa, "2"}});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(o.status().message(), HasSubstr(numa));
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
