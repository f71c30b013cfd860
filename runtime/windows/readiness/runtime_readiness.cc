#include "runtime/windows/readiness/runtime_readiness.h"

namespace silo::runtime::windows::readiness {
namespace {

struct Dll {
  const wchar_t* name;
  const char* utf8;
};
constexpr Dll kDlls[] = {{L"computecore.dll", "computecore.dll"},
                         {L"vmcompute.dll", "vmcompute.dll"},
                         {L"computenetwork.dll", "computenetwork.dll"}};
constexpr Dll kServices[] = {{L"vmcompute", "vmcompute"}, {L"hns", "hns"}};

// "" when the DLL loads, else what is wrong with it.
std::string CheckDll(const ReadinessApi& api, const Dll& dll) {
  void* module = api.load_system_library(dll.name);
  if (module != nullptr) {
    api.free_library(module);
    return "";
  }
  const uint32_t error = api.get_last_error();
  if (error == kErrorModNotFound) return std::string(dll.utf8) + " not found in System32";
  return std::string(dll.utf8) + " cannot be loaded (error " + std::to_string(error) + ")";
}

std::string CheckService(const ReadinessApi& api, void* scm, const Dll& service) {
  const std::string name = service.utf8;
  void* handle = api.open_service(scm, service.name);
  if (handle == nullptr) {
    const uint32_t error = api.get_last_error();
    if (error == kErrorServiceDoesNotExist) return "service " + name + " is not installed";
    return "service " + name + " cannot be opened (error " + std::to_string(error) + ")";
  }
  uint32_t state = 0;
  std::string problem;
  if (!api.query_service_state(handle, &state)) {
    problem = "service " + name + " cannot be queried (error " + std::to_string(api.get_last_error()) + ")";
  } else if (state != kServiceRunning) {
    problem = "service " + name + (state == kServiceStopped ? " is stopped" : " is not running (state " +
                                                                                  std::to_string(state) + ")");
  }
  api.close_service_handle(handle);
  return problem;
}

}  // namespace

RuntimeReadiness ProbeRuntimeReadiness(const ReadinessApi& api) {
  RuntimeReadiness r;
  bool feature_missing = false;
  for (const Dll& dll : kDlls) {
    if (std::string problem = CheckDll(api, dll); !problem.empty()) {
      r.missing.push_back(std::move(problem));
      feature_missing = true;
    }
  }
  void* scm = api.open_sc_manager();
  if (scm == nullptr) {
    r.missing.push_back("the service control manager cannot be opened (error " + std::to_string(api.get_last_error()) +
                        ")");
  } else {
    for (const Dll& service : kServices) {
      std::string problem = CheckService(api, scm, service);
      if (problem.empty()) continue;
      // A service that does not exist comes with the feature; one that is
      // merely stopped is the operator's to start.
      if (problem.find("not installed") != std::string::npos) feature_missing = true;
      r.missing.push_back(std::move(problem));
    }
    api.close_service_handle(scm);
  }
  r.ready = r.missing.empty();
  if (r.ready) return r;
  r.reason = feature_missing ? kReasonFeatureMissing : kReasonServiceNotRunning;
  for (const std::string& m : r.missing) r.message += (r.message.empty() ? "" : "; ") + m;
  if (feature_missing) {
    r.message += " (enable the Containers feature: Enable-WindowsOptionalFeature -Online -FeatureName Containers)";
  }
  return r;
}

}  // namespace silo::runtime::windows::readiness
