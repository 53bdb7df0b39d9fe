// Turns an unexpected registry answer into an Error a user can act on. Pure.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "remote/distribution_client.h"

namespace berth::remote {

// "CODE: message; CODE2: message2" from an OCI/Harbor error body, or empty.
std::string RemoteErrorText(std::string_view body);

// The Error for a non-success `response` from `where` (host:port) while doing `what`
// ("manifest repo:tag"). 401 → kUnauthorized, 403 → kDenied, 404 → the remote's OCI code
// when known else `not_found`, 429 → kTooManyRequests, 5xx and others → kBadRequest (or the
// remote's OCI code for 4xx). `had_credentials` picks the 401 wording.
Error HttpError(const HttpResponse& response, std::string_view where, std::string_view what,
                ErrorCode not_found, bool had_credentials);

}  // namespace berth::remote
