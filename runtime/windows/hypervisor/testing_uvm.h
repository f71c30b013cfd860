#pragma once
// Test support: the utility VM most hypervisor tests run against FakeHcs.

#include <chrono>

#include "runtime/windows/hcs/operation.h"
#include "runtime/windows/hypervisor/uvm_pod.h"

namespace silo::runtime::windows::hypervisor {

inline constexpr char kTestVm[] = "pod-1@vm";
inline constexpr char kTestVmScratch[] = "C:\\silo\\pods\\pod-1\\vm\\sandbox.vhdx";

inline hcs::Deadline In(int seconds) { return hcs::Clock::now() + std::chrono::seconds(seconds); }

// kTestVm booting from a base layer's UtilityVM, without networking.
inline UvmPodSpec TestPodSpec() {
  UvmPodSpec spec;
  spec.document.vm_id = kTestVm;
  spec.document.utility_vm_path = "C:\\silo\\layers\\base\\UtilityVM";
  spec.document.scratch_vhd_path = kTestVmScratch;
  return spec;
}

}  // namespace silo::runtime::windows::hypervisor
