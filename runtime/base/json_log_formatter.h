#pragma once
// One JSON object per log line: {"time":...,"level":...,"msg":...}. The message
// is escaped properly, which a plain spdlog pattern cannot do.

#include <memory>

#include "spdlog/formatter.h"

namespace silo {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace silo
