#include "runtime/windows/hresult.h"

#include "gtest/gtest.h"

namespace silo::runtime::windows {
namespace {

TEST(HResultTest, ValuesMatchHcsshim) {
  // internal/hcs/errors.go spells these as syscall.Errno values.
  EXPECT_EQ(kVmcomputeSystemNotFound, 0xC037010Eu);   // ErrComputeSystemDoesNotExist
  EXPECT_EQ(kVmcomputeAlreadyStopped, 0xC0370110u);   // ErrVmcomputeAlreadyStopped
  EXPECT_EQ(kVmcomputeOperationPending, 0xC0370103u); // ErrVmcomputeOperationPending
  EXPECT_EQ(kHcsEProcessAlreadyStopped, 0x8037011Fu); // ErrProcessAlreadyStopped
  EXPECT_EQ(kErrorNotFound, 0x490u);                  // ErrElementNotFound
}

TEST(HResultTest, NormalizeStripsWin32FacilityAndV1Severity) {
  EXPECT_EQ(NormalizeHResult(0x80070490), kErrorNotFound);
  EXPECT_EQ(NormalizeHResult(kEAccessDenied), kErrorAccessDenied);
  EXPECT_EQ(NormalizeHResult(kVmcomputeSystemNotFound), kHcsESystemNotFound);
  EXPECT_EQ(NormalizeHResult(kVmcomputeOperationPending), kVmcomputeOperationPending);
  EXPECT_EQ(NormalizeHResult(kHcsETerminated), kHcsETerminated);
}

TEST(HResultTest, IsNotExist) {
  EXPECT_TRUE(IsNotExist(kHcsESystemNotFound));
  EXPECT_TRUE(IsNotExist(kVmcomputeSystemNotFound));
  EXPECT_TRUE(IsNotExist(kErrorNotFound));
  EXPECT_TRUE(IsNotExist(0x80070490));
  EXPECT_FALSE(IsNotExist(kHcsESystemAlreadyStopped));
  EXPECT_FALSE(IsNotExist(kSOk));
}

TEST(HResultTest, IsAlreadyStopped) {
  EXPECT_TRUE(IsAlreadyStopped(kHcsESystemAlreadyStopped));
  EXPECT_TRUE(IsAlreadyStopped(kVmcomputeAlreadyStopped));
  EXPECT_TRUE(IsAlreadyStopped(kHcsEProcessAlreadyStopped));
  EXPECT_TRUE(IsAlreadyStopped(0x80070490));  // ERROR_NOT_FOUND: process gone
  EXPECT_FALSE(IsAlreadyStopped(kHcsESystemNotFound));
  EXPECT_FALSE(IsAlreadyStopped(kHcsETerminated));
}

TEST(HResultTest, IsPendingAndAccessDenied) {
  EXPECT_TRUE(IsPending(kHcsEOperationPending));
  EXPECT_TRUE(IsPending(kVmcomputeOperationPending));
  EXPECT_FALSE(IsPending(kHcsEOperationTimeout));
  EXPECT_TRUE(IsAccessDenied(kEAccessDenied));
  EXPECT_TRUE(IsAccessDenied(kErrorAccessDenied));
  EXPECT_TRUE(IsAccessDenied(kHcsEAccessDenied));
  EXPECT_FALSE(IsAccessDenied(kEInvalidArg));
  EXPECT_TRUE(IsNotSupported(kVmcomputeInvalidJson));
  EXPECT_TRUE(IsNotSupported(0x80070032));
  EXPECT_TRUE(IsServiceUnavailable(kHcsEServiceDisconnect));
}

TEST(HResultTest, Names) {
  EXPECT_EQ(HResultName(kHcsESystemNotFound), "HCS_E_SYSTEM_NOT_FOUND (0x8037010E)");
  EXPECT_EQ(HResultName(kVmcomputeSystemNotFound), "HCS_E_SYSTEM_NOT_FOUND (0xC037010E)");
  EXPECT_EQ(HResultName(kVmcomputeOperationPending),
            "ERROR_VMCOMPUTE_OPERATION_PENDING (0xC0370103)");
  EXPECT_EQ(HResultName(0x80070490), "ERROR_NOT_FOUND (0x80070490)");
  EXPECT_EQ(HResultName(kEAccessDenied), "ERROR_ACCESS_DENIED (0x80070005)");
  EXPECT_EQ(HResultName(0x80041234), "HRESULT 0x80041234");
}

TEST(HResultTest, ToStatusCodesAndMessage) {
  EXPECT_TRUE(HResultToStatus(kSOk, "HcsStartComputeSystem", "c1").ok());
  EXPECT_TRUE(HResultToStatus(kSFalse, "HcsStartComputeSystem", "c1").ok());

  absl::Status s = HResultToStatus(kHcsESystemNotFound, "HcsOpenComputeSystem", "c1");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "HcsOpenComputeSystem c1: HCS_E_SYSTEM_NOT_FOUND (0x8037010E)");

  s = HResultToStatus(kErrorNotFound, "HcsTerminateProcess", "c1:42", "process gone");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);  // bare Win32 code is an error too
  EXPECT_EQ(s.message(), "HcsTerminateProcess c1:42: ERROR_NOT_FOUND (0x00000490): process gone");

  EXPECT_EQ(HResultToStatus(kVmcomputeAlreadyStopped, "op", "c1").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(HResultToStatus(kHcsEInvalidState, "op", "c1").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(HResultToStatus(kEAccessDenied, "op", "c1").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(HResultToStatus(kVmcomputeOperationPending, "op", "c1").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(HResultToStatus(kHcsEServiceDisconnect, "op", "c1").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(HResultToStatus(kHcsESystemAlreadyExists, "op", "c1").code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(HResultToStatus(kHcsEInvalidJson, "op", "c1").code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(HResultToStatus(kEInvalidArg, "op", "c1").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HResultToStatus(kEFail, "op", "c1").code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace silo::runtime::windows
