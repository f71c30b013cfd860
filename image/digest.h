#pragma once
// Content digests ("sha256:<hex>") as used by OCI descriptors, and a streaming
// hasher that produces them.
//
// Only canonical forms are accepted: a lowercase algorithm name we can compute
// (sha256, sha512) and lowercase hex of exactly the algorithm's length, so a
// parsed Digest can be used directly as a file name in the content store.
//
// Digest is a plain value type. Hasher is move-only and not thread-safe (one
// stream, one owner).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace silo::image {

inline constexpr absl::string_view kSha256 = "sha256";
inline constexpr absl::string_view kSha512 = "sha512";

struct Digest {
  std::string algorithm;  // "sha256" or "sha512"
  std::string hex;        // lowercase, 64 or 128 characters

  // "sha256:<hex>"; empty for a default-constructed Digest.
  std::string String() const;
  bool empty() const { return hex.empty(); }

  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine(std::move(h), d.algorithm, d.hex);
  }
};

// Parses "algorithm:hex". InvalidArgument names the problem (missing ':',
// unsupported algorithm, wrong length, non-lowercase-hex character).
absl::StatusOr<Digest> ParseDigest(absl::string_view text);

// OK if `digest` is in canonical form (what ParseDigest accepts). Digest is a
// plain struct, so code that turns one into a path must check it first.
absl::Status ValidateDigest(const Digest& digest);

// Hex length of an algorithm's digest, or 0 if the algorithm is unsupported.
size_t DigestHexLength(absl::string_view algorithm);

// Streaming hasher over OpenSSL's EVP interface.
class Hasher {
 public:
  // InvalidArgument for an unsupported algorithm.
  static absl::StatusOr<Hasher> Create(absl::string_view algorithm);
  static Hasher Sha256();

  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();

  void Update(const void* data, size_t size);
  void Update(absl::string_view data) { Update(data.data(), data.size()); }

  // Digest of everything fed so far; the hasher may keep being updated
  // afterwards (it finalises a copy of its state).
  Digest Current() const;

  const std::string& algorithm() const { return algorithm_; }
  uint64_t bytes() const { return bytes_; }

 private:
  struct Ctx;
  Hasher(std::string algorithm, std::unique_ptr<Ctx> ctx);

  std::string algorithm_;
  std::unique_ptr<Ctx> ctx_;
  uint64_t bytes_ = 0;
};

// One-shot SHA-256 digest of a buffer.
Digest Sha256Of(absl::string_view data);

}  // namespace silo::image
