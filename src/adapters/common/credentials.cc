#include "adapters/common/credentials.h"

#include <string>

namespace berth::adapters {

Status RequireKeyWithSecret(const Endpoint& endpoint, std::string_view secret_missing,
                            std::string_view key_missing) {
  const bool has_key = !endpoint.access_key.empty();
  const bool has_secret = !endpoint.access_secret.empty();
  if (has_key && !has_secret) return Fail(ErrorCode::kBadRequest, std::string(secret_missing));
  if (has_secret && !has_key) return Fail(ErrorCode::kBadRequest, std::string(key_missing));
  return Ok();
}

}  // namespace berth::adapters
