#pragma once
// The files a pod's containers mount: /etc/hosts, /etc/resolv.conf and
// /etc/hostname. Pure text builders (tested without I/O) plus one writer.

#include <string>

#include "absl/status/status.h"
#include "cri/api/cri.h"

namespace silo::runtime::sandbox {

// localhost entries, then "<ip>\t<hostname>" when ip is non-empty.
std::string HostsFile(const std::string& hostname, const std::string& ip);

// nameserver / search / options lines from kubelet's DNSConfig; empty when
// the config has none of them (the caller then uses the node's file).
std::string ResolvConf(const ::runtime::v1::DNSConfig& dns);

// Writes hosts, resolv.conf and hostname atomically into `dir` (created 0755).
// resolv.conf falls back to `host_resolv_conf` when DNSConfig is empty;
// hosts is a copy of `copy_hosts_from` when that is set (a pod with the
// node's name, as containerd), else HostsFile(hostname, ip).
absl::Status WritePodFiles(const std::string& dir, const std::string& hostname, const std::string& ip,
                           const ::runtime::v1::DNSConfig& dns,
                           const std::string& host_resolv_conf = "/etc/resolv.conf",
                           const std::string& copy_hosts_from = "");

}  // namespace silo::runtime::sandbox
