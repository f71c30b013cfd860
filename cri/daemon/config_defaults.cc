#include "cri/daemon/config_defaults.h"

namespace silo::cri {
namespace {

// kubelet's RuntimeClass handler name for process isolation with containerd.
constexpr char kWindowsProcessHandler[] = "runhcs-wcow-process";
// HostProcess pods: kubelet sends them to the default handler with
// windows.security_context.host_process set; this handler type claims them.
constexpr char kWindowsHostProcessHandler[] = "hostprocess";
// The Kubernetes pause image: a multi-platform index whose Windows entries
// carry the os.version of each Windows Server release.
constexpr char kWindowsPauseImage[] = "registry.k8s.io/pause:3.10.1";

// Everything lives under C:\ProgramData\silo. Backslashes, as Windows tools
// print paths; silod accepts either slash.
Config WindowsDefaults() {
  Config c;
  c.root = "C:\\ProgramData\\silo\\root";
  c.state = "C:\\ProgramData\\silo\\state";  // Windows has no tmpfs: "volatile" is by convention
  c.listen = "npipe://./pipe/silo";
  c.log.file = "C:\\ProgramData\\silo\\logs\\silod.log";
  c.log.max_size_mb = 100;
  c.log.max_files = 5;
  // Under Program Files, which only administrators can write: silod runs
  // these plugins as SYSTEM, and folders made under C:\ let any user modify
  // them (containerd uses Program Files\containerd\cni for the same reason).
  c.cni.bin_dirs = {"C:\\Program Files\\silo\\cni\\bin"};
  c.cni.conf_dir = "C:\\Program Files\\silo\\cni\\conf";
  c.sandbox.image = kWindowsPauseImage;
  c.runtime.default_handler = kWindowsProcessHandler;
  c.runtime.handlers = {RuntimeHandlerConfig{kWindowsProcessHandler, "process"},
                        RuntimeHandlerConfig{kWindowsHostProcessHandler, "hostprocess"}};
  return c;
}

}  // namespace

Config DefaultConfig(ConfigPlatform platform) {
  if (platform == ConfigPlatform::kWindows) return WindowsDefaults();
  Config c;
  for (auto& h : c.runtime.handlers) h.type = DefaultHandlerType(platform);
  return c;
}

Config NativeDefaultConfig() { return DefaultConfig(NativeConfigPlatform()); }

std::string DefaultHandlerType(ConfigPlatform platform) {
  return platform == ConfigPlatform::kWindows ? "process" : "runc";
}

}  // namespace silo::cri
