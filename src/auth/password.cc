#include "auth/password.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

namespace berth::auth {
namespace {

constexpr uint32_t kTimeCost = 2;
constexpr uint32_t kMemoryKiB = 19 * 1024;
constexpr uint32_t kParallelism = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

}  // namespace

std::string HashPassword(std::string_view password) {
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), salt.size()) != 1) std::abort();  // no entropy: cannot continue
  size_t length =
      argon2_encodedlen(kTimeCost, kMemoryKiB, kParallelism, kSaltBytes, kHashBytes, Argon2_id);
  std::string encoded(length, '\0');
  int rc =
      argon2id_hash_encoded(kTimeCost, kMemoryKiB, kParallelism, password.data(), password.size(),
                            salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) std::abort();  // only on allocation failure or invalid constants
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool MeetsPasswordPolicy(std::string_view p) {
  if (p.size() < 8 || p.size() > 128) return false;
  auto has = [&](int (*pred)(int)) {
    return std::any_of(p.begin(), p.end(),
                       [&](char c) { return pred(static_cast<unsigned char>(c)) != 0; });
  };
  return has(std::isupper) && has(std::islower) && has(std::isdigit);
}

std::string GeneratePassword(size_t length) {
  static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  constexpr size_t kAlphabetSize = sizeof(kAlphabet) - 1;
  while (true) {
    std::string raw(length, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(length)) != 1) {
      std::abort();  // no entropy: cannot continue
    }
    bool upper = false, lower = false, digit = false;
    for (char& c : raw) {
      c = kAlphabet[static_cast<unsigned char>(c) % kAlphabetSize];
      upper |= (c >= 'A' && c <= 'Z');
      lower |= (c >= 'a' && c <= 'z');
      digit |= (c >= '0' && c <= '9');
    }
    if (upper && lower && digit) return raw;
  }
}

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  if (!encoded.starts_with("$argon2id$")) return false;
  std::string terminated(encoded);  // argon2 wants a NUL-terminated string
  return argon2id_verify(terminated.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace berth::auth
