#pragma once
// Label selection as CRI filters use it: every pair of `selector` must be in
// `labels` with the same value (AND); an empty selector matches everything.

#include <map>
#include <string>

namespace silo::runtime::store {

inline bool LabelsMatch(const std::map<std::string, std::string>& labels,
                        const std::map<std::string, std::string>& selector) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace silo::runtime::store
