#include "runtime/sandbox/pod_files.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::sandbox {

std::string HostsFile(const std::string& hostname, const std::string& ip) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "fe00::0\tip6-mcastprefix\n"
      "fe00::1\tip6-allnodes\n"
      "fe00::2\tip6-allrouters\n";
  if (!ip.empty() && !hostname.empty()) absl::StrAppend(&out, ip, "\t", hostname, "\n");
  return out;
}

std::string ResolvConf(const ::runtime::v1::DNSConfig& dns) {
  std::string out;
  for (const auto& s : dns.servers()) absl::StrAppend(&out, "nameserver ", s, "\n");
  if (!dns.searches().empty()) absl::StrAppend(&out, "search ", absl::StrJoin(dns.searches(), " "), "\n");
  if (!dns.options().empty()) absl::StrAppend(&out, "options ", absl::StrJoin(dns.options(), " "), "\n");
  return out;
}

absl::Status WritePodFiles(const std::string& dir, const std::string& hostname, const std::string& ip,
                           const ::runtime::v1::DNSConfig& dns, const std::string& host_resolv_conf,
                           const std::string& copy_hosts_from) {
  SILO_FAILPOINT("sandbox.pod_files");
  SILO_RETURN_IF_ERROR(MakeDirs(dir, 0755));
  std::string hosts = HostsFile(hostname, ip);
  if (!copy_hosts_from.empty()) {
    SILO_ASSIGN_OR_RETURN(hosts, ReadFile(copy_hosts_from));
  }
  SILO_RETURN_IF_ERROR(AtomicWriteFile(dir + "/hosts", hosts));
  std::string resolv = ResolvConf(dns);
  if (resolv.empty()) {
    absl::StatusOr<std::string> host = ReadFile(host_resolv_conf);
    if (host.ok()) resolv = *host;
  }
  SILO_RETURN_IF_ERROR(AtomicWriteFile(dir + "/resolv.conf", resolv));
  SILO_RETURN_IF_ERROR(AtomicWriteFile(dir + "/hostname", hostname + "\n"));
  return absl::OkStatus();
}

}  // namespace silo::runtime::sandbox
