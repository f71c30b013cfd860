#include "tests/reliability/load_stats.h"

#include <algorithm>
#include <cstdio>
#include <ostream>

#include "absl/strings/str_cat.h"

namespace silo::reliability {
namespace {

constexpr size_t kMaxSamples = 10;
// A check failure on an ok call is filed under this pseudo code.
constexpr int kWrongAnswerCode = 100;

}  // namespace

void LoadStats::Record(const std::string& method, const grpc::Status& status, uint32_t latency_us, bool expected,
                       const std::string& wrong_answer) {
  MethodStats& m = methods_[method];
  ++m.calls;
  m.latencies_us.push_back(latency_us);
  if (status.ok() && wrong_answer.empty()) return;
  int code = status.ok() ? kWrongAnswerCode : static_cast<int>(status.error_code());
  ++m.codes[code];
  if (expected && !status.ok()) {
    ++m.expected_errors;
    return;
  }
  ++m.unexpected_errors;
  if (samples_.size() < kMaxSamples) {
    samples_.push_back(status.ok() ? absl::StrCat(method, ": wrong answer: ", wrong_answer)
                                   : absl::StrCat(method, ": code ", code, ": ", status.error_message()));
  }
}

void LoadStats::Merge(const LoadStats& other) {
  for (const auto& [name, o] : other.methods_) {
    MethodStats& m = methods_[name];
    m.calls += o.calls;
    m.expected_errors += o.expected_errors;
    m.unexpected_errors += o.unexpected_errors;
    for (const auto& [code, n] : o.codes) m.codes[code] += n;
    m.latencies_us.insert(m.latencies_us.end(), o.latencies_us.begin(), o.latencies_us.end());
  }
  for (const auto& s : other.samples_) {
    if (samples_.size() < kMaxSamples) samples_.push_back(s);
  }
}

int64_t LoadStats::Calls() const {
  int64_t n = 0;
  for (const auto& [name, m] : methods_) n += m.calls;
  return n;
}

int64_t LoadStats::Errors() const {
  int64_t n = 0;
  for (const auto& [name, m] : methods_) n += m.expected_errors + m.unexpected_errors;
  return n;
}

int64_t LoadStats::Unexpected() const {
  int64_t n = 0;
  for (const auto& [name, m] : methods_) n += m.unexpected_errors;
  return n;
}

double QuantileMs(std::vector<uint32_t>& v, double q) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

void LoadStats::PrintTable(std::ostream& out) const {
  char line[256];
  std::snprintf(line, sizeof(line), "%-28s %9s %7s %10s %9s %9s  %s\n", "method", "calls", "errors", "unexpected",
                "p50_ms", "p99_ms", "codes");
  out << line;
  for (const auto& [name, m] : methods_) {
    std::vector<uint32_t> lat = m.latencies_us;
    double p50 = QuantileMs(lat, 0.50);
    double p99 = QuantileMs(lat, 0.99);
    std::string codes;
    for (const auto& [code, n] : m.codes) absl::StrAppend(&codes, codes.empty() ? "" : ",", code, ":", n);
    std::snprintf(line, sizeof(line), "%-28s %9lld %7lld %10lld %9.2f %9.2f  %s\n", name.c_str(),
                  static_cast<long long>(m.calls), static_cast<long long>(m.expected_errors + m.unexpected_errors),
                  static_cast<long long>(m.unexpected_errors), p50, p99, codes.c_str());
    out << line;
  }
}

}  // namespace silo::reliability
