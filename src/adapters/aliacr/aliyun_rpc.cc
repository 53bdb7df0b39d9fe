#include "adapters/aliacr/aliyun_rpc.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <regex>

#include "common/base64.h"
#include "common/digest.h"

namespace berth::adapters::aliacr {
namespace {

constexpr std::string_view kApiVersion = "2018-12-01";
constexpr std::string_view kServicePrefix = "registry.aliyuncs.com:";
constexpr auto kRefreshBefore = std::chrono::minutes(1);

std::string Timestamp(std::chrono::system_clock::time_point now) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool IsCredentialCode(std::string_view code) {
  return code == "SignatureDoesNotMatch" || code == "IncompleteSignature" ||
         code.starts_with("InvalidAccessKeyId") || code == "InvalidTimeStamp.Expired" ||
         code == "SignatureNonceUsed" || code == "InvalidSecurityToken.Expired";
}

}  // namespace

std::string AliyunPercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string AliyunStringToSign(std::string_view method, Params params) {
  for (auto& [k, v] : params) {
    k = AliyunPercentEncode(k);
    v = AliyunPercentEncode(v);
  }
  std::sort(params.begin(), params.end());
  std::string canonical;
  for (const auto& [k, v] : params) {
    if (!canonical.empty()) canonical += "&";
    canonical += k + "=" + v;
  }
  return std::string(method) + "&" + AliyunPercentEncode("/") + "&" +
         AliyunPercentEncode(canonical);
}

std::string AliyunSignature(std::string_view access_key_secret, std::string_view string_to_sign) {
  std::string key = std::string(access_key_secret) + "&";
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(string_to_sign.data()), string_to_sign.size(), out,
       &out_len);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(out), out_len));
}

Result<AcrLocation> ParseAcrUrl(std::string_view url) {
  static const std::regex kPersonal(
      R"(^https://registry(-vpc|-internal)?\.([a-z0-9-]+)\.aliyuncs\.com/?$)");
  static const std::regex kEnterprise(
      R"(^https://([a-z0-9][a-z0-9-]*)-registry(-vpc)?\.([a-z0-9-]+)\.cr\.aliyuncs\.com/?$)");
  static const std::regex kApi(R"(^https://cr\.([a-z0-9-]+)\.aliyuncs\.com/?$)");
  std::match_results<std::string_view::const_iterator> m;
  AcrLocation loc;
  std::string text(url);
  while (!text.empty() && text.back() == '/') text.pop_back();
  if (std::regex_match(url.begin(), url.end(), m, kPersonal)) {
    loc.region = m[2].str();
    loc.registry_url = text;
  } else if (std::regex_match(url.begin(), url.end(), m, kEnterprise)) {
    loc.instance_name = m[1].str();
    loc.region = m[3].str();
    loc.registry_url = text;
  } else if (std::regex_match(url.begin(), url.end(), m, kApi)) {
    loc.region = m[1].str();
    loc.registry_url = "https://registry." + loc.region + ".aliyuncs.com";
  } else {
    return Fail(ErrorCode::kBadRequest,
                "ali-acr URL must be an ACR registry host: https://registry[-vpc|-internal]."
                "<region>.aliyuncs.com or https://<instance>-registry[-vpc].<region>.cr."
                "aliyuncs.com, got '" +
                    std::string(url) + "'");
  }
  loc.api_url = "https://cr." + loc.region + ".aliyuncs.com";
  return loc;
}

AcrApi::AcrApi(AcrLocation location, std::string access_key_id, std::string access_key_secret,
               std::shared_ptr<remote::DistributionClient> http, Clock clock)
    : location_(std::move(location)),
      access_key_id_(std::move(access_key_id)),
      access_key_secret_(std::move(access_key_secret)),
      http_(std::move(http)),
      clock_(std::move(clock)) {}

Result<AcrRegistryIdentity> AcrApi::Identify() {
  {
    std::lock_guard lock(mu_);
    if (identity_) return *identity_;
  }
  remote::HttpRequest req;
  req.url = location_.registry_url + "/v2/";
  auto response = http_->Do(req);
  if (!response) {
    Error e = std::move(response).error();
    e.message = location_.registry_url + ": " + e.message;
    return Fail(std::move(e));
  }
  const std::string challenge = response->Header("WWW-Authenticate").value_or("");
  static const std::regex kService(R"re(service="([^"]*)")re", std::regex::icase);
  std::smatch m;
  std::string service;
  if (challenge.size() >= 6 &&
      std::equal(challenge.begin(), challenge.begin() + 6, "Bearer",
                 [](char a, char b) { return std::tolower(a) == std::tolower(b); }) &&
      std::regex_search(challenge, m, kService)) {
    service = m[1].str();
  }
  if (response->status != 401 || !service.starts_with(kServicePrefix)) {
    return Fail(
        ErrorCode::kBadRequest,
        location_.registry_url + " is not an Alibaba Cloud ACR registry (its /v2/ answered HTTP " +
            std::to_string(response->status) +
            (challenge.empty() ? " without a challenge" : " with '" + challenge + "'") + ")");
  }
  AcrRegistryIdentity identity;
  identity.service = service;
  const std::string last = service.substr(service.rfind(':') + 1);
  if (last.starts_with("cri-")) identity.instance_id = last;
  std::lock_guard lock(mu_);
  identity_ = identity;
  return identity;
}

Result<std::string> AcrApi::Call(std::string_view action, Params params) {
  params.emplace_back("Action", std::string(action));
  params.emplace_back("Version", std::string(kApiVersion));
  params.emplace_back("Format", "JSON");
  params.emplace_back("AccessKeyId", access_key_id_);
  params.emplace_back("SignatureMethod", "HMAC-SHA1");
  params.emplace_back("SignatureVersion", "1.0");
  params.emplace_back("SignatureNonce", RandomHex(16));
  params.emplace_back("Timestamp", Timestamp(clock_()));
  params.emplace_back("RegionId", location_.region);
  const std::string signature =
      AliyunSignature(access_key_secret_, AliyunStringToSign("GET", params));
  std::string query;
  for (const auto& [k, v] : params) {
    query += (query.empty() ? "" : "&") + AliyunPercentEncode(k) + "=" + AliyunPercentEncode(v);
  }
  query += "&Signature=" + AliyunPercentEncode(signature);

  remote::HttpRequest req;
  req.url = location_.api_url + "/?" + query;
  auto response = http_->Do(req);
  if (!response) {
    Error e = std::move(response).error();
    e.message = "Alibaba Cloud CR API " + location_.api_url + ": " + e.message;
    return Fail(std::move(e));
  }
  auto json = nlohmann::json::parse(response->body, nullptr, false);
  std::string code;
  std::string message;
  if (json.is_object()) {
    code = json.value("Code", "");
    message = json.value("Message", "");
  }
  const bool failed = response->status / 100 != 2 ||
                      (json.is_object() && json.contains("IsSuccess") &&
                       json["IsSuccess"].is_boolean() && !json["IsSuccess"].get<bool>());
  if (!failed) return std::move(response->body);
  if (code.empty()) code = "HTTP " + std::to_string(response->status);
  const std::string what = code + (message.empty() ? "" : ": " + message);
  if (IsCredentialCode(code)) {
    return Fail(ErrorCode::kUnauthorized, "Alibaba Cloud rejected the AccessKey (" + what +
                                              "): check AccessKey ID and AccessKey Secret");
  }
  if (code.starts_with("Forbidden") || code == "NoPermission" || response->status == 403) {
    return Fail(ErrorCode::kDenied, "Alibaba Cloud denied cr:" + std::string(action) + " (" + what +
                                        "): grant the RAM user access to the registry");
  }
  if (code == "Throttling" || code.starts_with("Throttling.") || response->status == 429) {
    return Fail(ErrorCode::kTooManyRequests,
                "Alibaba Cloud throttled " + std::string(action) + " (" + what + ")");
  }
  return Fail(ErrorCode::kInternal,
              "Alibaba Cloud CR " + std::string(action) + " failed (" + what + ")");
}

Result<AcrToken> AcrApi::GetAuthorizationToken() {
  auto identity = Identify();
  if (!identity) return Fail(std::move(identity).error());
  Params params;
  if (!identity->instance_id.empty()) params.emplace_back("InstanceId", identity->instance_id);
  auto body = Call("GetAuthorizationToken", std::move(params));
  if (!body) return Fail(std::move(body).error());
  auto json = nlohmann::json::parse(*body, nullptr, false);
  if (!json.is_object() || !json.contains("AuthorizationToken") ||
      !json["AuthorizationToken"].is_string()) {
    return Fail(ErrorCode::kInternal, "Alibaba Cloud GetAuthorizationToken returned no token");
  }
  AcrToken token;
  token.username = json.value("TempUsername", "cr_temp_user");
  token.password = json["AuthorizationToken"].get<std::string>();
  int64_t expire_ms = 0;
  if (json.contains("ExpireTime") && json["ExpireTime"].is_number())
    expire_ms = json["ExpireTime"].get<int64_t>();
  token.expires_at =
      expire_ms > 0 ? std::chrono::system_clock::time_point(std::chrono::milliseconds(expire_ms))
                    : clock_() + std::chrono::hours(1);
  return token;
}

Result<std::vector<std::string>> AcrApi::ListRepository() {
  auto identity = Identify();
  if (!identity) return Fail(std::move(identity).error());
  std::vector<std::string> names;
  constexpr int kPageSize = 100;
  for (int page = 1; page < 100000; ++page) {
    Params params = {{"RepoStatus", "ALL"},
                     {"PageNo", std::to_string(page)},
                     {"PageSize", std::to_string(kPageSize)}};
    if (!identity->instance_id.empty()) params.emplace_back("InstanceId", identity->instance_id);
    auto body = Call("ListRepository", std::move(params));
    if (!body) return Fail(std::move(body).error());
    auto json = nlohmann::json::parse(*body, nullptr, false);
    if (!json.is_object())
      return Fail(ErrorCode::kInternal, "Alibaba Cloud ListRepository returned invalid JSON");
    auto repos = json.value("Repositories", nlohmann::json::array());
    for (const auto& repo : repos) {
      if (!repo.is_object()) continue;
      std::string ns = repo.value("RepoNamespaceName", "");
      std::string name = repo.value("RepoName", "");
      if (!name.empty()) names.push_back(ns.empty() ? name : ns + "/" + name);
    }
    int64_t total = 0;
    if (json.contains("TotalCount")) {
      const auto& t = json["TotalCount"];
      if (t.is_number()) total = t.get<int64_t>();
      if (t.is_string()) total = std::atoll(t.get<std::string>().c_str());
    }
    // TotalCount ends the listing (the service may cap PageSize); without it a short
    // page does.
    if (repos.empty()) break;
    if (total > 0 ? static_cast<int64_t>(names.size()) >= total
                  : repos.size() < static_cast<size_t>(kPageSize)) {
      break;
    }
  }
  return names;
}

AcrCredentialProvider::AcrCredentialProvider(std::shared_ptr<AcrApi> api, Clock clock)
    : api_(std::move(api)), clock_(std::move(clock)) {}

Result<remote::BasicCredential> AcrCredentialProvider::Get() {
  if (!api_->has_credentials()) return remote::BasicCredential{};
  std::lock_guard lock(mu_);
  if (!cached_ || clock_() >= cached_->expires_at - kRefreshBefore) {
    auto token = api_->GetAuthorizationToken();
    if (!token) return Fail(std::move(token).error());
    cached_ = *token;
  }
  return remote::BasicCredential{cached_->username, cached_->password};
}

void AcrCredentialProvider::Invalidate() {
  std::lock_guard lock(mu_);
  cached_.reset();
}

}  // namespace berth::adapters::aliacr
