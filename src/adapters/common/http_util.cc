#include "adapters/common/http_util.h"

#include <openssl/evp.h>

#include <cctype>
#include <vector>

namespace berth::adapters {

std::string BasicAuthorization(std::string_view user, std::string_view password) {
  std::string pair(user);
  pair += ':';
  pair += password;
  return "Basic " + Base64Encode(pair);
}

std::string UrlOrigin(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  size_t path = url.find_first_of("/?#", scheme + 3);
  return std::string(url.substr(0, path));
}

std::optional<std::string> NextLink(const remote::HttpResponse& response, std::string_view url) {
  auto link = response.Header("Link");
  if (!link) return std::nullopt;
  // Entries "<target>; rel=\"next\"" separated by commas.
  std::string_view rest = *link;
  while (!rest.empty()) {
    size_t open = rest.find('<');
    if (open == std::string_view::npos) break;
    size_t close = rest.find('>', open);
    if (close == std::string_view::npos) break;
    std::string_view target = rest.substr(open + 1, close - open - 1);
    size_t next_entry = rest.find('<', close);
    std::string_view params =
        rest.substr(close + 1, next_entry == std::string_view::npos ? std::string_view::npos
                                                                    : next_entry - close - 1);
    if (params.find("rel=\"next\"") != std::string_view::npos ||
        params.find("rel=next") != std::string_view::npos) {
      if (target.find("://") != std::string_view::npos) return std::string(target);
      if (!target.empty() && target.front() == '/') return UrlOrigin(url) + std::string(target);
      std::string base(url.substr(0, url.find('?')));
      return base.substr(0, base.rfind('/') + 1) + std::string(target);
    }
    if (next_entry == std::string_view::npos) break;
    rest = rest.substr(next_entry);
  }
  return std::nullopt;
}

std::string ChallengeParam(std::string_view challenge, std::string_view param) {
  std::string key = std::string(param) + "=";
  size_t pos = 0;
  while ((pos = challenge.find(key, pos)) != std::string_view::npos) {
    bool boundary = pos == 0 || challenge[pos - 1] == ' ' || challenge[pos - 1] == ',';
    pos += key.size();
    if (!boundary) continue;
    if (pos < challenge.size() && challenge[pos] == '"') {
      size_t end = challenge.find('"', pos + 1);
      return std::string(challenge.substr(
          pos + 1, end == std::string_view::npos ? std::string_view::npos : end - pos - 1));
    }
    size_t end = challenge.find(',', pos);
    return std::string(
        challenge.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
  }
  return {};
}

Error ApiError(const remote::HttpResponse& response, std::string_view what) {
  ErrorCode code = ErrorCode::kBadRequest;
  std::string hint;
  switch (response.status) {
    case 401:
      code = ErrorCode::kUnauthorized;
      hint = ": check the access key and secret";
      break;
    case 403:
      code = ErrorCode::kForbidden;
      hint = ": the credentials lack the permission";
      break;
    case 404:
      code = ErrorCode::kNotFound;
      break;
    case 429:
      code = ErrorCode::kTooManyRequests;
      hint = ": rate limited, retry later";
      break;
    default:
      break;
  }
  std::string excerpt = response.body.substr(0, 200);
  for (char& c : excerpt)
    if (c == '\n' || c == '\r') c = ' ';
  std::string message =
      std::string(what) + " answered HTTP " + std::to_string(response.status) + hint;
  if (!excerpt.empty()) message += " (" + excerpt + ")";
  return MakeError(code, std::move(message));
}

Result<nlohmann::json> ParseJsonBody(const remote::HttpResponse& response, std::string_view what) {
  auto json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded())
    return Fail(ErrorCode::kBadRequest, std::string(what) + " did not answer with JSON");
  return json;
}

}  // namespace berth::adapters
