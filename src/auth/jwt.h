// Docker registry bearer tokens: RS256 JWTs with the Docker token-auth claims.
//
// Header: {"typ":"JWT","alg":"RS256","kid":<libtrust key id>,"x5c":[<cert DER base64>]}.
// Claims: iss, sub, aud, exp, nbf, iat, jti, access:[{type,name,actions}].
// Pure functions over a SigningKey; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth.h"
#include "auth/signing_key.h"
#include "common/error.h"

namespace berth::auth {

struct TokenClaims {
  std::string issuer;
  std::string subject;  // username; "" for anonymous
  std::string audience;
  int64_t issued_at = 0;  // seconds since the epoch
  int64_t not_before = 0;
  int64_t expires_at = 0;
  std::string id;  // jti
  std::vector<Scope> access;
};

// Clock skew tolerated on exp/nbf, in seconds.
inline constexpr int64_t kClockLeewaySeconds = 60;

// base64url without padding, and its inverse (std::nullopt on invalid input).
std::string Base64UrlEncode(std::string_view data);
std::optional<std::string> Base64UrlDecode(std::string_view text);
// Standard base64 decoding, padding optional (HTTP Basic credentials).
std::optional<std::string> Base64Decode(std::string_view text);

// Signs `claims` into a compact JWT. INTERNAL only on crypto failure.
Result<std::string> EncodeJwt(const SigningKey& key, const TokenClaims& claims);

// Verifies signature (RS256 by `key`), exp and nbf against `now` (with leeway), aud
// (string or array containing `audience`) and iss. UNAUTHORIZED with a message naming
// what is wrong ("token has expired", "token audience ... ") otherwise.
Result<TokenClaims> DecodeJwt(const SigningKey& key, std::string_view token,
                              std::string_view audience, std::string_view issuer, int64_t now);

}  // namespace berth::auth
