#include "auth/jwt.h"

#include <array>
#include <nlohmann/json.hpp>

namespace berth::auth {
namespace {

using nlohmann::json;

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Encode(std::string_view data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6) out += alphabet[(v >> s) & 63];
  }
  size_t rest = data.size() - i;
  if (rest == 1) {
    uint32_t v = byte(i) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

std::optional<std::string> Decode(std::string_view text, const char* alphabet) {
  std::array<int, 256> value{};
  value.fill(-1);
  for (int k = 0; k < 64; ++k) value[static_cast<unsigned char>(alphabet[k])] = k;
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = value[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

std::unexpected<Error> Unauthorized(std::string message) {
  return Fail(ErrorCode::kUnauthorized, std::move(message));
}

}  // namespace

std::string Base64UrlEncode(std::string_view data) { return Encode(data, kUrl, false); }
std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.find('=') != std::string_view::npos) return std::nullopt;
  return Decode(text, kUrl);
}
std::optional<std::string> Base64Decode(std::string_view text) { return Decode(text, kStd); }

Result<std::string> EncodeJwt(const SigningKey& key, const TokenClaims& claims) {
  json header = {{"typ", "JWT"},
                 {"alg", "RS256"},
                 {"kid", key.KeyId()},
                 {"x5c", json::array({key.CertificateDerBase64()})}};
  json access = json::array();
  for (const auto& scope : claims.access) {
    access.push_back(
        {{"type", scope.type},
         {"name", scope.name},
         {"actions", json(std::vector<std::string>(scope.actions.begin(), scope.actions.end()))}});
  }
  json body = {{"iss", claims.issuer},     {"sub", claims.subject},    {"aud", claims.audience},
               {"exp", claims.expires_at}, {"nbf", claims.not_before}, {"iat", claims.issued_at},
               {"jti", claims.id},         {"access", access}};
  std::string signing_input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(body.dump());
  auto signature = key.Sign(signing_input);
  if (!signature) return Fail(signature.error());
  return signing_input + "." + Base64UrlEncode(*signature);
}

Result<TokenClaims> DecodeJwt(const SigningKey& key, std::string_view token,
                              std::string_view audience, std::string_view issuer, int64_t now) {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Unauthorized("malformed bearer token");
  }
  auto header_text = Base64UrlDecode(token.substr(0, dot1));
  auto body_text = Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = Base64UrlDecode(token.substr(dot2 + 1));
  if (!header_text || !body_text || !signature) return Unauthorized("malformed bearer token");
  json header = json::parse(*header_text, nullptr, false);
  json body = json::parse(*body_text, nullptr, false);
  if (!header.is_object() || !body.is_object()) return Unauthorized("malformed bearer token");
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || *alg != "RS256") {
    return Unauthorized("unsupported token algorithm");
  }
  if (!key.Verify(token.substr(0, dot2), *signature)) {
    return Unauthorized("invalid token signature");
  }

  TokenClaims claims;
  try {
    claims.issuer = body.value("iss", "");
    claims.subject = body.value("sub", "");
    claims.id = body.value("jti", "");
    claims.issued_at = body.value("iat", int64_t{0});
    claims.not_before = body.value("nbf", int64_t{0});
    if (!body.contains("exp") || !body["exp"].is_number()) {
      return Unauthorized("token has no expiry");
    }
    claims.expires_at = body["exp"].get<int64_t>();
    const json& aud = body.contains("aud") ? body["aud"] : json();
    if (aud.is_string() && aud.get<std::string>() == audience) {
      claims.audience = aud.get<std::string>();
    } else if (aud.is_array()) {
      for (const auto& a : aud) {
        if (a.is_string() && a.get<std::string>() == audience) claims.audience = a;
      }
    }
    if (body.contains("access") && body["access"].is_array()) {
      for (const auto& entry : body["access"]) {
        Scope scope;
        scope.type = entry.value("type", "");
        scope.name = entry.value("name", "");
        if (entry.contains("actions") && entry["actions"].is_array()) {
          for (const auto& a : entry["actions"]) {
            if (a.is_string()) scope.actions.insert(a.get<std::string>());
          }
        }
        claims.access.push_back(std::move(scope));
      }
    }
  } catch (const json::exception&) {
    return Unauthorized("malformed token claims");
  }
  if (claims.audience.empty()) {
    return Unauthorized("token audience does not include \"" + std::string(audience) + "\"");
  }
  if (claims.issuer != issuer) {
    return Unauthorized("token issuer \"" + claims.issuer + "\" is not trusted");
  }
  if (now >= claims.expires_at + kClockLeewaySeconds) return Unauthorized("token has expired");
  if (now + kClockLeewaySeconds < claims.not_before) return Unauthorized("token is not valid yet");
  return claims;
}

}  // namespace berth::auth
