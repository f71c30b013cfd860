#pragma once
// Samples: named latency samples (milliseconds) and named scalar values
// (RSS, throughput, error counts) collected by one driver run, saved as JSON,
// and merged from several runs into the comparison table.
// Add/Set are thread-safe (churn records from many threads); the rest are not.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace silo::bench {

// The value at quantile `q` (0..1) of `v` (nearest rank); 0 when empty.
double Percentile(std::vector<double> v, double q);

class Samples {
 public:
  void Add(const std::string& metric, double ms);
  void Set(const std::string& metric, double value);

  // {"runtime": R, "samples": {metric: [ms...]}, "values": {metric: v}}.
  std::string ToJson(const std::string& runtime) const;
  absl::Status SaveJson(const std::string& path, const std::string& runtime) const;

  // Metric names in first-recorded order (the table keeps the workload order).
  const std::vector<std::string>& order() const { return order_; }

 private:
  void Note(const std::string& metric);  // requires mu_

  mutable std::mutex mu_;
  std::vector<std::string> order_;
  std::map<std::string, std::vector<double>> samples_;
  std::map<std::string, double> values_;
};

// Runs of two runtimes merged: samples are pooled per runtime; scalar values
// are averaged over the runs that reported them.
class Comparison {
 public:
  absl::Status AddJsonFile(const std::string& path);
  // One row per metric and percentile: metric | A | B | A/B, in text.
  std::string Table(const std::string& a, const std::string& b) const;

 private:
  struct PerRuntime {
    std::map<std::string, std::vector<double>> samples;
    std::map<std::string, std::vector<double>> values;
  };
  std::vector<std::string> sample_order_, value_order_;
  std::map<std::string, PerRuntime> runtimes_;
};

}  // namespace silo::bench
