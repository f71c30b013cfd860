#include "runtime/windows/shim/exit_record.h"

#include "nlohmann/json.hpp"
#include "runtime/windows/shim/shim_files.h"

namespace silo::runtime::windows::shim {

std::string EncodeExitRecord(const ExitRecord& record) {
  return nlohmann::json{{"exit_code", record.exit_code}, {"exited_at_unix_nanos", record.exited_at_unix_nanos}}
      .dump();
}

std::optional<ExitRecord> DecodeExitRecord(const std::string& json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object() || !j.contains("exit_code") || !j["exit_code"].is_number_integer() ||
      !j.contains("exited_at_unix_nanos") || !j["exited_at_unix_nanos"].is_number_integer()) {
    return std::nullopt;
  }
  return ExitRecord{j["exit_code"].get<int64_t>(), j["exited_at_unix_nanos"].get<int64_t>()};
}

win32::HrStatus WriteExitRecord(const std::string& path, const ExitRecord& record) {
  return WriteFileDurably(path, EncodeExitRecord(record));
}

win32::Result<ExitRecord> ReadExitRecord(const std::string& path) {
  auto text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  auto record = DecodeExitRecord(*text);
  if (!record) return win32::HrStatus(0x8007000D, "exit record " + path + " is damaged");  // ERROR_INVALID_DATA
  return *record;
}

}  // namespace silo::runtime::windows::shim
