// gitlab: the endpoint URL is the GitLab registry host. Its /v2/ challenge names the JWT
// realm (e.g. https://gitlab.com/jwt/auth); the GitLab API lives at the realm's origin
// and takes the personal access token as PRIVATE-TOKEN.
#include "adapters/gitlab/gitlab_adapter.h"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "adapters/common/http_util.h"
#include "adapters/common/native_adapter.h"

namespace berth::adapters {
namespace {

class GitlabAdapter : public NativeAdapter {
 public:
  using NativeAdapter::NativeAdapter;

  // Registry auth through the JWT realm and, with credentials, GET /api/v4/user.
  Status HealthCheck() override {
    BERTH_TRY(NativeAdapter::HealthCheck());
    auto api = ApiBase();
    if (!api) return Fail(std::move(api).error());
    if (!HasCredentials()) return Ok();
    auto user = GetJson(*api + "/api/v4/user", TokenHeaders(), "GitLab API " + *api);
    if (!user) {
      Error error = std::move(user).error();
      if (error.code == ErrorCode::kUnauthorized)
        error.message = "GitLab API " + *api +
                        " rejected the token: use a personal access token with the api "
                        "and read_registry scopes";
      return Fail(std::move(error));
    }
    return Ok();
  }

  // Container repositories ("path", lower-cased) of every project the user is member of.
  Result<std::vector<std::string>> ListRepositories() override {
    auto api = ApiBase();
    if (!api) return Fail(std::move(api).error());
    auto projects =
        GetAllPages(*api + "/api/v4/projects?membership=true&per_page=50", "GitLab project list");
    if (!projects) return Fail(std::move(projects).error());
    std::vector<std::string> names;
    for (const auto& project : *projects) {
      if (!project.contains("id")) continue;
      if (project.contains("container_registry_enabled") &&
          project["container_registry_enabled"].is_boolean() &&
          !project["container_registry_enabled"].get<bool>())
        continue;
      std::string id = project["id"].is_number() ? std::to_string(project["id"].get<int64_t>())
                                                 : project["id"].dump();
      auto repositories =
          GetAllPages(*api + "/api/v4/projects/" + id + "/registry/repositories?per_page=50",
                      "GitLab registry repositories of project " + id);
      if (!repositories) {
        if (repositories.error().code == ErrorCode::kNotFound ||
            repositories.error().code == ErrorCode::kForbidden)
          continue;  // registry disabled or not visible for this project
        return Fail(std::move(repositories).error());
      }
      for (const auto& repository : *repositories) {
        if (!repository.contains("path") || !repository["path"].is_string()) continue;
        std::string path = repository["path"].get<std::string>();
        std::transform(path.begin(), path.end(), path.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        names.push_back(std::move(path));
      }
    }
    return names;
  }

 private:
  std::vector<std::pair<std::string, std::string>> TokenHeaders() const {
    return {{"PRIVATE-TOKEN", endpoint().access_secret}};
  }

  // The API origin from the registry's Bearer realm; discovered once.
  Result<std::string> ApiBase() {
    std::lock_guard lock(mutex_);
    if (!api_base_.empty()) return api_base_;
    auto response = Api("GET", endpoint().url + "/v2/");
    if (!response) return Fail(std::move(response).error());
    auto challenge = response->Header("WWW-Authenticate");
    std::string realm = challenge ? ChallengeParam(*challenge, "realm") : std::string();
    std::string origin = UrlOrigin(realm);
    if (origin.empty())
      return Fail(ErrorCode::kBadRequest,
                  endpoint().url +
                      " is not a GitLab container registry (its /v2/ names no Bearer realm); "
                      "use the registry host, e.g. https://registry.gitlab.com");
    api_base_ = origin;
    return api_base_;
  }

  // Every item of a GitLab list, following X-Next-Page.
  Result<std::vector<nlohmann::json>> GetAllPages(const std::string& url, const std::string& what) {
    std::vector<nlohmann::json> items;
    std::string page = "1";
    for (int i = 0; i < 10000 && !page.empty(); ++i) {
      auto response =
          Api("GET", url + "&page=" + page,
              {{"PRIVATE-TOKEN", endpoint().access_secret}, {"Accept", "application/json"}});
      if (!response) return Fail(std::move(response).error());
      if (response->status != 200) return Fail(ApiError(*response, what));
      auto json = ParseJsonBody(*response, what);
      if (!json) return Fail(std::move(json).error());
      if (!json->is_array()) return Fail(ErrorCode::kBadRequest, what + " is not a JSON array");
      for (auto& item : *json) items.push_back(std::move(item));
      page = response->Header("X-Next-Page").value_or("");
    }
    return items;
  }

  std::mutex mutex_;
  std::string api_base_;
};

}  // namespace

Status RegisterGitlabAdapter(AdapterRegistry& registry) {
  AdapterInfo info = StandardInfo("gitlab", "GitLab container registry");
  AdapterRegistration registration;
  registration.info = info;
  registration.factory = [info](const Endpoint& endpoint,
                                const AdapterDeps& deps) -> Result<std::unique_ptr<Adapter>> {
    return std::make_unique<GitlabAdapter>(info, endpoint, deps);
  };
  return registry.Register(std::move(registration));
}

}  // namespace berth::adapters
