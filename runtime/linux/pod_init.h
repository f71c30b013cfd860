#pragma once
// The tiny init of a pod whose containers share one PID namespace.
//
// Pods are pauseless, and their namespaces live pinned without a process;
// a PID namespace cannot: once its first process (its PID 1) exits, nothing
// can enter it again. So a pod in POD mode gets an init: a fork of the
// caller in a new PID namespace that only reaps orphans, detached (its own
// session, no inherited descriptors, reparented away from the caller) so it
// outlives a silod restart. Its namespace is pinned next to the pod's
// others, for containers to join; StopPodInit kills it, and with it every
// process left in the namespace.
//
// The record (<dir>/pid-init: "<pid> <start time>") guards against pid
// reuse. The init starts reaping only once its record is durable: a silod
// killed before that leaves no init behind, since no record would name it. Thread-safe; StartPodInit forks, so its child runs only system calls.

#include <sys/types.h>

#include <functional>
#include <string>

#include "absl/status/status.h"

namespace silo::runtime::linux_backend {

// Starts the init, pins its namespace at <dir>/pid and writes <dir>/pid-init.
// `dir` must exist. On failure nothing is left running.
absl::Status StartPodInit(const std::string& dir);

namespace internal {
// StartPodInit with `before_record` run (in the caller) once the init
// exists and before its record is written: where a crash is tested.
absl::Status StartPodInit(const std::string& dir, const std::function<void(pid_t)>& before_record);
}  // namespace internal

// Kills the init recorded in `dir` (if it is still that process), unpins
// <dir>/pid and removes the record. OK when there is none.
absl::Status StopPodInit(const std::string& dir);

// The pinned namespace path for containers to join.
inline std::string PodPidNamespace(const std::string& dir) { return dir + "/pid"; }

}  // namespace silo::runtime::linux_backend
