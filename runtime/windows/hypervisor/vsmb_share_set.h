#pragma once
// VsmbShareSet: the read-only VSMB shares of one utility VM, reference
// counted, so two containers built on the same layer share one share (and
// one HCS request). Names are handed out as hcsshim's AddVSMB does ("s" +
// a hex counter that never reuses a name in the VM's life). Host paths
// compare case-insensitively, as NTFS paths do, ignoring a trailing
// separator. Bookkeeping only: the caller sends the requests the results
// ask for, and calls Forget when an Add request failed. Not thread-safe (the
// pod's owner serialises its containers' mounts).

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace silo::runtime::windows::hypervisor {

class VsmbShareSet {
 public:
  struct Acquired {
    std::string name;        // share name in the VM
    std::string guest_path;  // VsmbGuestPath(name)
    bool first = false;      // the caller must send the Add request
  };
  struct Released {
    std::string name;
    bool last = false;  // the caller must send the Remove request
  };

  Acquired Acquire(const std::string& host_path);
  // NotFound when the path holds no share.
  absl::StatusOr<Released> Release(const std::string& host_path);
  // Drops a share whose Add request failed (its first Acquire), whatever its count.
  void Forget(const std::string& host_path);
  // Recovery: one more reference to the share `name` a previous silod added
  // for `host_path` (no request to send). Later names never reuse it.
  // FailedPrecondition when the path already has a share of another name,
  // InvalidArgument for a name VsmbShareName did not make.
  absl::Status Adopt(const std::string& host_path, const std::string& name);

  int references(const std::string& host_path) const;
  size_t size() const { return shares_.size(); }

 private:
  struct Share {
    std::string name;
    int refs = 0;
  };
  static std::string Key(const std::string& host_path);

  std::map<std::string, Share> shares_;
  uint64_t counter_ = 0;
};

}  // namespace silo::runtime::windows::hypervisor
