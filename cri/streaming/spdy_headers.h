#pragma once
// SPDY/3 name/value header blocks, zlib-compressed with the SPDY/3 preset
// dictionary. SPDY keeps ONE zlib stream per direction for the whole session
// (each block ends with a sync flush), so a session owns exactly one
// HeaderCompressor for what it sends and one HeaderDecompressor for what it
// receives; blocks must be processed in wire order. Neither class is
// thread-safe; the owning session serialises access.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace silo::cri::streaming::spdy {

// Header names are lowercase on the wire; values may hold several values
// separated by NUL, kept as-is here.
using HeaderBlock = std::vector<std::pair<std::string, std::string>>;

// First value of `name` (case-insensitive), or "" when absent.
std::string FindHeader(const HeaderBlock& headers, std::string_view name);

// The 1423-byte SPDY/3 dictionary.
std::string_view HeaderDictionary();

// Plain (uncompressed) block encoding: u32 count, then u32-length-prefixed
// name and value per pair. Names are lowercased.
std::string EncodeHeaderBlock(const HeaderBlock& headers);
// Parses a plain block. Rejects truncation, trailing bytes, empty or
// duplicate names. Names are lowercased.
absl::StatusOr<HeaderBlock> DecodeHeaderBlock(std::string_view plain);

class HeaderCompressor {
 public:
  HeaderCompressor();
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;

  absl::StatusOr<std::string> Compress(const HeaderBlock& headers);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

class HeaderDecompressor {
 public:
  // `max_plain_size` bounds the decompressed size of one block so a small
  // compressed block cannot expand without limit.
  explicit HeaderDecompressor(size_t max_plain_size = 64 * 1024);
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;

  // After an error the zlib stream is unusable; the session must end.
  absl::StatusOr<HeaderBlock> Decompress(std::string_view compressed);

 private:
  struct State;
  std::unique_ptr<State> state_;
  size_t max_plain_size_;
};

}  // namespace silo::cri::streaming::spdy
