// Credential checks the providers share when an endpoint is created or updated.
#pragma once

#include <string_view>

#include "adapters/adapter.h"
#include "common/error.h"

namespace berth::adapters {

// The rule for providers whose credential is a key and its secret: both or neither.
// BAD_REQUEST with `secret_missing` when only access_key is given, with `key_missing`
// when only access_secret is given; each message starts with the field it names.
Status RequireKeyWithSecret(const Endpoint& endpoint, std::string_view secret_missing,
                            std::string_view key_missing);

}  // namespace berth::adapters
