// azure-acr: https://<name>.azurecr.io. Admin user or service principal: the standard
// Bearer flow at the https://<host>/oauth2/token realm. credential_type "oauth": the
// secret is an AAD access token, exchanged at POST /oauth2/exchange for an ACR refresh
// token, which is then the password of user 00000000-0000-0000-0000-000000000000.
#include "adapters/acr/acr_adapter.h"

#include <mutex>

#include "adapters/common/http_util.h"
#include "adapters/common/native_adapter.h"

namespace berth::adapters {
namespace {

constexpr std::string_view kRefreshTokenUser = "00000000-0000-0000-0000-000000000000";

std::string HostOf(std::string_view url) {
  std::string origin = UrlOrigin(url);
  size_t scheme = origin.find("://");
  return scheme == std::string::npos ? origin : origin.substr(scheme + 3);
}

// Exchanges the AAD access token for an ACR refresh token; cached until invalidated.
class AadExchangeCredentials : public remote::CredentialProvider {
 public:
  AadExchangeCredentials(const Endpoint& endpoint, const AdapterDeps& deps)
      : url_(endpoint.url),
        aad_token_(endpoint.access_secret),
        client_(MakeClientOptions(endpoint, deps, endpoint.url),
                remote::StaticCredentials("", "")) {}

  Result<remote::BasicCredential> Get() override {
    std::lock_guard lock(mutex_);
    if (refresh_token_.empty()) {
      remote::HttpRequest request;
      request.method = "POST";
      request.url = url_ + "/oauth2/exchange";
      request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                         {"Accept", "application/json"}};
      request.body = "grant_type=access_token&service=" + PercentEncode(HostOf(url_)) +
                     "&access_token=" + PercentEncode(aad_token_);
      auto response = client_.Do(request);
      if (!response) return Fail(std::move(response).error());
      if (response->status != 200) {
        Error error = ApiError(*response, "ACR token exchange (" + request.url + ")");
        if (response->status == 400 || response->status == 401)
          error = MakeError(ErrorCode::kUnauthorized,
                            "ACR rejected the AAD access token at " + request.url +
                                ": it is expired or lacks access to this registry");
        return Fail(std::move(error));
      }
      auto json = ParseJsonBody(*response, "ACR token exchange");
      if (!json) return Fail(std::move(json).error());
      if (!json->contains("refresh_token") || !(*json)["refresh_token"].is_string())
        return Fail(ErrorCode::kBadRequest, "ACR token exchange answered without refresh_token");
      refresh_token_ = (*json)["refresh_token"].get<std::string>();
    }
    return remote::BasicCredential{std::string(kRefreshTokenUser), refresh_token_};
  }

  void Invalidate() override {
    std::lock_guard lock(mutex_);
    refresh_token_.clear();
  }

 private:
  std::string url_;
  std::string aad_token_;
  remote::DistributionClient client_;
  std::mutex mutex_;
  std::string refresh_token_;
};

class AcrAdapter : public NativeAdapter {
 public:
  using NativeAdapter::NativeAdapter;

  // Authenticated ping, then the challenge must be ACR's own token realm.
  Status HealthCheck() override {
    BERTH_TRY(NativeAdapter::HealthCheck());
    auto response = Api("GET", endpoint().url + "/v2/");
    if (!response) return Fail(std::move(response).error());
    auto challenge = response->Header("WWW-Authenticate");
    std::string realm = challenge ? ChallengeParam(*challenge, "realm") : std::string();
    if (realm != UrlOrigin(endpoint().url) + "/oauth2/token")
      return Fail(ErrorCode::kBadRequest,
                  endpoint().url +
                      " serves a registry but not Azure Container Registry (no /oauth2/token "
                      "realm): use type docker-registry");
    return Ok();
  }
};

}  // namespace

Status RegisterAcrAdapter(AdapterRegistry& registry) {
  AdapterInfo info = StandardInfo("azure-acr", "Azure Container Registry", {"image", "artifact"});
  info.supported_copy_by_chunk = true;
  info.proxy_cache = true;
  AdapterRegistration registration;
  registration.info = info;
  registration.validate_credential = [](const Endpoint& endpoint) -> Status {
    if (endpoint.credential_type == "oauth" && endpoint.access_secret.empty())
      return Fail(ErrorCode::kBadRequest,
                  "access_secret must be an Azure AD access token when credential type is oauth");
    return Ok();
  };
  registration.factory = [info](const Endpoint& endpoint,
                                const AdapterDeps& deps) -> Result<std::unique_ptr<Adapter>> {
    std::shared_ptr<remote::CredentialProvider> credentials;
    if (endpoint.credential_type == "oauth")
      credentials = std::make_shared<AadExchangeCredentials>(endpoint, deps);
    return std::make_unique<AcrAdapter>(info, endpoint, deps, std::string(),
                                        std::move(credentials));
  };
  return registry.Register(std::move(registration));
}

}  // namespace berth::adapters
