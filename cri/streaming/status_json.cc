#include "cri/streaming/status_json.h"

#include <nlohmann/json.hpp>

namespace silo::cri::streaming {

std::string ExitStatusJson(int exit_code) {
  nlohmann::ordered_json j;
  j["metadata"] = nlohmann::ordered_json::object();
  if (exit_code == 0) {
    j["status"] = "Success";
    return j.dump();
  }
  j["status"] = "Failure";
  j["message"] = "command terminated with non-zero exit code: exit status " + std::to_string(exit_code);
  j["reason"] = "NonZeroExitCode";
  j["details"]["causes"] = nlohmann::ordered_json::array(
      {{{"reason", "ExitCode"}, {"message", std::to_string(exit_code)}}});
  return j.dump();
}

std::string InternalErrorStatusJson(std::string_view message) {
  nlohmann::ordered_json j;
  j["metadata"] = nlohmann::ordered_json::object();
  j["status"] = "Failure";
  j["message"] = "Internal error occurred: " + std::string(message);
  j["reason"] = "InternalError";
  j["details"]["causes"] = nlohmann::ordered_json::array({{{"message", std::string(message)}}});
  j["code"] = 500;
  return j.dump();
}

std::vector<TerminalSize> ResizeDecoder::Feed(std::string_view bytes) {
  constexpr size_t kMaxPending = 4096;
  std::vector<TerminalSize> out;
  pending_.append(bytes);
  while (true) {
    size_t open = pending_.find('{');
    if (open == std::string::npos) {
      pending_.clear();
      break;
    }
    size_t close = pending_.find('}', open);
    if (close == std::string::npos) {
      pending_.erase(0, open);
      if (pending_.size() > kMaxPending) pending_.clear();
      break;
    }
    // The object is flat (two numbers), so the first '}' ends it.
    auto j = nlohmann::json::parse(pending_.substr(open, close - open + 1), nullptr, false);
    pending_.erase(0, close + 1);
    if (j.is_discarded() || !j.is_object()) continue;
    auto w = j.find("Width");
    auto h = j.find("Height");
    if (w == j.end() || h == j.end() || !w->is_number_unsigned() || !h->is_number_unsigned()) {
      continue;
    }
    uint64_t wv = w->get<uint64_t>(), hv = h->get<uint64_t>();
    if (wv > 0xffff || hv > 0xffff) continue;
    out.push_back(TerminalSize{uint16_t(wv), uint16_t(hv)});
  }
  return out;
}

}  // namespace silo::cri::streaming
