// The pure parts of registry authentication: WWW-Authenticate parsing, the token scopes a
// request needs, the token response, and the token cache. No I/O.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace berth::remote {

struct Challenge {
  std::string scheme;                         // lowercase: "bearer", "basic", ...
  std::map<std::string, std::string> params;  // lowercase keys, unquoted values
  std::string Param(const std::string& key) const;
};

// Parses one or more WWW-Authenticate header values: `Scheme k=v, k="v, with comma"`,
// several challenges separated by commas. Malformed pieces are skipped.
std::vector<Challenge> ParseChallenges(std::string_view header);

// The challenge to use: Bearer over Basic; nullopt when neither is offered.
std::optional<Challenge> PickChallenge(const std::vector<Challenge>& challenges);

// Token scopes for `method` on `path_and_query` (a registry URL path such as
// "/prefix/v2/repo/blobs/uploads/?mount=..&from=.."):
// repository:<name>:pull (GET/HEAD), pull,push (POST/PUT/PATCH), * (DELETE); a mount adds
// repository:<from>:pull; /v2/_catalog is registry:catalog:*; /v2/ needs none.
std::vector<std::string> ScopesFor(std::string_view method, std::string_view path,
                                   std::string_view query);

using Clock = std::chrono::system_clock;

struct Token {
  std::string value;
  Clock::time_point expires;  // already reduced by the skew
};

inline constexpr std::chrono::seconds kTokenSkew{10};
inline constexpr std::chrono::seconds kDefaultTokenLifetime{60};

// Parses a token endpoint reply: `token` or `access_token`, `expires_in` (default 60 s),
// `issued_at` (RFC 3339). The lifetime counts from issued_at when it is within 5 minutes
// of `now` (clocks agree), else from `now`. kBadRequest when no token is present.
Result<Token> ParseTokenResponse(std::string_view body, Clock::time_point now);

// Tokens keyed by scope set. Thread-safe. Holds at most `capacity` entries: on insert,
// expired ones are dropped first, then the one expiring soonest.
class TokenCache {
 public:
  explicit TokenCache(size_t capacity = 100) : capacity_(capacity) {}
  std::optional<std::string> Get(const std::string& key, Clock::time_point now) const;
  // Ignores tokens that are already expired at `now`.
  void Put(const std::string& key, Token token, Clock::time_point now);
  void Drop(const std::string& key);
  size_t size() const;

 private:
  size_t capacity_;
  mutable std::mutex mutex_;
  std::map<std::string, Token> tokens_;
};

// The cache key of a scope list (joined by spaces).
std::string ScopeKey(const std::vector<std::string>& scopes);

}  // namespace berth::remote
