#pragma once
// Invariants checked after every silod restart: the store (what the CRI
// lists) against reality (namespaces, mounts, cgroups, shims, IPs, veths,
// files) and against what the client was told (acknowledged RPCs are durable).
// Call only while no client issues CRI calls (the world must hold still).

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/reliability/reliability_env.h"

namespace silo::reliability {

// What acknowledged RPCs promise. Objects whose last call's outcome is
// unknown (silod died during it) appear in none of the sets.
struct Expectations {
  std::set<std::string> pods;               // RunPodSandbox acked, no Stop/Remove sent since
  std::set<std::string> pods_gone;          // RemovePodSandbox acked
  std::set<std::string> containers;         // CreateContainer acked, no Remove sent since
  std::set<std::string> running;            // StartContainer acked, no Stop/Remove sent since
  std::set<std::string> containers_gone;    // RemoveContainer (or its pod's removal) acked
  std::map<std::string, std::string> logs;  // container id -> CRI log path of a "seq N" printer
  std::map<std::string, bool> images;       // image ref -> present (last Pull/RemoveImage acked)
};

// What silod reports, fetched once per check.
struct Listing {
  std::vector<::runtime::v1::PodSandbox> pods;
  std::vector<::runtime::v1::Container> containers;
};

// "seq N" numbers of a printer's CRI log in order; malformed lines are
// reported in `errors`. A trailing partial line is ignored (being written).
std::vector<int> LogSequence(const std::string& path, std::vector<std::string>* errors);

// Appends one message per violation to `violations`; `cgroup_parent` is the
// pod cgroup parent's name under each controller ("" to skip that check).
void CheckInvariants(Env& env, const Expectations& expect, const Listing& listing, const std::string& cgroup_parent,
                     std::vector<std::string>* violations);

// After everything was removed: nothing of silod's may remain anywhere.
void CheckEmpty(Env& env, const std::string& cgroup_parent, std::vector<std::string>* violations);

}  // namespace silo::reliability
