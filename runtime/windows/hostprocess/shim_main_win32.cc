// silo-shim.exe of the full Windows build: RunShim (shim_run_win32.h) over
// computecore.dll for HCS containers, RunHostProcessShim over the Win32
// process API for HostProcess containers.
#include "runtime/windows/hcs/api_win32.h"
#include "runtime/windows/hcs/stdio_io.h"
#include "runtime/windows/hostprocess/api_win32.h"
#include "runtime/windows/hostprocess/hostprocess_shim_run_win32.h"
#include "runtime/windows/shim/shim_run_win32.h"

int wmain(int argc, wchar_t** argv) {
  namespace hcs = silo::runtime::windows::hcs;
  namespace hostprocess = silo::runtime::windows::hostprocess;
  if (hostprocess::WantsHostProcessShim(argc, argv)) {
    return hostprocess::RunHostProcessShim(argc, argv, hostprocess::Win32ProcessApi());
  }
  return silo::runtime::windows::shim::RunShim(argc, argv, [] { return hcs::LoadHcsApi(); }, hcs::Win32StdioIo());
}
