// docker-hub: the endpoint URL is the Hub API (https://hub.docker.com); the registry data
// plane is https://registry-1.docker.io. Hub API calls carry a bearer token from
// POST /v2/auth/token (personal access token or password), cached for 9 minutes.
#include "adapters/dockerhub/dockerhub_adapter.h"

#include <chrono>
#include <mutex>

#include "adapters/common/http_util.h"
#include "adapters/common/native_adapter.h"

namespace berth::adapters {
namespace {

constexpr std::string_view kRegistryUrl = "https://registry-1.docker.io";
constexpr auto kTokenLifetime = std::chrono::minutes(9);  // Hub tokens last 10

class DockerHubAdapter : public NativeAdapter {
 public:
  DockerHubAdapter(AdapterInfo info, const Endpoint& endpoint, const AdapterDeps& deps)
      : NativeAdapter(std::move(info), endpoint, deps, std::string(kRegistryUrl)) {}

  // Registry ping (anonymous: reachable; with credentials: authenticated) and, with
  // credentials, a Hub API login.
  Status HealthCheck() override {
    BERTH_TRY(NativeAdapter::HealthCheck());
    if (!HasCredentials()) return Ok();
    auto token = HubToken();
    if (!token) return Fail(std::move(token).error());
    return Ok();
  }

  // "<namespace>/<name>" of every repository in the account's namespaces.
  Result<std::vector<std::string>> ListRepositories() override {
    auto headers = HubHeaders();
    if (!headers) return Fail(std::move(headers).error());
    std::vector<std::string> namespaces;
    if (HasCredentials()) {
      auto json =
          GetJson(ApiBase() + "/v2/repositories/namespaces", *headers, "Docker Hub namespace list");
      if (!json) return Fail(std::move(json).error());
      if (json->contains("namespaces") && (*json)["namespaces"].is_array())
        for (const auto& ns : (*json)["namespaces"])
          if (ns.is_string()) namespaces.push_back(ns.get<std::string>());
      if (namespaces.empty()) namespaces.push_back(endpoint().access_key);
    } else {
      return Fail(ErrorCode::kBadRequest,
                  "anonymous Docker Hub endpoints cannot list repositories: name them in the "
                  "rule's name filter or add credentials");
    }
    std::vector<std::string> names;
    for (const auto& ns : namespaces) {
      std::string url = ApiBase() + "/v2/repositories/" + PercentEncode(ns) + "/?page_size=100";
      for (int page = 0; page < 10000 && !url.empty(); ++page) {
        auto json = GetJson(url, *headers, "Docker Hub repository list of " + ns);
        if (!json) return Fail(std::move(json).error());
        if (json->contains("results") && (*json)["results"].is_array())
          for (const auto& repo : (*json)["results"])
            if (repo.contains("name") && repo["name"].is_string())
              names.push_back(ns + "/" + repo["name"].get<std::string>());
        url.clear();
        if (json->contains("next") && (*json)["next"].is_string())
          url = (*json)["next"].get<std::string>();
      }
    }
    return names;
  }

 private:
  std::string ApiBase() const { return endpoint().url; }

  Result<std::vector<std::pair<std::string, std::string>>> HubHeaders() {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!HasCredentials()) return headers;
    auto token = HubToken();
    if (!token) return Fail(std::move(token).error());
    headers.emplace_back("Authorization", "Bearer " + *token);
    return headers;
  }

  Result<std::string> HubToken() {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    if (!token_.empty() && now < token_expiry_) return token_;
    nlohmann::json body = {{"identifier", endpoint().access_key},
                           {"secret", endpoint().access_secret}};
    auto response =
        Api("POST", ApiBase() + "/v2/auth/token",
            {{"Content-Type", "application/json"}, {"Accept", "application/json"}}, body.dump());
    if (!response) return Fail(std::move(response).error());
    if (response->status != 200) {
      Error error = ApiError(*response, "Docker Hub login (" + ApiBase() + "/v2/auth/token)");
      if (response->status == 401 || response->status == 403)
        error.message = "Docker Hub login failed for " + endpoint().access_key +
                        ": check the Docker ID and the password or personal access token";
      return Fail(std::move(error));
    }
    auto json = ParseJsonBody(*response, "Docker Hub login");
    if (!json) return Fail(std::move(json).error());
    if (!json->contains("access_token") || !(*json)["access_token"].is_string())
      return Fail(ErrorCode::kBadRequest, "Docker Hub login answered without access_token");
    token_ = (*json)["access_token"].get<std::string>();
    token_expiry_ = now + kTokenLifetime;
    return token_;
  }

  std::mutex mutex_;
  std::string token_;
  std::chrono::steady_clock::time_point token_expiry_;
};

}  // namespace

Status RegisterDockerHubAdapter(AdapterRegistry& registry) {
  AdapterInfo info = StandardInfo("docker-hub", "Docker Hub");
  info.endpoint_pattern =
      EndpointPattern{.endpoint_type = "EndpointPatternTypeFix",
                      .endpoints = {{"hub.docker.com", "https://hub.docker.com"}}};
  info.proxy_cache = true;
  AdapterRegistration registration;
  registration.info = info;
  registration.factory = [info](const Endpoint& endpoint,
                                const AdapterDeps& deps) -> Result<std::unique_ptr<Adapter>> {
    return std::make_unique<DockerHubAdapter>(info, endpoint, deps);
  };
  return registry.Register(std::move(registration));
}

}  // namespace berth::adapters
