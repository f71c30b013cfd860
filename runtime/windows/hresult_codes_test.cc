// hresult_codes.h (absl-free, for the Win32 layers) must agree with
// hresult.h (absl, for the backend) on every value and predicate.
#include "runtime/windows/hresult_codes.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/windows/hresult.h"

namespace silo::runtime::windows {
namespace {

std::vector<uint32_t> Samples() {
  std::vector<uint32_t> out = {0, 1, 5, 6, 0x32, 0x7F, 0x490, 0x80004005, 0x80070005, 0x80070006,
                               0x80070057, 0x80070490, 0xC0370103, 0xFFFFFFFF};
  for (uint32_t low = 0x100; low <= 0x120; ++low) {
    out.push_back(0x80370000u | low);
    out.push_back(0xC0370000u | low);
  }
  return out;
}

TEST(HResultCodesTest, PredicatesAgreeWithHResultH) {
  for (uint32_t hr : Samples()) {
    SCOPED_TRACE(HResultName(hr));
    EXPECT_EQ(codes::Normalize(hr), NormalizeHResult(hr));
    EXPECT_EQ(codes::IsNotExist(hr), IsNotExist(hr));
    EXPECT_EQ(codes::IsAlreadyStopped(hr), IsAlreadyStopped(hr));
    EXPECT_EQ(codes::IsPending(hr), IsPending(hr));
    EXPECT_EQ(codes::IsAccessDenied(hr), IsAccessDenied(hr));
    EXPECT_EQ(codes::Succeeded(hr), Succeeded(hr));
  }
}

TEST(HResultCodesTest, ValuesAgreeWithHResultH) {
  EXPECT_EQ(codes::kHcsESystemNotFound, kHcsESystemNotFound);
  EXPECT_EQ(codes::kHcsESystemAlreadyExists, kHcsESystemAlreadyExists);
  EXPECT_EQ(codes::kHcsESystemAlreadyStopped, kHcsESystemAlreadyStopped);
  EXPECT_EQ(codes::kHcsEProcessAlreadyStopped, kHcsEProcessAlreadyStopped);
  EXPECT_EQ(codes::kHcsEOperationPending, kHcsEOperationPending);
  EXPECT_EQ(codes::kHcsEOperationTimeout, kHcsEOperationTimeout);
  EXPECT_EQ(codes::kHcsEOperationSystemCallbackAlreadySet, kHcsEOperationSystemCallbackAlreadySet);
  EXPECT_EQ(codes::kHcsEAccessDenied, kHcsEAccessDenied);
  EXPECT_EQ(codes::kHcsEServiceDisconnect, kHcsEServiceDisconnect);
  EXPECT_EQ(codes::kHcsEInvalidState, kHcsEInvalidState);
  EXPECT_EQ(codes::kHcsEInvalidJson, kHcsEInvalidJson);
  EXPECT_EQ(codes::kHcsEUnexpectedExit, kHcsEUnexpectedExit);
  EXPECT_EQ(codes::kVmcomputeOperationPending, kVmcomputeOperationPending);
  EXPECT_EQ(codes::kEInvalidArg, kEInvalidArg);
  EXPECT_EQ(codes::kEAccessDenied, kEAccessDenied);
  EXPECT_EQ(codes::kErrorNotFound, kErrorNotFound);
}

}  // namespace
}  // namespace silo::runtime::windows
