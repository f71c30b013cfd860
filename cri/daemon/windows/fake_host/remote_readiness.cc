#include "cri/daemon/windows/fake_host/remote_readiness.h"

#include "cri/daemon/windows/fake_host/last_error.h"

namespace silo::cri::fake_host {

using runtime::windows::readiness::ReadinessApi;

namespace {
constexpr Table kReadinessTable = Table::kReadiness;
}  // namespace

const ReadinessApi& RemoteReadinessApi() {
  static const ReadinessApi table = [] {
    ReadinessApi t{};
    UseRemote<kReadinessTable, &ReadinessApi::load_system_library, LastErrorEpilogue>(t);
    UseRemote<kReadinessTable, &ReadinessApi::free_library, LastErrorEpilogue>(t);
    UseRemote<kReadinessTable, &ReadinessApi::open_sc_manager, LastErrorEpilogue>(t);
    UseRemote<kReadinessTable, &ReadinessApi::open_service, LastErrorEpilogue>(t);
    UseRemote<kReadinessTable, &ReadinessApi::query_service_state, LastErrorEpilogue>(t);
    UseRemote<kReadinessTable, &ReadinessApi::close_service_handle, LastErrorEpilogue>(t);
    t.get_last_error = &RemoteLastError;
    return t;
  }();
  return table;
}

void ServeReadiness(HostEntries& entries, const ReadinessApi& api) {
  constexpr Table T = kReadinessTable;
  ServeWithLastError<T, &ReadinessApi::load_system_library>(
      entries, api, ReturnsHandle<T, &ReadinessApi::free_library>(api));
  ServeWithLastError<T, &ReadinessApi::free_library>(entries, api, ClosesHandle<0>(T));
  ServeWithLastError<T, &ReadinessApi::open_sc_manager>(entries, api,
                                                        ReturnsHandle<T, &ReadinessApi::close_service_handle>(api));
  ServeWithLastError<T, &ReadinessApi::open_service>(entries, api,
                                                     ReturnsHandle<T, &ReadinessApi::close_service_handle>(api));
  ServeWithLastError<T, &ReadinessApi::query_service_state>(entries, api);
  ServeWithLastError<T, &ReadinessApi::close_service_handle>(entries, api, ClosesHandle<0>(T));
}

}  // namespace silo::cri::fake_host
