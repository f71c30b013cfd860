#include "image/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace silo::image {
namespace {

const EVP_MD* MdFor(absl::string_view algorithm) {
  if (algorithm == kSha256) return EVP_sha256();
  if (algorithm == kSha512) return EVP_sha512();
  return nullptr;
}

constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

std::string Digest::String() const {
  if (hex.empty()) return "";
  return absl::StrCat(algorithm, ":", hex);
}

size_t DigestHexLength(absl::string_view algorithm) {
  if (algorithm == kSha256) return 64;
  if (algorithm == kSha512) return 128;
  return 0;
}

absl::StatusOr<Digest> ParseDigest(absl::string_view text) {
  size_t colon = text.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid digest \"", text, "\": missing ':' between algorithm and hex"));
  }
  absl::string_view algorithm = text.substr(0, colon);
  absl::string_view hex = text.substr(colon + 1);
  size_t want = DigestHexLength(algorithm);
  if (want == 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid digest \"", text, "\": unsupported algorithm \"",
                                                   algorithm, "\" (want sha256 or sha512)"));
  }
  if (hex.size() != want) {
    return absl::InvalidArgumentError(absl::StrCat("invalid digest \"", text, "\": ", algorithm, " needs ", want,
                                                   " hex characters, got ", hex.size()));
  }
  for (size_t i = 0; i < hex.size(); ++i) {
    char c = hex[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return absl::InvalidArgumentError(absl::StrCat("invalid digest \"", text, "\": character ", i + 1,
                                                     " of the hex part is not lowercase hex"));
    }
  }
  return Digest{std::string(algorithm), std::string(hex)};
}

absl::Status ValidateDigest(const Digest& digest) {
  if (digest.algorithm.empty() && digest.hex.empty()) return absl::InvalidArgumentError("invalid digest: empty");
  return ParseDigest(absl::StrCat(digest.algorithm, ":", digest.hex)).status();
}

struct Hasher::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Hasher::Hasher(std::string algorithm, std::unique_ptr<Ctx> ctx)
    : algorithm_(std::move(algorithm)), ctx_(std::move(ctx)) {}
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

absl::StatusOr<Hasher> Hasher::Create(absl::string_view algorithm) {
  const EVP_MD* md = MdFor(algorithm);
  if (md == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported digest algorithm \"", algorithm, "\""));
  }
  auto ctx = std::make_unique<Ctx>();
  ctx->md = EVP_MD_CTX_new();
  // Allocation failure or a refused init means the crypto library is broken;
  // nothing sensible can continue without hashing, so treat it as an invariant.
  if (ctx->md == nullptr || EVP_DigestInit_ex(ctx->md, md, nullptr) != 1) std::abort();
  return Hasher(std::string(algorithm), std::move(ctx));
}

Hasher Hasher::Sha256() { return *Create(kSha256); }

void Hasher::Update(const void* data, size_t size) {
  if (size == 0) return;
  if (EVP_DigestUpdate(ctx_->md, data, size) != 1) std::abort();
  bytes_ += size;
}

Digest Hasher::Current() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  if (copy == nullptr || EVP_MD_CTX_copy_ex(copy, ctx_->md) != 1) std::abort();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(copy, out, &len) != 1) std::abort();
  EVP_MD_CTX_free(copy);
  std::string hex(static_cast<size_t>(len) * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    hex[2 * i] = kHexDigits[out[i] >> 4];
    hex[2 * i + 1] = kHexDigits[out[i] & 0xf];
  }
  return Digest{algorithm_, std::move(hex)};
}

Digest Sha256Of(absl::string_view data) {
  Hasher h = Hasher::Sha256();
  h.Update(data);
  return h.Current();
}

}  // namespace silo::image
