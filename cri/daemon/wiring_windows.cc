#include <windows.h>

#include "absl/strings/str_cat.h"
#include "cri/daemon/wiring.h"
#include "network/cni/cni_network.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hcs/api_win32.h"
#include "runtime/windows/host_path/api_win32.h"
#include "runtime/windows/hresult.h"
#include "runtime/windows/process_handler.h"

namespace silo::cri {
namespace {

std::string HostName() {
  wchar_t name[256] = {};
  DWORD size = static_cast<DWORD>(std::size(name));
  if (!GetComputerNameExW(ComputerNameDnsHostname, name, &size)) return "";
  return win32::WideToUtf8(std::wstring_view(name, size));
}

}  // namespace

absl::StatusOr<PlatformParts> WirePlatform(const Config& config) {
  PlatformParts p;
  // NetworkReady follows the Windows CNI config (plugins and a network
  // config present). Pods are attached through HCN namespaces once the pod
  // sandbox host exists; until then no pod reaches the network.
  p.network = std::make_unique<network::cni::CniNetwork>(config.cni.bin_dirs, config.cni.conf_dir);
  p.node_hostname = HostName();

  runtime::windows::ProcessHandlerOptions process;
  win32::Result<const runtime::windows::hcs::HcsApi*> hcs = runtime::windows::hcs::LoadHcsApi();
  if (hcs.ok()) {
    process.hcs = *hcs;
  } else {
    process.hcs_unavailable = runtime::windows::HrStatusToStatus(
        hcs.status(), "load computecore.dll", "(is the Containers feature installed?)");
  }
  process.host_paths = &runtime::windows::host_path::Win32HostPathApi();
  process.state_dir = config.state + "/containers";
  // The host readiness probe (Containers feature, vmcompute, HNS) plugs in
  // as process.host_ready; unset, only computecore.dll's presence is checked.
  p.register_handler_types = [process](runtime::handler::HandlerRegistry& registry) {
    runtime::windows::RegisterProcessType(registry, process);
  };
  return p;
}

}  // namespace silo::cri
