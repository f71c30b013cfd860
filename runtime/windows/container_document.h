#pragma once
// Pure builders for the HCS documents of a process-isolated (Argon) Windows
// container: the compute-system document for HcsCreateComputeSystem and the
// process parameters for HcsCreateProcess. No I/O and no Win32: everything
// the host must supply (layer GUIDs, the mounted scratch volume, host CPU
// count, symlink resolution) comes in through the input, so the builders run
// and are golden-tested on Linux. Thread-safe (no shared state).
//
// Follows hcsshim internal/hcsoci/hcsdoc_wcow.go (createWindowsContainerDocument)
// and containerd's CRI -> OCI mapping (WithWindowsResources).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cri/api/cri.h"
#include "runtime/windows/schema/compute_system.h"
#include "runtime/windows/schema/process_parameters.h"

namespace silo::runtime::windows {

// A read-only parent layer as HCS needs it. `id` is NameToGuid(basename of
// path), which only the Windows layer code can compute (vmcompute.dll).
struct LayerRef {
  std::string id;    // GUID, 8-4-4-4-12 hex, no braces
  std::string path;  // absolute Windows path of the layer folder
};

// hcsshim sets WaitToKillServiceTimeout to MaxInt32 ms inside every Argon so
// servercore does not kill the container's services 5 s into a shutdown,
// whatever the pod's grace period.
inline constexpr uint32_t kDefaultWaitToKillServiceTimeoutMs = 2147483647;

struct ContainerSpecInput {
  std::string container_id;  // used only in error messages (HCS takes it as a call argument)
  std::string owner = "silo";
  std::string hostname;  // GuestOs.HostName; omitted when empty
  // Parents, nearest parent first, base layer last (the order of OCI
  // Windows.LayerFolders without its trailing scratch entry, and of
  // containerd's parentLayerPaths). At least one.
  std::vector<LayerRef> parent_layers;
  // The mounted scratch volume, "\\?\Volume{GUID}\" (trailing backslash added if missing).
  std::string scratch_volume_path;
  ::runtime::v1::WindowsContainerResources resources;
  // Host logical processors, to clamp cpu_count as hcsshim does; 0 = do not clamp.
  int32_t host_cpu_count = 0;
  std::vector<::runtime::v1::Mount> mounts;
  // Maps a directory mount's host path to what HCS should see. On Windows
  // this resolves symlinks (HCS mis-resolves files through them); unset =
  // identity. Errors abort the build, annotated with the mount.
  std::function<absl::StatusOr<std::string>(const std::string&)> resolve_host_path;
  std::string network_namespace;  // HCN namespace GUID; empty = no Networking section
  std::vector<std::string> dns_search;  // joined with "," into DnsSearchList
  bool allow_unqualified_dns_query = false;
  // Written as a String value, as hcsshim does; nullopt = leave the image's value.
  std::optional<uint32_t> wait_to_kill_service_timeout_ms = kDefaultWaitToKillServiceTimeoutMs;
  // hcsshim sets true because its per-pod shim holds the only handle. Silo's
  // handle lives in silod, which restarts without taking containers down, so
  // false until a per-container monitor holds the handle.
  bool terminate_on_last_handle_closed = false;
};

// Builds the v2.1 compute-system document. InvalidArgument on: no layers, a
// layer without a GUID id or absolute path, a scratch path that is not a
// volume GUID path, negative resources, a mount with an empty/relative
// container path or relative host path, or a pipe mount whose container path
// is not \\.\pipe\<name>.
//
// CPU: HCS rejects more than one of Count/Maximum/Weight (so does hcsshim).
// CRI may carry several; we keep one, in this order:
//   1. cpu_count   — kubelet's own rule: a count, if set, wins over a maximum;
//   2. cpu_maximum — what kubelet sends for a CPU limit (clamped to 1..10000);
//   3. cpu_shares  — Weight, clamped to 10000; kubelet never sends it (weights
//                    were found to stop limits working).
// cpu_count is clamped to host_cpu_count when that is known (hcsshim warns and clamps).
// Memory: SizeInMB = memory_limit_in_bytes rounded up to whole MiB (never
// below the request).
// rootfs_size_in_bytes has no place in this document: the scratch is already
// mounted when it is built, so its size is a scratch-creation option
// (ScratchSizeBytes below); here it is only checked (InvalidArgument when negative).
// affinity_cpus: Unimplemented, naming the field. HCS has no affinity in the
// Argon Processor schema (hcsshim pins the container's silo job object
// between create and start instead), and dropping it would break a pinning
// the kubelet's CPU manager promised.
absl::StatusOr<schema::ComputeSystem> BuildContainerDocument(const ContainerSpecInput& input);

// The size the container's scratch (sandbox.vhdx) must be created with, from
// resources.rootfs_size_in_bytes; 0 = the base layer's blank.vhdx as is. The
// layer store applies it when it creates the scratch (wcifs
// Mounts::CreateScratch -> ExpandSandboxSize), as containerd hands it to its
// Windows snapshotter (the "containerd.io/snapshot/windows/rootfs.sizebytes"
// label). InvalidArgument when negative.
absl::StatusOr<uint64_t> ScratchSizeBytes(const ::runtime::v1::WindowsContainerResources& resources);

// UpdateContainerResources for a running process-isolated container: the
// HcsModifyComputeSystem documents to send, in order, as hcsshim's
// updateWCOWResources builds them (ModifySettingRequest, RequestType
// "Update"):
//   memory_limit_in_bytes -> ResourcePath "Container/Memory/SizeInMB",
//                            Settings = the size in MiB (a bare number,
//                            rounded up as BuildContainerDocument does)
//   cpu_count / cpu_maximum / cpu_shares
//                         -> ResourcePath "Container/Processor", Settings =
//                            {"Count"|"Maximum"|"Weight": n}, clamped as at
//                            creation
// Zero fields are left alone (no document); all zero = no documents.
// InvalidArgument when a field is negative or more than one CPU field is set
// (HCS applies one CPU limit; hcsshim rejects the mix). Unimplemented,
// naming the field, for what cannot change live: rootfs_size_in_bytes (the
// scratch is sized at creation) and affinity_cpus (see above).
absl::StatusOr<std::vector<std::string>> BuildResourceUpdateRequests(
    const ::runtime::v1::WindowsContainerResources& resources, int32_t host_cpu_count);

struct ProcessInput {
  std::vector<std::string> args;  // argv; args[0] is the program
  // args[0] is an image's pre-escaped command line (CreateSpec::args_escaped):
  // it is used raw, not quoted as one program name.
  bool args_escaped = false;
  std::vector<std::pair<std::string, std::string>> env;  // in order; later duplicates win
  std::string working_directory;
  std::string user;  // run_as_username, else the image's User; empty = the image default
  bool tty = false;
  bool open_stdin = false;
  uint16_t console_height = 0;  // with tty, both non-zero, else no ConsoleSize
  uint16_t console_width = 0;
};

// Builds HcsCreateProcess parameters: CommandLine by MSVCRT quoting (see
// command_line.h; JoinEscapedCommandLine with args_escaped), environment without empty values (as hcsshim does),
// stdout always piped, stderr piped only without a TTY (a console merges
// them), stdin piped when requested. InvalidArgument on empty args, an
// unrepresentable program name, or an env name that is empty or contains '='.
absl::StatusOr<schema::ProcessParameters> BuildProcessParameters(const ProcessInput& input);

}  // namespace silo::runtime::windows
