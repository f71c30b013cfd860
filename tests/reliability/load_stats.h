#pragma once
// Per-method accounting for the load driver: calls, errors by gRPC code
// (expected or not) and latencies, so the report can print p50/p99 and
// the RESULT line can tell explainable errors from failures.
//
// Thread safety: a MethodStats is owned by one client thread while the
// load runs; the driver merges them (Merge) after every client has joined.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"

namespace silo::reliability {

struct MethodStats {
  int64_t calls = 0;
  int64_t expected_errors = 0;
  int64_t unexpected_errors = 0;
  std::map<int, int64_t> codes;          // gRPC code -> count (errors and failed checks)
  std::vector<uint32_t> latencies_us;    // one per call, unsorted
};

class LoadStats {
 public:
  // `expected`: an error the caller can explain (see load_main.cc). A call
  // that succeeded but returned a wrong answer is recorded with ok status
  // and a non-empty `wrong_answer`; that counts as unexpected.
  void Record(const std::string& method, const grpc::Status& status, uint32_t latency_us, bool expected,
              const std::string& wrong_answer = "");

  // Adds `other` into this (driver side, after the clients joined).
  void Merge(const LoadStats& other);

  int64_t Calls() const;
  int64_t Errors() const;      // expected + unexpected
  int64_t Unexpected() const;
  // Up to a few messages describing unexpected errors, for the log.
  const std::vector<std::string>& samples() const { return samples_; }

  // Prints one row per method: calls, errors, unexpected, codes, p50, p99 (ms).
  void PrintTable(std::ostream& out) const;

 private:
  std::map<std::string, MethodStats> methods_;
  std::vector<std::string> samples_;
};

// The q-quantile (0..1) of `v` in milliseconds; sorts `v`.
double QuantileMs(std::vector<uint32_t>& v, double q);

}  // namespace silo::reliability
