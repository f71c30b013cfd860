#include "runtime/shim/core/cri_line_cutter.h"

#include <algorithm>

namespace silo::runtime::shim {

void CriLineCutter::EmitChunks(std::string_view line, bool final_full, const Emit& emit) {
  while (line.size() > max_line_ || (!final_full && !line.empty())) {
    size_t n = std::min(line.size(), max_line_);
    emit(/*partial=*/true, line.substr(0, n));
    line.remove_prefix(n);
  }
  if (final_full) emit(/*partial=*/false, line);
}

void CriLineCutter::Feed(std::string_view data, const Emit& emit) {
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (nl == std::string_view::npos) {
      pending_.append(data.data(), data.size());
      break;
    }
    pending_.append(data.data(), nl);
    data.remove_prefix(nl + 1);
    std::string_view line = pending_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    EmitChunks(line, /*final_full=*/true, emit);
    pending_.clear();
  }
  // Cut full chunks from an unfinished line, but hold back a trailing '\r'
  // that may yet turn out to be half of "\r\n".
  size_t usable = pending_.size();
  if (usable > 0 && pending_.back() == '\r') --usable;
  if (usable > max_line_) {
    size_t cut = (usable - 1) / max_line_ * max_line_;
    for (size_t off = 0; off < cut; off += max_line_) {
      emit(/*partial=*/true, std::string_view(pending_).substr(off, max_line_));
    }
    pending_.erase(0, cut);
  }
}

void CriLineCutter::Finish(const Emit& emit) {
  EmitChunks(pending_, /*final_full=*/false, emit);
  pending_.clear();
}

}  // namespace silo::runtime::shim
