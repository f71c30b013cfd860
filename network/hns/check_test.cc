#include "network/hns/check.h"

#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "network/hns/errors.h"
#include "network/hns/fake/fake_hcn.h"
#include "runtime/base/windows/wide.h"

namespace silo::network::hns {
namespace {

using ::testing::HasSubstr;

// A string as HCN would hand it out, owned by the fake's free_string.
class CheckTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(fake_.outstanding_strings(), 0); }
  // Obtains a real fake-allocated error record by provoking one.
  void Record(HcnString& out, const std::string& text) {
    fake_.Inject({fake::FakeHcnCall::kDeleteNamespace, 0, text});
    HcnGuid g{};
    EXPECT_EQ(fake_.api().delete_namespace(&g, out.out()), 0u);
  }
  fake::FakeHcn fake_;
};

TEST_F(CheckTest, OkWithoutRecord) {
  HcnString record(fake_.api());
  EXPECT_TRUE(CheckHcnCall("HcnOpenNamespace", "x", 0, record).ok());
}

TEST_F(CheckTest, FailedHresultWithoutRecordUsesName) {
  HcnString record(fake_.api());
  HrStatus s = CheckHcnCall("HcnDeleteEndpoint", "ep1", errors::kHcnEEndpointNotFound, record);
  EXPECT_EQ(s.hr(), errors::kHcnEEndpointNotFound);
  EXPECT_EQ(s.message(), "HcnDeleteEndpoint ep1: HCN_E_ENDPOINT_NOT_FOUND");
}

TEST_F(CheckTest, SOkWithJsonRecordIsFailureWithItsCode) {
  HcnString record(fake_.api());
  // HNS writes the code as a signed 32-bit number.
  Record(record, "{\"Error\":" + std::to_string(static_cast<int32_t>(errors::kHcnENetworkNotFound)) +
                     ",\"ErrorMessage\":\"network not found\"}");
  HrStatus s = CheckHcnCall("HcnOpenNetwork", "n1", 0, record);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.hr(), errors::kHcnENetworkNotFound);
  EXPECT_EQ(s.message(), "HcnOpenNetwork n1: network not found");
  EXPECT_TRUE(record.empty());
}

TEST_F(CheckTest, SOkWithTextRecordIsEFail) {
  HcnString record(fake_.api());
  Record(record, "something odd happened");
  HrStatus s = CheckHcnCall("HcnModifyNamespace", "", 0, record);
  EXPECT_EQ(s.hr(), errors::kEFail);
  EXPECT_THAT(s.message(), HasSubstr("something odd happened"));
}

TEST_F(CheckTest, FailedHresultKeepsItsCodeOverRecord) {
  HcnString record(fake_.api());
  Record(record, R"({"Error":1,"ErrorMessage":"detail"})");
  HrStatus s = CheckHcnCall("HcnCreateNamespace", "", errors::kEAccessDenied, record);
  EXPECT_EQ(s.hr(), errors::kEAccessDenied);
  EXPECT_TRUE(errors::IsAccessDenied(s.hr()));
  EXPECT_THAT(s.ToString(), HasSubstr("0x80070005"));
}

TEST(HcnErrorsTest, Predicates) {
  EXPECT_TRUE(errors::IsNotFound(errors::kErrorNotFoundHr));
  EXPECT_TRUE(errors::IsNotFound(0x490));  // bare Win32 ERROR_NOT_FOUND
  EXPECT_TRUE(errors::IsNotFound(errors::kHcnEEndpointNotFound));
  EXPECT_TRUE(errors::IsNotFound(errors::kHcnENetworkNotFound));
  EXPECT_FALSE(errors::IsNotFound(errors::kHcnEInvalidEndpoint));
  EXPECT_TRUE(errors::IsAlreadyExists(errors::kHcnEEndpointAlreadyAttached));
  EXPECT_TRUE(errors::IsAlreadyExists(errors::kHcnEPortAlreadyExists));
  EXPECT_TRUE(errors::IsAlreadyExists(0xB7));
  EXPECT_FALSE(errors::IsAlreadyExists(errors::kErrorNotFoundHr));
  EXPECT_TRUE(errors::IsInvalidJson(errors::kHcnEInvalidJson));
  EXPECT_TRUE(errors::IsUnsupported(errors::kENotImpl));
  EXPECT_TRUE(errors::IsUnsupported(errors::kErrorModNotFoundHr));
  EXPECT_FALSE(errors::IsUnsupported(errors::kEFail));
  EXPECT_STREQ(errors::Name(errors::kHcnEInvalidJson), "HCN_E_INVALID_JSON");
  EXPECT_EQ(errors::Name(0x80001234), nullptr);
  static_assert(errors::Failed(errors::kHcnEEndpointNotFound) && errors::Succeeded(errors::kSOk));
}

}  // namespace
}  // namespace silo::network::hns
