// jfrog-artifactory: Basic auth (user + password or API key). The /v2/ data plane is
// native at the endpoint URL (repository-path layout: /v2/<repo-key>/<image>); the
// Artifactory REST API lists Docker repositories, checks liveness and creates local
// repositories before a push.
#include "adapters/artifactory/artifactory_adapter.h"

#include <set>

#include "adapters/common/http_util.h"
#include "adapters/common/native_adapter.h"

namespace berth::adapters {
namespace {

class ArtifactoryAdapter : public NativeAdapter {
 public:
  using NativeAdapter::NativeAdapter;

  // Registry ping plus GET /artifactory/api/system/ping answering "OK".
  Status HealthCheck() override {
    BERTH_TRY(NativeAdapter::HealthCheck());
    auto response = Api("GET", endpoint().url + "/artifactory/api/system/ping", AuthHeaders());
    if (!response) return Fail(std::move(response).error());
    std::string body = response->body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' '))
      body.pop_back();
    if (response->status != 200 || body != "OK") {
      if (response->status == 401 || response->status == 403)
        return Fail(ApiError(*response, "Artifactory system ping"));
      return Fail(ErrorCode::kBadRequest,
                  endpoint().url +
                      " serves a registry but not JFrog Artifactory (/artifactory/api/system/"
                      "ping did not answer OK): use type docker-registry");
    }
    return Ok();
  }

  // "<repo-key>/<image>" for every image of every Docker repository.
  Result<std::vector<std::string>> ListRepositories() override {
    auto keys = DockerRepositoryKeys();
    if (!keys) return Fail(std::move(keys).error());
    std::vector<std::string> names;
    for (const auto& key : *keys) {
      remote::DistributionClient client(
          MakeClientOptions(endpoint(), deps(), endpoint().url + "/artifactory/api/docker/" + key),
          remote::StaticCredentials(endpoint().access_key, endpoint().access_secret));
      auto catalog = client.Catalog();
      if (!catalog) return Fail(std::move(catalog).error());
      for (const auto& image : *catalog) names.push_back(key + "/" + image);
    }
    return names;
  }

  // Creates a local Docker repository for every missing first path component.
  Status PrepareForPush(const std::vector<std::string>& repositories) override {
    std::set<std::string> wanted;
    for (const auto& repository : repositories) {
      size_t slash = repository.find('/');
      if (slash == std::string::npos || slash == 0)
        return Fail(ErrorCode::kBadRequest, "repository " + repository +
                                                " has no repository key: Artifactory needs "
                                                "<repo-key>/<image>");
      wanted.insert(repository.substr(0, slash));
    }
    auto json = GetJson(endpoint().url + "/artifactory/api/repositories", AuthHeaders(),
                        "Artifactory repository list");
    if (!json) return Fail(std::move(json).error());
    std::set<std::string> existing;
    if (json->is_array())
      for (const auto& repo : *json)
        if (repo.contains("key") && repo["key"].is_string())
          existing.insert(repo["key"].get<std::string>());
    for (const auto& key : wanted) {
      if (existing.contains(key)) continue;
      nlohmann::json body = {{"key", key},
                             {"rclass", "local"},
                             {"packageType", "docker"},
                             {"repoLayoutRef", "simple-default"}};
      auto headers = AuthHeaders();
      headers.emplace_back("Content-Type", "application/json");
      auto response =
          Api("PUT", endpoint().url + "/artifactory/api/repositories/" + PercentEncode(key),
              headers, body.dump());
      if (!response) return Fail(std::move(response).error());
      if (response->status != 200 && response->status != 201)
        return Fail(ApiError(*response, "Artifactory repository creation of " + key));
    }
    return Ok();
  }

 private:
  std::vector<std::pair<std::string, std::string>> AuthHeaders() const {
    if (endpoint().access_key.empty()) return {};
    return {{"Authorization", BasicAuthorization(endpoint().access_key, endpoint().access_secret)}};
  }

  Result<std::vector<std::string>> DockerRepositoryKeys() {
    auto json = GetJson(endpoint().url + "/artifactory/api/repositories?packageType=docker",
                        AuthHeaders(), "Artifactory repository list");
    if (!json) return Fail(std::move(json).error());
    std::vector<std::string> keys;
    if (json->is_array())
      for (const auto& repo : *json)
        if (repo.contains("key") && repo["key"].is_string())
          keys.push_back(repo["key"].get<std::string>());
    return keys;
  }
};

}  // namespace

Status RegisterArtifactoryAdapter(AdapterRegistry& registry) {
  AdapterInfo info = StandardInfo("jfrog-artifactory", "JFrog Artifactory");
  info.proxy_cache = true;
  AdapterRegistration registration;
  registration.info = info;
  registration.factory = [info](const Endpoint& endpoint,
                                const AdapterDeps& deps) -> Result<std::unique_ptr<Adapter>> {
    return std::make_unique<ArtifactoryAdapter>(info, endpoint, deps);
  };
  return registry.Register(std::move(registration));
}

}  // namespace berth::adapters
