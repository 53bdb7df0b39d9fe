// Small HTTP helpers the providers share for their REST APIs (not the /v2/ data plane,
// which DistributionClient owns). Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/base64.h"
#include "common/error.h"
#include "common/percent_encoding.h"
#include "remote/distribution_client.h"

namespace berth::adapters {

// "Basic base64(user:password)".
std::string BasicAuthorization(std::string_view user, std::string_view password);
// "scheme://host[:port]" of an absolute URL; empty when `url` is not absolute.
std::string UrlOrigin(std::string_view url);
// The rel="next" target of a Link header, made absolute against `url` (the request URL);
// nullopt when there is none.
std::optional<std::string> NextLink(const remote::HttpResponse& response, std::string_view url);
// The value of `param` (e.g. realm) in a WWW-Authenticate challenge; empty when absent.
std::string ChallengeParam(std::string_view challenge, std::string_view param);

// An error for a provider API answer that was not expected: 401 → kUnauthorized,
// 403 → kForbidden, 404 → kNotFound, 429 → kTooManyRequests, else kBadRequest; the
// message names `what` and the status, plus a short excerpt of the body.
Error ApiError(const remote::HttpResponse& response, std::string_view what);
// The JSON body of `response`; kBadRequest naming `what` when it is not JSON.
Result<nlohmann::json> ParseJsonBody(const remote::HttpResponse& response, std::string_view what);

}  // namespace berth::adapters
