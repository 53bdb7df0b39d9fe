#include "common/digest.h"

#include <openssl/rand.h>

#include <stdexcept>

namespace berth {
namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<Digest> Digest::Parse(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Fail(ErrorCode::kDigestInvalid,
                "invalid digest \"" + std::string(text.substr(0, 200)) +
                    "\": expected algorithm:hex, e.g. sha256:<64 hex characters>");
  }
  auto alg = text.substr(0, colon);
  auto hex = text.substr(colon + 1);
  size_t want = 0;
  if (alg == "sha256") want = 64;
  if (alg == "sha512") want = 128;
  if (want == 0) {
    return Fail(ErrorCode::kDigestInvalid, "unsupported digest algorithm \"" +
                                               std::string(alg.substr(0, 40)) +
                                               "\": use sha256 or sha512");
  }
  if (hex.size() != want || !IsLowerHex(hex)) {
    return Fail(ErrorCode::kDigestInvalid, "invalid digest \"" + std::string(text.substr(0, 200)) +
                                               "\": " + std::string(alg) + " needs " +
                                               std::to_string(want) + " lowercase hex characters");
  }
  Digest d;
  d.text_ = std::string(text);
  return d;
}

std::string_view Digest::algorithm() const {
  return std::string_view(text_).substr(0, text_.find(':'));
}
std::string_view Digest::hex() const { return std::string_view(text_).substr(text_.find(':') + 1); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_DigestInit_ex(sha256) failed");
  }
}

void Sha256::Update(std::span<const char> data) {
  EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
}

std::string Sha256::Finish() const {
  std::unique_ptr<EVP_MD_CTX, Free> copy(EVP_MD_CTX_new());
  EVP_MD_CTX_copy_ex(copy.get(), ctx_.get());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(copy.get(), md, &len);
  return "sha256:" + HexEncode({md, len});
}

std::string Sha256Digest(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

std::string HexEncode(std::span<const unsigned char> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string RandomHex(size_t n) {
  std::string raw(n, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(n));
  return HexEncode({reinterpret_cast<const unsigned char*>(raw.data()), n});
}

}  // namespace berth
