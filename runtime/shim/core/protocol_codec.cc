#include "runtime/shim/core/protocol_codec.h"

#include <iterator>
#include <stdexcept>

#include "nlohmann/json.hpp"

// The Request field, not mingw's stdio macro (see protocol_codec.h).
#undef stdin

namespace silo::runtime::shim {
namespace {

using nlohmann::json;

constexpr const char* kOpNames[] = {"state",  "kill",        "wait",       "exec",     "attach",
                                    "resize", "close_stdin", "reopen_log", "shutdown", "start"};
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Parses `text` as a JSON object and converts it; a wrong type or value
// throws inside `convert` and becomes `error`.
template <typename T, typename F>
bool ParseJson(std::string_view text, const char* what, T* out, std::string* error, F convert) {
  try {
    json j = json::parse(text.begin(), text.end());
    if (!j.is_object()) {
      *error = std::string("shim ") + what + " is not a JSON object";
      return false;
    }
    *out = convert(j);
    return true;
  } catch (const std::exception& e) {
    *error = std::string("bad shim ") + what + ": " + e.what();
    return false;
  }
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

const char* OpName(Op op) { return kOpNames[static_cast<int>(op)]; }

std::optional<Op> OpFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kOpNames); ++i) {
    if (name == kOpNames[i]) return static_cast<Op>(i);
  }
  return std::nullopt;
}

std::string EncodeRequest(const Request& r) {
  json j = {{"op", OpName(r.op)}};
  switch (r.op) {
    case Op::kKill:
      j["signal"] = r.signal;
      j["all"] = r.all;
      break;
    case Op::kExec:
      j["args"] = r.args;
      j["env"] = r.env;
      j["cwd"] = r.cwd;
      j["tty"] = r.tty;
      j["stdin"] = r.stdin;
      j["timeout_ms"] = r.timeout_ms;
      if (r.stream) j["stream"] = true;
      if (!r.process.empty()) j["process"] = r.process;
      if (r.tty && r.width != 0 && r.height != 0) {  // a Windows monitor's first console size
        j["width"] = r.width;
        j["height"] = r.height;
      }
      break;
    case Op::kWait:
      // Windows monitors bound the wait by it; absent (0) means no bound.
      if (r.timeout_ms > 0) j["timeout_ms"] = r.timeout_ms;
      break;
    case Op::kResize:
      j["width"] = r.width;
      j["height"] = r.height;
      break;
    default:
      break;
  }
  return j.dump();
}

bool DecodeRequestJson(std::string_view text, Request* request, std::string* error) {
  return ParseJson(text, "request", request, error, [](const json& j) {
    Request r;
    auto op = OpFromName(j.at("op").get<std::string>());
    if (!op) throw std::invalid_argument("unknown op " + j.at("op").get<std::string>());
    r.op = *op;
    r.signal = j.value("signal", 0);
    r.all = j.value("all", false);
    r.args = j.value("args", std::vector<std::string>{});
    r.env = j.value("env", std::vector<std::string>{});
    r.cwd = j.value("cwd", std::string());
    r.tty = j.value("tty", false);
    r.stdin = j.value("stdin", false);
    r.timeout_ms = j.value("timeout_ms", int64_t{0});
    r.stream = j.value("stream", false);
    r.process = j.value("process", std::string());
    r.width = j.value("width", 0u);
    r.height = j.value("height", 0u);
    if (r.op == Op::kKill && (r.signal <= 0 || r.signal > 64)) {
      throw std::invalid_argument("kill needs a signal in 1..64");
    }
    if (r.op == Op::kExec && r.args.empty()) throw std::invalid_argument("exec needs args");
    return r;
  });
}

std::string EncodeResponse(const Response& r) {
  json j = {{"version", r.version}, {"code", r.code}};
  if (!r.message.empty()) j["message"] = r.message;
  if (!r.state.empty()) j["state"] = r.state;
  if (r.pid != 0) j["pid"] = r.pid;
  if (r.exited) {
    j["exited"] = true;
    j["exit_code"] = r.exit_code;
    j["exited_at"] = r.exited_at_unix_nanos;
  }
  if (!r.stdout_data.empty()) j["stdout"] = Base64Encode(r.stdout_data);
  if (!r.stderr_data.empty()) j["stderr"] = Base64Encode(r.stderr_data);
  return j.dump();
}

bool DecodeResponseJson(std::string_view text, Response* response, std::string* error) {
  return ParseJson(text, "response", response, error, [](const json& j) {
    Response r;
    r.version = j.value("version", kUnversionedShim);
    if (r.version < kUnversionedShim) throw std::invalid_argument("version out of range");
    r.code = j.at("code").get<int>();
    if (r.code < 0 || r.code > 16) throw std::invalid_argument("status code out of range");
    r.message = j.value("message", std::string());
    r.state = j.value("state", std::string());
    r.pid = j.value("pid", 0);
    r.exited = j.value("exited", false);
    r.exit_code = j.value("exit_code", 0);
    r.exited_at_unix_nanos = j.value("exited_at", int64_t{0});
    if (!Base64Decode(j.value("stdout", std::string()), &r.stdout_data) ||
        !Base64Decode(j.value("stderr", std::string()), &r.stderr_data)) {
      throw std::invalid_argument("exec output is not base64");
    }
    return r;
  });
}

std::string EncodeFrame(std::string_view payload) {
  const auto n = static_cast<uint32_t>(payload.size());
  std::string out;
  out.reserve(4 + payload.size());
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.append(payload.data(), payload.size());
  return out;
}

uint32_t DecodeFrameLength(const char prefix[4]) {
  auto b = reinterpret_cast<const unsigned char*>(prefix);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<unsigned char>(data[i])} << 16) |
                       (uint32_t{static_cast<unsigned char>(data[i + 1])} << 8) |
                       uint32_t{static_cast<unsigned char>(data[i + 2])};
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kBase64[(v >> shift) & 63]);
  }
  const size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{static_cast<unsigned char>(data[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<unsigned char>(data[i + 1])} << 8;
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  out->clear();
  size_t end = text.size();
  if (end % 4 == 0 && end > 0 && text[end - 1] == '=') --end;
  if (end % 4 == 3 && end > 0 && text[end - 1] == '=') --end;
  if (end % 4 == 1) return false;
  out->reserve(end / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < end; ++i) {
    const int v = Base64Value(text[i]);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

}  // namespace silo::runtime::shim
