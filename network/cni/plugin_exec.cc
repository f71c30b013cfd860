#include "network/cni/plugin_exec.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "runtime/base/status_macros.h"

namespace silo::network::cni {
namespace {

// Plugin stderr can be long (Go panics); keep messages readable.
constexpr size_t kMaxStderrInMessage = 2048;

absl::StatusCode CodeForCniError(int code) {
  switch (code) {
    case 3:
      return absl::StatusCode::kNotFound;
    case 1:
    case 2:
    case 4:
    case 6:
    case 7:
      return absl::StatusCode::kInvalidArgument;
    case 11:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

std::string Truncated(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() <= kMaxStderrInMessage) return std::string(text);
  return absl::StrCat(text.substr(0, kMaxStderrInMessage), "...");
}

std::string Describe(const PluginCall& call) {
  return absl::StrCat("CNI plugin \"", call.plugin_name, "\" ", call.command, " (container ", call.container_id,
                      ", ifname ", call.ifname, ")");
}

}  // namespace

absl::Status PluginFailureToStatus(const PluginCall& call, const ExecOutput& out) {
  std::string what = Describe(call);
  // Spec: on failure the plugin prints {"cniVersion","code","msg","details"} on stdout.
  nlohmann::json err = nlohmann::json::parse(out.stdout_data, nullptr, /*allow_exceptions=*/false);
  if (!err.is_discarded() && err.is_object() && err.contains("code") && err["code"].is_number_integer()) {
    int code = err["code"].get<int>();
    std::string msg = err.value("msg", std::string());
    std::string details = err.contains("details") && err["details"].is_string() ? err["details"].get<std::string>() : "";
    std::string text = absl::StrCat(what, " failed: ", msg.empty() ? "(no message)" : msg);
    if (!details.empty()) absl::StrAppend(&text, ": ", details);
    absl::StrAppend(&text, " (CNI error code ", code, ")");
    return absl::Status(CodeForCniError(code), text);
  }
  std::string text = what;
  if (out.exit_code.has_value()) {
    absl::StrAppend(&text, " failed with exit code ", *out.exit_code);
  } else {
    absl::StrAppend(&text, " was killed by signal ", out.term_signal);
  }
  std::string detail = Truncated(out.stderr_data);
  if (detail.empty()) detail = Truncated(out.stdout_data);
  if (!detail.empty()) absl::StrAppend(&text, ": ", detail);
  return absl::InternalError(text);
}

absl::StatusOr<std::string> InvokePlugin(PluginExec& exec, const PluginCall& call) {
  ExecRequest req;
  req.path = call.plugin_path;
  req.stdin_data = call.stdin_data;
  req.timeout = call.timeout;
  std::vector<std::string> args;
  for (const auto& [k, v] : call.args) args.push_back(absl::StrCat(k, "=", v));
  req.env = {
      {"CNI_COMMAND", call.command},
      {"CNI_CONTAINERID", call.container_id},
      {"CNI_NETNS", call.netns},
      {"CNI_IFNAME", call.ifname},
      {"CNI_ARGS", absl::StrJoin(args, ";")},
      {"CNI_PATH", absl::StrJoin(call.cni_path, PathListSeparator())},
  };
  absl::StatusOr<ExecOutput> out = exec.Run(req);
  if (!out.ok()) return Annotate(out.status(), Describe(call));
  if (out->exit_code != 0) return PluginFailureToStatus(call, *out);
  return std::move(out->stdout_data);
}

}  // namespace silo::network::cni
