// Percent-encoding for URL paths and query values (RFC 3986 §2.1).
#pragma once

#include <string>
#include <string_view>

namespace berth {

// Percent-encodes every byte but the unreserved characters (ALPHA, DIGIT, "-", ".", "_",
// "~"), with upper-case hex digits: safe as a path segment or a query name or value.
std::string PercentEncode(std::string_view text);

}  // namespace berth
