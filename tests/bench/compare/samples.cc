#include "tests/bench/compare/samples.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::bench {
namespace {

using Json = nlohmann::ordered_json;

void Remember(std::vector<std::string>* order, const std::string& name) {
  if (std::find(order->begin(), order->end(), name) == order->end()) order->push_back(name);
}

std::string Cell(double v) {
  if (std::isnan(v)) return "-";
  return absl::StrFormat(v >= 100 ? "%.0f" : "%.1f", v);
}

std::string Ratio(double a, double b) {
  if (std::isnan(a) || std::isnan(b) || b == 0) return "-";
  return absl::StrFormat("%.2f", a / b);
}

}  // namespace

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest sample with at least q of the samples at or below it.
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

void Samples::Note(const std::string& metric) { Remember(&order_, metric); }

void Samples::Add(const std::string& metric, double ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Note(metric);
  samples_[metric].push_back(ms);
}

void Samples::Set(const std::string& metric, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  Note(metric);
  values_[metric] = value;
}

std::string Samples::ToJson(const std::string& runtime) const {
  std::lock_guard<std::mutex> lock(mu_);
  Json j = {{"runtime", runtime}, {"samples", Json::object()}, {"values", Json::object()}};
  for (const auto& name : order_) {
    if (auto it = samples_.find(name); it != samples_.end()) j["samples"][name] = it->second;
    if (auto it = values_.find(name); it != values_.end()) j["values"][name] = it->second;
  }
  return j.dump();
}

absl::Status Samples::SaveJson(const std::string& path, const std::string& runtime) const {
  return Annotate(AtomicWriteFile(path, ToJson(runtime)), absl::StrCat("saving results to ", path));
}

absl::Status Comparison::AddJsonFile(const std::string& path) {
  SILO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("runtime") || !j["runtime"].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a driver result"));
  }
  PerRuntime& rt = runtimes_[j["runtime"].get<std::string>()];
  const Json samples = j.value("samples", Json::object());
  const Json values = j.value("values", Json::object());
  for (auto it = samples.begin(); it != samples.end(); ++it) {
    Remember(&sample_order_, it.key());
    for (const auto& v : it.value()) rt.samples[it.key()].push_back(v.get<double>());
  }
  for (auto it = values.begin(); it != values.end(); ++it) {
    Remember(&value_order_, it.key());
    rt.values[it.key()].push_back(it.value().get<double>());
  }
  return absl::OkStatus();
}

std::string Comparison::Table(const std::string& a, const std::string& b) const {
  static const PerRuntime kNone;
  auto find = [&](const std::string& name) -> const PerRuntime& {
    auto it = runtimes_.find(name);
    return it == runtimes_.end() ? kNone : it->second;
  };
  const PerRuntime& ra = find(a);
  const PerRuntime& rb = find(b);
  std::vector<std::vector<std::string>> rows = {{"metric", a, b, "ratio " + a + "/" + b}};
  for (const auto& name : sample_order_) {
    auto ia = ra.samples.find(name);
    auto ib = rb.samples.find(name);
    const size_t na = ia == ra.samples.end() ? 0 : ia->second.size();
    const size_t nb = ib == rb.samples.end() ? 0 : ib->second.size();
    for (auto [q, label] : {std::pair{0.5, "p50"}, std::pair{0.9, "p90"}, std::pair{0.99, "p99"}}) {
      double va = na ? Percentile(ia->second, q) : NAN;
      double vb = nb ? Percentile(ib->second, q) : NAN;
      rows.push_back({absl::StrCat(name, " ", label, " (n=", na, "/", nb, ")"), Cell(va), Cell(vb), Ratio(va, vb)});
    }
  }
  for (const auto& name : value_order_) {
    auto mean = [&](const PerRuntime& rt) {
      auto it = rt.values.find(name);
      if (it == rt.values.end() || it->second.empty()) return static_cast<double>(NAN);
      return std::accumulate(it->second.begin(), it->second.end(), 0.0) / static_cast<double>(it->second.size());
    };
    double va = mean(ra), vb = mean(rb);
    rows.push_back({name, Cell(va), Cell(vb), Ratio(va, vb)});
  }
  std::vector<size_t> width(4, 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < 4; ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (size_t n = 0; n < rows.size(); ++n) {
    absl::StrAppend(&out, "| ");
    for (size_t i = 0; i < 4; ++i) {
      absl::StrAppend(&out, rows[n][i], std::string(width[i] - rows[n][i].size(), ' '), " |", i < 3 ? " " : "\n");
    }
    if (n == 0) {
      absl::StrAppend(&out, "|");
      for (size_t i = 0; i < 4; ++i) absl::StrAppend(&out, std::string(width[i] + 2, '-'), "|");
      absl::StrAppend(&out, "\n");
    }
  }
  return out;
}

}  // namespace silo::bench
