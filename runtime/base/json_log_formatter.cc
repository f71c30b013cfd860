#include "runtime/base/json_log_formatter.h"

#include <chrono>
#include <ctime>
#include <string>

#include "nlohmann/json.hpp"
#include "spdlog/details/os.h"

namespace silo {

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  using namespace std::chrono;
  auto since = msg.time.time_since_epoch();
  auto secs = duration_cast<seconds>(since);
  auto micros = duration_cast<microseconds>(since - secs).count();
  std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm = spdlog::details::os::gmtime(t);  // gmtime_r or gmtime_s
  char ts[64];
  size_t n = std::strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(ts + n, sizeof(ts) - n, ".%06lldZ", static_cast<long long>(micros));

  nlohmann::json line;
  line["time"] = ts;
  auto level = spdlog::level::to_string_view(msg.level);
  line["level"] = std::string(level.data(), level.size());
  line["msg"] = std::string(msg.payload.data(), msg.payload.size());
  // Replace invalid UTF-8 rather than throw: a log line must never crash the daemon.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  dest.append(text.data(), text.data() + text.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

}  // namespace silo
