// silo_shim_fake_hcs.exe: silo-shim.exe's code (RunShim) over the fake HCS,
// for the Wine test of the real ShimPort (Wine has no computecore.dll). The
// fake's processes run until killed: the test drives them through the pipe.
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/shim/shim_run_win32.h"

int wmain(int argc, wchar_t** argv) {
  silo::runtime::windows::fake::FakeHcs fake;
  return silo::runtime::windows::shim::RunShim(
      argc, argv, [&]() -> silo::win32::Result<const silo::runtime::windows::hcs::HcsApi*> { return &fake.api(); },
      fake.stdio_io());
}
