#include "adapters/ecr/ecr_api.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "common/base64.h"

namespace berth::adapters::ecr {
namespace {

constexpr std::string_view kTargetPrefix = "AmazonEC2ContainerRegistry_V20150921.";
constexpr auto kRefreshBefore = std::chrono::minutes(5);

// Error types that mean the key id, the secret or the signature is wrong.
bool IsCredentialError(std::string_view type) {
  return type == "UnrecognizedClientException" || type == "InvalidSignatureException" ||
         type == "IncompleteSignatureException" || type == "SignatureDoesNotMatch" ||
         type == "MissingAuthenticationTokenException" || type == "InvalidClientTokenId" ||
         type == "ExpiredTokenException";
}

}  // namespace

Result<EcrLocation> ParseEcrUrl(std::string_view url) {
  static const std::regex kPattern(
      R"(^https://(api|([0-9]{12})\.dkr)\.ecr(-fips)?\.([a-z]{2}(-[a-z]+)+-[0-9]+)\.amazonaws\.com(\.cn)?/?$)");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_match(url.begin(), url.end(), m, kPattern)) {
    return Fail(ErrorCode::kBadRequest,
                "aws-ecr URL must look like https://api.ecr.<region>.amazonaws.com or "
                "https://<account-id>.dkr.ecr.<region>.amazonaws.com (.com.cn in China), got '" +
                    std::string(url) + "'");
  }
  EcrLocation loc;
  loc.region = m[4].str();
  loc.account = m[2].str();
  const std::string suffix = ".ecr" + m[3].str() + "." + loc.region + ".amazonaws.com" + m[6].str();
  loc.api_host = "api" + suffix;
  loc.api_url = "https://" + loc.api_host;
  if (!loc.account.empty()) loc.registry_url = "https://" + loc.account + ".dkr" + suffix;
  return loc;
}

EcrApi::EcrApi(EcrLocation location, AwsCredentials credentials,
               std::shared_ptr<remote::DistributionClient> http, Clock clock)
    : location_(std::move(location)),
      credentials_(std::move(credentials)),
      http_(std::move(http)),
      clock_(std::move(clock)) {}

Result<EcrApi::Reply> EcrApi::Call(std::string_view action, std::string body) const {
  SigV4Request req;
  req.method = "POST";
  req.host = location_.api_host;
  req.path = "/";
  req.headers = {{"content-type", "application/x-amz-json-1.1"},
                 {"x-amz-target", std::string(kTargetPrefix) + std::string(action)}};
  req.body = body;
  SigV4Signature sig = SignV4(req, credentials_, location_.region, "ecr", clock_());

  remote::HttpRequest http;
  http.method = "POST";
  http.url = location_.api_url + "/";
  http.headers = req.headers;
  http.headers.emplace_back("X-Amz-Date", sig.amz_date);
  if (!credentials_.session_token.empty())
    http.headers.emplace_back("X-Amz-Security-Token", credentials_.session_token);
  http.headers.emplace_back("Authorization", sig.authorization);
  http.body = std::move(body);
  auto response = http_->Do(http);
  if (!response) {
    Error e = std::move(response).error();
    e.message = "ECR API " + location_.api_host + ": " + e.message;
    return Fail(std::move(e));
  }
  Reply reply;
  reply.status = response->status;
  reply.body = std::move(response->body);
  if (reply.status / 100 == 2) return reply;
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (json.is_object()) {
    reply.error_type = json.value("__type", "");
    reply.message = json.value("message", json.value("Message", ""));
  }
  if (reply.error_type.empty()) {
    reply.error_type = response->Header("x-amzn-ErrorType").value_or("");
  }
  if (auto hash = reply.error_type.find('#'); hash != std::string::npos)
    reply.error_type.erase(0, hash + 1);
  if (auto colon = reply.error_type.find(':'); colon != std::string::npos)
    reply.error_type.erase(colon);
  if (reply.error_type.empty()) reply.error_type = "HTTP " + std::to_string(reply.status);
  return reply;
}

Error EcrApi::ToError(std::string_view action, const Reply& reply) const {
  const std::string what = reply.error_type + (reply.message.empty() ? "" : ": " + reply.message);
  if (IsCredentialError(reply.error_type)) {
    return MakeError(ErrorCode::kUnauthorized,
                     "AWS rejected the access key (" + what + "): check access key and secret");
  }
  if (reply.error_type == "AccessDeniedException" || reply.status == 403) {
    return MakeError(ErrorCode::kDenied, "AWS denied ecr:" + std::string(action) + " (" + what +
                                             "): the IAM policy of the key must allow it");
  }
  if (reply.error_type == "ThrottlingException" || reply.status == 429) {
    return MakeError(ErrorCode::kTooManyRequests,
                     "ECR throttled " + std::string(action) + " (" + what + "): retry later");
  }
  return MakeError(ErrorCode::kInternal, "ECR " + std::string(action) + " failed (" + what + ")");
}

Result<EcrAuthorization> EcrApi::GetAuthorizationToken() const {
  nlohmann::json body = nlohmann::json::object();
  if (!location_.account.empty()) body["registryIds"] = {location_.account};
  auto reply = Call("GetAuthorizationToken", body.dump());
  if (!reply) return Fail(std::move(reply).error());
  if (!reply->error_type.empty()) return Fail(ToError("GetAuthorizationToken", *reply));
  auto json = nlohmann::json::parse(reply->body, nullptr, false);
  const nlohmann::json* data = nullptr;
  if (json.is_object() && json.contains("authorizationData") &&
      json["authorizationData"].is_array() && !json["authorizationData"].empty() &&
      json["authorizationData"][0].is_object()) {
    data = &json["authorizationData"][0];
  }
  if (data == nullptr || !(*data).value("authorizationToken", nlohmann::json()).is_string()) {
    return Fail(ErrorCode::kInternal, "ECR GetAuthorizationToken returned no authorizationData");
  }
  auto decoded = Base64Decode((*data)["authorizationToken"].get<std::string>());
  size_t colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos) {
    return Fail(ErrorCode::kInternal,
                "ECR GetAuthorizationToken returned a token that is not base64 user:password");
  }
  EcrAuthorization auth;
  auth.username = decoded->substr(0, colon);
  auth.password = decoded->substr(colon + 1);
  auth.proxy_endpoint = (*data).value("proxyEndpoint", "");
  while (!auth.proxy_endpoint.empty() && auth.proxy_endpoint.back() == '/')
    auth.proxy_endpoint.pop_back();
  if (auth.proxy_endpoint.empty()) auth.proxy_endpoint = location_.registry_url;
  double expires = 0;
  if (data->contains("expiresAt") && (*data)["expiresAt"].is_number())
    expires = (*data)["expiresAt"].get<double>();
  auth.expires_at = expires > 0 ? std::chrono::system_clock::time_point(
                                      std::chrono::seconds(static_cast<int64_t>(expires)))
                                : clock_() + std::chrono::hours(12);
  return auth;
}

Result<bool> EcrApi::RepositoryExists(std::string_view name) const {
  nlohmann::json body = {{"repositoryNames", {std::string(name)}}};
  if (!location_.account.empty()) body["registryId"] = location_.account;
  auto reply = Call("DescribeRepositories", body.dump());
  if (!reply) return Fail(std::move(reply).error());
  if (reply->error_type == "RepositoryNotFoundException") return false;
  if (!reply->error_type.empty()) return Fail(ToError("DescribeRepositories", *reply));
  return true;
}

Status EcrApi::CreateRepository(std::string_view name) const {
  nlohmann::json body = {{"repositoryName", std::string(name)}};
  if (!location_.account.empty()) body["registryId"] = location_.account;
  auto reply = Call("CreateRepository", body.dump());
  if (!reply) return Fail(std::move(reply).error());
  if (reply->error_type.empty() || reply->error_type == "RepositoryAlreadyExistsException")
    return Ok();
  if (reply->error_type == "InvalidParameterException") {
    return Fail(ErrorCode::kBadRequest,
                "ECR refused the repository name '" + std::string(name) + "': " + reply->message);
  }
  return Fail(ToError("CreateRepository", *reply));
}

Result<std::vector<std::string>> EcrApi::ListRepositories() const {
  std::vector<std::string> names;
  std::string next_token;
  for (int page = 0; page < 10000; ++page) {
    nlohmann::json body = {{"maxResults", 1000}};
    if (!location_.account.empty()) body["registryId"] = location_.account;
    if (!next_token.empty()) body["nextToken"] = next_token;
    auto reply = Call("DescribeRepositories", body.dump());
    if (!reply) return Fail(std::move(reply).error());
    if (!reply->error_type.empty()) return Fail(ToError("DescribeRepositories", *reply));
    auto json = nlohmann::json::parse(reply->body, nullptr, false);
    if (!json.is_object()) {
      return Fail(ErrorCode::kInternal, "ECR DescribeRepositories returned invalid JSON");
    }
    for (const auto& repo : json.value("repositories", nlohmann::json::array())) {
      if (repo.is_object() && repo.contains("repositoryName") && repo["repositoryName"].is_string())
        names.push_back(repo["repositoryName"].get<std::string>());
    }
    next_token = json.value("nextToken", "");
    if (next_token.empty()) break;
  }
  return names;
}

EcrCredentialProvider::EcrCredentialProvider(std::shared_ptr<const EcrApi> api, Clock clock)
    : api_(std::move(api)), clock_(std::move(clock)) {}

Result<EcrAuthorization> EcrCredentialProvider::Current() {
  std::lock_guard lock(mu_);
  if (cached_ && clock_() < cached_->expires_at - kRefreshBefore) return *cached_;
  auto fresh = api_->GetAuthorizationToken();
  if (!fresh) return Fail(std::move(fresh).error());
  cached_ = *fresh;
  return *cached_;
}

Result<remote::BasicCredential> EcrCredentialProvider::Get() {
  auto auth = Current();
  if (!auth) return Fail(std::move(auth).error());
  return remote::BasicCredential{auth->username, auth->password};
}

void EcrCredentialProvider::Invalidate() {
  std::lock_guard lock(mu_);
  cached_.reset();
}

Result<std::string> EcrCredentialProvider::ProxyEndpoint() {
  auto auth = Current();
  if (!auth) return Fail(std::move(auth).error());
  return auth->proxy_endpoint;
}

}  // namespace berth::adapters::ecr
