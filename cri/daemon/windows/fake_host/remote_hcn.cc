#include "cri/daemon/windows/fake_host/remote_hcn.h"

namespace silo::cri::fake_host {

using network::hns::HcnApi;

template <>
inline constexpr bool kPlainData<network::hns::HcnGuid> = true;

namespace {
constexpr Table kHcnTable = Table::kHcn;
}  // namespace

const HcnApi& RemoteHcnApi() {
  static const HcnApi table = [] {
    HcnApi t{};
    UseRemote<kHcnTable, &HcnApi::enumerate_networks>(t);
    UseRemote<kHcnTable, &HcnApi::open_network>(t);
    UseRemote<kHcnTable, &HcnApi::query_network_properties>(t);
    UseRemote<kHcnTable, &HcnApi::close_network>(t);
    UseRemote<kHcnTable, &HcnApi::enumerate_namespaces>(t);
    UseRemote<kHcnTable, &HcnApi::create_namespace>(t);
    UseRemote<kHcnTable, &HcnApi::open_namespace>(t);
    UseRemote<kHcnTable, &HcnApi::modify_namespace>(t);
    UseRemote<kHcnTable, &HcnApi::query_namespace_properties>(t);
    UseRemote<kHcnTable, &HcnApi::delete_namespace>(t);
    UseRemote<kHcnTable, &HcnApi::close_namespace>(t);
    UseRemote<kHcnTable, &HcnApi::enumerate_endpoints>(t);
    UseRemote<kHcnTable, &HcnApi::open_endpoint>(t);
    UseRemote<kHcnTable, &HcnApi::query_endpoint_properties>(t);
    UseRemote<kHcnTable, &HcnApi::delete_endpoint>(t);
    UseRemote<kHcnTable, &HcnApi::close_endpoint>(t);
    UseRemote<kHcnTable, &HcnApi::hns_call>(t);
    t.free_string = &FreeOutString;
    return t;
  }();
  return table;
}

void ServeHcn(HostEntries& entries, const HcnApi& api) {
  Serve<kHcnTable, &HcnApi::enumerate_networks>(entries, api);
  Serve<kHcnTable, &HcnApi::open_network>(entries, api, OpensHandle<1, &HcnApi::close_network>(kHcnTable, api));
  Serve<kHcnTable, &HcnApi::query_network_properties>(entries, api);
  Serve<kHcnTable, &HcnApi::close_network>(entries, api, ClosesHandle<0>(kHcnTable));
  Serve<kHcnTable, &HcnApi::enumerate_namespaces>(entries, api);
  Serve<kHcnTable, &HcnApi::create_namespace>(entries, api, OpensHandle<2, &HcnApi::close_namespace>(kHcnTable, api));
  Serve<kHcnTable, &HcnApi::open_namespace>(entries, api, OpensHandle<1, &HcnApi::close_namespace>(kHcnTable, api));
  Serve<kHcnTable, &HcnApi::modify_namespace>(entries, api);
  Serve<kHcnTable, &HcnApi::query_namespace_properties>(entries, api);
  Serve<kHcnTable, &HcnApi::delete_namespace>(entries, api);
  Serve<kHcnTable, &HcnApi::close_namespace>(entries, api, ClosesHandle<0>(kHcnTable));
  Serve<kHcnTable, &HcnApi::enumerate_endpoints>(entries, api);
  Serve<kHcnTable, &HcnApi::open_endpoint>(entries, api, OpensHandle<1, &HcnApi::close_endpoint>(kHcnTable, api));
  Serve<kHcnTable, &HcnApi::query_endpoint_properties>(entries, api);
  Serve<kHcnTable, &HcnApi::delete_endpoint>(entries, api);
  Serve<kHcnTable, &HcnApi::close_endpoint>(entries, api, ClosesHandle<0>(kHcnTable));
  Serve<kHcnTable, &HcnApi::hns_call>(entries, api);
}

}  // namespace silo::cri::fake_host
