// Endpoint statistics on Windows (Wine in CI): the UTF-16 path and envelope
// through a table whose HNSCall answers as vmcompute.dll does (a
// CoTaskMemAlloc'd response, freed with CoTaskMemFree), and the loader's
// answer on a host without the HNS DLLs. HNS itself is not in Wine: the
// call against a real endpoint is a real-host check (deploy/windows/README.md).
#include <windows.h>
#include <objbase.h>

#include <cstring>
#include <string>

#include "network/hns/api_win32.h"
#include "network/hns/endpoint_stats.h"
#include "network/hns/errors.h"
#include "runtime/windows/testing/win_check.h"

namespace {

using silo::network::hns::EndpointStats;
using silo::network::hns::GetEndpointStats;
using silo::network::hns::HcnApi;
using silo::network::hns::Result;
#define CHECK(cond) SILO_WIN_CHECK(cond)

std::wstring g_method, g_path, g_request;
int g_allocated = 0;

wchar_t* CoTaskDup(const std::wstring& s) {
  auto* out = static_cast<wchar_t*>(CoTaskMemAlloc((s.size() + 1) * sizeof(wchar_t)));
  std::memcpy(out, s.c_str(), (s.size() + 1) * sizeof(wchar_t));
  ++g_allocated;
  return out;
}

uint32_t FakeHnsCall(const wchar_t* method, const wchar_t* path, const wchar_t* request, wchar_t** response) {
  g_method = method;
  g_path = path;
  g_request = request;
  *response = CoTaskDup(
      LR"({"Success":true,"Error":"","Output":{"BytesReceived":18446744073709551615,"BytesSent":2,)"
      LR"("DroppedPacketsIncoming":3,"DroppedPacketsOutgoing":4,)"
      LR"("EndpointId":"A1B2C3D4-0000-5000-8000-000000000012"}})");
  return 0;
}

void Free(wchar_t* s) {
  --g_allocated;
  CoTaskMemFree(s);
}

void StatisticsAreReadThroughHnsCallInUtf16() {
  HcnApi api{};
  api.hns_call = &FakeHnsCall;
  api.free_string = &Free;
  Result<EndpointStats> stats = GetEndpointStats(api, "a1b2c3d4-0000-5000-8000-000000000012");
  CHECK(stats.ok());
  CHECK(g_method == L"GET");
  CHECK(g_path == L"/endpointstats/a1b2c3d4-0000-5000-8000-000000000012");
  CHECK(g_request.empty());
  CHECK(g_allocated == 0);
  if (!stats.ok()) return;
  CHECK(stats->bytes_received == 18446744073709551615ull);
  CHECK(stats->bytes_sent == 2 && stats->dropped_packets_incoming == 3 && stats->dropped_packets_outgoing == 4);
  CHECK(stats->endpoint_id == "A1B2C3D4-0000-5000-8000-000000000012");
}

void LoaderBindsHnsCallOrReportsTheMissingDll() {
  auto api = silo::network::hns::LoadHcnApi();
  if (api.ok()) {
    // A host with the Containers feature: vmcompute.dll exports HNSCall.
    CHECK((*api)->hns_call != nullptr);
  } else {
    CHECK(silo::network::hns::errors::IsUnsupported(api.status().hr()));
  }
}

}  // namespace

int main() {
  const silo::windows_testing::WinTest tests[] = {
      {"StatisticsAreReadThroughHnsCallInUtf16", StatisticsAreReadThroughHnsCallInUtf16},
      {"LoaderBindsHnsCallOrReportsTheMissingDll", LoaderBindsHnsCallOrReportsTheMissingDll},
  };
  return silo::windows_testing::RunWinTests(tests);
}
