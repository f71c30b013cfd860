// silo-shim.exe: RunShim (shim_run_win32.h) over computecore.dll.
#include "runtime/windows/hcs/api_win32.h"
#include "runtime/windows/hcs/stdio_io.h"
#include "runtime/windows/shim/shim_run_win32.h"

int wmain(int argc, wchar_t** argv) {
  namespace hcs = silo::runtime::windows::hcs;
  return silo::runtime::windows::shim::RunShim(argc, argv, [] { return hcs::LoadHcsApi(); }, hcs::Win32StdioIo());
}
