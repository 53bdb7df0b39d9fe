// Password hashing with argon2id, stored in the PHC encoded form
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>". Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>

namespace berth::auth {

// Hashes `password` with a fresh random salt (t=2, m=19 MiB, p=1).
std::string HashPassword(std::string_view password);

// True when `password` matches `encoded` (constant-time comparison of the hashes).
// False for a malformed or non-argon2id `encoded`.
bool VerifyPassword(std::string_view encoded, std::string_view password);

// Harbor's rule for passwords and robot secrets, and the message saying it.
inline constexpr std::string_view kPasswordPolicy =
    "the password must be 8 to 128 characters long with at least 1 uppercase letter, "
    "1 lowercase letter and 1 number";
bool MeetsPasswordPolicy(std::string_view password);

// A random password of `length` (>= 3) characters that meets the policy.
std::string GeneratePassword(size_t length = 20);

}  // namespace berth::auth
