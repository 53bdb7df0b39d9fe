// A small, short-lived cache of successful Basic credential checks, so a registry
// client that sends Basic on every request does not pay argon2id each time.
//
// Entries are keyed by SHA-256 of username and password (the password itself is never
// stored). Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/auth.h"

namespace berth::auth {

class CredentialCache {
 public:
  using Clock = std::chrono::steady_clock;

  CredentialCache(std::chrono::seconds ttl, size_t capacity) : ttl_(ttl), capacity_(capacity) {}

  // The identity cached for these credentials, when present and fresh at `now`.
  std::optional<Identity> Lookup(std::string_view username, std::string_view password,
                                 Clock::time_point now = Clock::now());
  // Remembers a successful check. When full, expired entries are dropped first, then
  // everything (the cache only saves work, it never decides).
  void Remember(std::string_view username, std::string_view password, const Identity& identity,
                Clock::time_point now = Clock::now());
  // Drops everything (after a password change, user deletion or role change).
  void Clear();
  size_t size() const;

 private:
  struct Entry {
    Identity identity;
    Clock::time_point expires;
  };
  static std::string Key(std::string_view username, std::string_view password);

  const std::chrono::seconds ttl_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace berth::auth
