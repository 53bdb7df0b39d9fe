// SecretBox: seals endpoint secrets (passwords, tokens, cloud keys) for storage with
// AES-256-GCM under a 32-byte key kept in a file beside the database, so the database
// alone yields no secret.
//
// Sealed form: "<enc-v2>" + base64(nonce[12] || ciphertext || tag[16]); a fresh random
// nonce per Seal. The empty secret seals to "" and opens to "".
//
// Thread safety: a SecretBox is immutable after construction; Seal and Open may run
// concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.h"

namespace berth::endpoints {

inline constexpr std::string_view kSealedPrefix = "<enc-v2>";

class SecretBox {
 public:
  using Key = std::array<uint8_t, 32>;

  explicit SecretBox(const Key& key) : key_(key) {}

  // Reads the key at `key_file`, creating it (random, mode 0600) when missing. A key
  // file readable by group or others is narrowed to 0600 with a warning. kInternal when
  // the file cannot be read or written or does not hold exactly 32 bytes.
  static Result<SecretBox> OpenOrCreate(const std::filesystem::path& key_file);

  // The sealed form of `plain` ("" for "").
  Result<std::string> Seal(std::string_view plain) const;
  // The plain text of `sealed` ("" for ""). kInternal ("cannot unseal the stored
  // secret ...") when the value is not in the sealed form, was altered, or was sealed
  // under another key.
  Result<std::string> Open(std::string_view sealed) const;

 private:
  Key key_;
};

}  // namespace berth::endpoints
