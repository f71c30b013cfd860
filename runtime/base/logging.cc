#include "runtime/base/logging.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "runtime/base/json_log_formatter.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/rotating_file_sink.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace silo {

absl::Status ParseLogLevel(const std::string& name, spdlog::level::level_enum* out) {
  static const std::pair<const char*, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off}};
  for (const auto& [n, l] : kLevels) {
    if (name == n) {
      *out = l;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level \"", name, "\" (want trace, debug, info, warn, error, critical or off)"));
}

absl::Status SetupLogging(const LogOptions& options) {
  spdlog::level::level_enum level;
  if (absl::Status s = ParseLogLevel(options.level, &level); !s.ok()) return s;
  if (options.format != "text" && options.format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown log format \"", options.format, "\" (want text or json)"));
  }
  spdlog::sink_ptr sink;
  try {
    if (options.file.empty()) {
      sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          options.file, static_cast<size_t>(options.max_size_bytes),
          static_cast<size_t>(options.max_files));
    }
  } catch (const spdlog::spdlog_ex& e) {
    return absl::InvalidArgumentError(absl::StrCat("log file ", options.file, ": ", e.what()));
  }
  if (options.format == "json") {
    sink->set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v",
                                                                  spdlog::pattern_time_type::utc));
  }
  auto logger = std::make_shared<spdlog::logger>("silo", sink);
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return absl::OkStatus();
}

}  // namespace silo
