#pragma once
// Resident memory of a container runtime: its daemon plus its shims, read
// from /proc. Shims are found by executable name and by a string their
// command line must contain (the daemon's private socket or state dir), so
// another runtime's shims on the same machine are not counted.

#include <string>
#include <vector>

namespace silo::bench {

// VmRSS of `pid` in KiB, or -1 when it cannot be read.
long RssKiB(int pid);

// Pids whose argv[0] basename is `name` and whose NUL-joined command line
// contains `must_contain`.
std::vector<int> FindProcesses(const std::string& name, const std::string& must_contain);

}  // namespace silo::bench
