// Turns an unexpected registry answer into an Error a user can act on. Pure.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "remote/distribution_client.h"

namespace berth::remote {

// "CODE: message; CODE2: message2" from an OCI/Harbor error body, or empty.
std::string RemoteErrorText(std::string_view body);

// The Error for a non-success `response` from `where` (host:port) while doing `what`
// ("manifest repo:tag"). 401 → kUnauthorized, 403 → kDenied, 404 → the remote's OCI code
// when known else `not_found`, 416 → kRangeInvalid, 429 → kTooManyRequests, 5xx (but 501)
// → kUnavailable, others → the remote's OCI code for 4xx, else kBadRequest.
// `had_credentials` picks the 401 wording. A Retry-After on a 429/503 is kept in
// Error::detail as "retry-after=<seconds>".
Error HttpError(const HttpResponse& response, std::string_view where, std::string_view what,
                ErrorCode not_found, bool had_credentials);

// Whether an answer with `status` is worth sending again (429, 5xx but 501).
bool RetryableStatus(int status);

// The delay a Retry-After header (delta-seconds or HTTP-date, relative to `now`) asks
// for; std::nullopt when the header is absent or unreadable.
std::optional<std::chrono::seconds> ParseRetryAfter(
    const HttpResponse& response,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace berth::remote
