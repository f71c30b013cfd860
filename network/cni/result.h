#pragma once
// The CNI ADD result (spec 1.0.0 "Success" output), as plain data.
//
// Accepts results with cniVersion 1.0.0, 0.4.0 and 0.3.x, which share this
// shape (0.3.x/0.4.0 also carry "version" in each IP, which is ignored).
// Older results (0.1.0/0.2.0: "ip4"/"ip6") are rejected as InvalidArgument.
// The raw document is kept so it can be cached and passed on as prevResult
// unchanged.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace silo::network::cni {

struct ResultInterface {
  std::string name;
  std::string mac;
  std::string sandbox;  // netns path (Linux) / namespace id; empty for host-side interfaces
  std::optional<int> mtu;
};

struct ResultIp {
  std::string address;  // CIDR, e.g. "10.88.0.5/24"
  std::string gateway;  // may be empty
  std::optional<int> interface;  // index into Result::interfaces

  bool IsIPv6() const { return address.find(':') != std::string::npos; }
  // The address without its prefix length.
  std::string Ip() const { return address.substr(0, address.find('/')); }
};

struct ResultRoute {
  std::string dst;  // CIDR
  std::string gw;   // may be empty
};

struct ResultDns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
};

struct Result {
  std::string cni_version;
  std::vector<ResultInterface> interfaces;
  std::vector<ResultIp> ips;
  std::vector<ResultRoute> routes;
  ResultDns dns;
  nlohmann::json raw;
};

// InvalidArgument naming the offending field when the document is not a
// well-formed result of a supported version.
absl::StatusOr<Result> ParseResult(const nlohmann::json& doc);
absl::StatusOr<Result> ParseResult(const std::string& text);

// The first IPv4 / IPv6 address (without prefix) assigned to a container-side
// interface (one with a "sandbox"). When the result names no interfaces at
// all (an IPAM-only chain), the first address of that family counts.
std::optional<std::string> PrimaryIPv4(const Result& result);
std::optional<std::string> PrimaryIPv6(const Result& result);

}  // namespace silo::network::cni
