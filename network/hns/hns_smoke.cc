// hns_smoke.exe: a manual check on a Windows host with the Containers
// feature. Loads computenetwork.dll, creates a namespace, lists namespaces,
// endpoints and networks, and deletes the namespace again. Exit code 0 on
// success; prints each step.
#include <cstdio>

#include "network/hns/api_win32.h"
#include "network/hns/endpoint.h"
#include "network/hns/namespace.h"

namespace hns = silo::network::hns;

namespace {

int Fail(const char* step, const silo::win32::HrStatus& s) {
  std::fprintf(stderr, "%s: %s\n", step, s.ToString().c_str());
  return 1;
}

}  // namespace

int main() {
  auto api = hns::LoadHcnApi();
  if (!api.ok()) return Fail("load", api.status());
  const hns::HcnApi& a = **api;

  auto networks = hns::EnumerateNetworks(a);
  if (!networks.ok()) return Fail("enumerate networks", networks.status());
  for (const std::string& id : *networks) {
    auto net = hns::GetNetwork(a, id);
    std::printf("network %s %s\n", id.c_str(), net.ok() ? (net->name + " " + net->type).c_str() : "?");
  }
  auto endpoints = hns::EnumerateEndpoints(a);
  if (!endpoints.ok()) return Fail("enumerate endpoints", endpoints.status());
  std::printf("%zu endpoints\n", endpoints->size());

  auto ns = hns::CreateNamespace(a);
  if (!ns.ok()) return Fail("create namespace", ns.status());
  std::printf("created namespace %s (compartment %u)\n", ns->id.c_str(), ns->namespace_id);
  auto ids = hns::EnumerateNamespaces(a);
  if (!ids.ok()) return Fail("enumerate namespaces", ids.status());
  std::printf("%zu namespaces\n", ids->size());
  if (auto s = hns::DeleteNamespace(a, ns->id); !s.ok()) return Fail("delete namespace", s);
  if (auto s = hns::DeleteNamespace(a, ns->id); !s.ok()) return Fail("delete namespace again", s);
  std::printf("deleted namespace %s\n", ns->id.c_str());
  return 0;
}
