#include "remote/http_errors.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>

namespace berth::remote {
namespace {

constexpr std::pair<std::string_view, ErrorCode> kRemoteCodes[] = {
    {"BLOB_UNKNOWN", ErrorCode::kBlobUnknown},
    {"BLOB_UPLOAD_INVALID", ErrorCode::kBlobUploadInvalid},
    {"BLOB_UPLOAD_UNKNOWN", ErrorCode::kBlobUploadUnknown},
    {"DIGEST_INVALID", ErrorCode::kDigestInvalid},
    {"MANIFEST_BLOB_UNKNOWN", ErrorCode::kManifestBlobUnknown},
    {"MANIFEST_INVALID", ErrorCode::kManifestInvalid},
    {"MANIFEST_UNKNOWN", ErrorCode::kManifestUnknown},
    {"NAME_INVALID", ErrorCode::kNameInvalid},
    {"NAME_UNKNOWN", ErrorCode::kNameUnknown},
    {"SIZE_INVALID", ErrorCode::kSizeInvalid},
    {"UNSUPPORTED", ErrorCode::kUnsupported},
    {"PAGINATION_NUMBER_INVALID", ErrorCode::kPaginationNumberInvalid},
    {"TAG_INVALID", ErrorCode::kManifestInvalid},
    {"MANIFEST_UNVERIFIED", ErrorCode::kManifestInvalid},
};

// The first remote error code of the body, or empty.
std::string FirstRemoteCode(std::string_view body) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object()) return {};
  auto errors = json.find("errors");
  if (errors == json.end() || !errors->is_array() || errors->empty()) return {};
  const auto& first = errors->front();
  if (!first.is_object() || !first.contains("code") || !first["code"].is_string()) return {};
  return first["code"].get<std::string>();
}

std::string RetryDetail(const HttpResponse& response) {
  std::optional<std::chrono::seconds> after = ParseRetryAfter(response);
  return after ? "retry-after=" + std::to_string(after->count()) : std::string();
}

}  // namespace

bool RetryableStatus(int status) { return status == 429 || (status >= 500 && status != 501); }

std::optional<std::chrono::seconds> ParseRetryAfter(const HttpResponse& response,
                                                    std::chrono::system_clock::time_point now) {
  std::optional<std::string> value = response.Header("Retry-After");
  if (!value || value->empty()) return std::nullopt;
  const std::string& text = *value;
  if (std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(c) != 0; })) {
    if (text.size() > 9) return std::chrono::seconds(999999999);
    return std::chrono::seconds(std::atoll(text.c_str()));
  }
  time_t when = curl_getdate(text.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  auto delta = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::from_time_t(when) - now);
  return std::max(delta, std::chrono::seconds(0));
}

std::optional<std::chrono::seconds> RetryAfter(const Error& error) {
  constexpr std::string_view kKey = "retry-after=";
  size_t at = error.detail.find(kKey);
  if (at == std::string::npos) return std::nullopt;
  const char* digits = error.detail.c_str() + at + kKey.size();
  if (!std::isdigit(static_cast<unsigned char>(*digits))) return std::nullopt;
  return std::chrono::seconds(std::atoll(digits));
}

std::string RemoteErrorText(std::string_view body) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object()) return {};
  auto errors = json.find("errors");
  if (errors == json.end() || !errors->is_array()) return {};
  std::string out;
  for (const auto& e : *errors) {
    if (!e.is_object()) continue;
    std::string code =
        e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
    std::string message =
        e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
    if (code.empty() && message.empty()) continue;
    if (!out.empty()) out += "; ";
    out += code.empty() ? message : message.empty() ? code : code + ": " + message;
    if (out.size() > 500) {
      out.resize(500);
      break;
    }
  }
  return out;
}

Error HttpError(const HttpResponse& response, std::string_view where, std::string_view what,
                ErrorCode not_found, bool had_credentials) {
  const int status = response.status;
  const std::string remote = RemoteErrorText(response.body);
  const std::string suffix = remote.empty() ? "" : " [" + remote + "]";
  const std::string host(where);
  const std::string code_text = FirstRemoteCode(response.body);
  std::optional<ErrorCode> remote_code;
  for (const auto& [wire, code] : kRemoteCodes) {
    if (wire == code_text) remote_code = code;
  }

  if (status == 401) {
    if (had_credentials) {
      return MakeError(ErrorCode::kUnauthorized,
                       host +
                           " rejected the credentials (401): check the username and "
                           "password/token" +
                           suffix);
    }
    return MakeError(
        ErrorCode::kUnauthorized,
        host + " requires authentication (401): set a username and password/token" + suffix);
  }
  if (status == 403) {
    return MakeError(ErrorCode::kDenied, host + " denied access to " + std::string(what) +
                                             " (403): the account lacks the permission" + suffix);
  }
  if (status == 404) {
    return MakeError(remote_code.value_or(not_found),
                     std::string(what) + " not found on " + host + " (404)" + suffix);
  }
  if (status == 429) {
    std::string retry = response.Header("Retry-After").value_or("");
    return MakeError(ErrorCode::kTooManyRequests,
                     host + " is rate limiting requests (429): try again " +
                         (retry.empty() ? "later" : "in " + retry + " s") + suffix,
                     RetryDetail(response));
  }
  if (status >= 500) {
    return MakeError(RetryableStatus(status) ? ErrorCode::kUnavailable : ErrorCode::kBadRequest,
                     host + " answered " + std::to_string(status) + " (server error) to " +
                         std::string(what) + suffix,
                     status == 503 ? RetryDetail(response) : std::string());
  }
  if (status == 416) {
    return MakeError(ErrorCode::kRangeInvalid,
                     host + " refused the byte range of " + std::string(what) + " (416)" + suffix);
  }
  if (status == 400 && response.body.find("HTTP request to an HTTPS server") != std::string::npos) {
    return MakeError(ErrorCode::kBadRequest, host + " serves HTTPS: use an https:// URL");
  }
  return MakeError(
      remote_code.value_or(ErrorCode::kBadRequest),
      host + " answered " + std::to_string(status) + " to " + std::string(what) + suffix);
}

}  // namespace berth::remote
