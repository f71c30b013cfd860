#pragma once
// silod's built-in defaults per platform. `Config{}` holds the Linux ones;
// Windows nodes lay things out as Windows services and CNI plugins expect
// (see DefaultConfig below). Both variants are plain data, so either can be
// built, printed and validated on any platform; pure and thread-safe.

#include <string>

#include "cri/daemon/config.h"

namespace silo::cri {

// The defaults for `platform`:
//   linux    root /var/lib/silo, state /run/silo, unix:///run/silo/silod.sock,
//            log to stderr (journald keeps it), CNI in /usr/lib/cni and
//            /opt/cni/bin with configs in /etc/cni/net.d, one runc handler "".
//   windows  everything under C:\ProgramData\silo (root\, state\, and a
//            rotating logs\silod.log: a service has no stderr anyone reads),
//            npipe://./pipe/silo, CNI in C:\Program Files\silo\cni\{bin,conf}
//            (administrators only, as silod runs the plugins as SYSTEM;
//            containerd uses Program Files\containerd\cni alike), handler
//            runhcs-wcow-process of type process (the
//            name kubelet's RuntimeClasses use with containerd), pause image
//            registry.k8s.io/pause (its index lists Windows images).
Config DefaultConfig(ConfigPlatform platform);

// DefaultConfig(NativeConfigPlatform()): what `silod config default` prints
// and the base a config file's missing keys come from.
Config NativeDefaultConfig();

// The type a runtime handler gets when the config omits it.
std::string DefaultHandlerType(ConfigPlatform platform);

}  // namespace silo::cri
