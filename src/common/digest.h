// Content digests ("sha256:<64 hex>") and the streaming SHA-256 hasher.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"

namespace berth {

// A validated digest. Only sha256 and sha512 are accepted.
class Digest {
 public:
  // Parses "algorithm:hex"; DIGEST_INVALID (400) when malformed or unsupported.
  static Result<Digest> Parse(std::string_view text);

  const std::string& str() const { return text_; }
  std::string_view algorithm() const;
  std::string_view hex() const;
  bool operator==(const Digest&) const = default;
  auto operator<=>(const Digest&) const = default;

 private:
  std::string text_;
};

// Incremental SHA-256 (OpenSSL EVP). Not thread-safe; movable, not copyable.
class Sha256 {
 public:
  Sha256();
  void Update(std::span<const char> data);
  void Update(std::string_view data) { Update(std::span<const char>(data.data(), data.size())); }
  // The digest of everything fed so far, as "sha256:<hex>". Does not reset.
  std::string Finish() const;

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

// "sha256:<hex>" of `data`.
std::string Sha256Digest(std::string_view data);

// `n` random bytes as lowercase hex (OpenSSL RAND_bytes).
std::string RandomHex(size_t n);

std::string HexEncode(std::span<const unsigned char> bytes);

}  // namespace berth
