// Standard base64 (RFC 4648 §4, with padding) over OpenSSL's EVP block codec.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth {

std::string Base64Encode(std::string_view data);
// std::nullopt when `text` is not padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace berth
