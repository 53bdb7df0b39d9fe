// harbor: a remote Harbor (or Berth). The /v2/ data plane is native; projects and
// repositories come from the Harbor REST API v2.0 with Basic auth.
#include "adapters/harbor/harbor_adapter.h"

#include <algorithm>
#include <set>

#include "adapters/common/http_util.h"
#include "adapters/common/native_adapter.h"

namespace berth::adapters {
namespace {

class HarborAdapter : public NativeAdapter {
 public:
  using NativeAdapter::NativeAdapter;

  Status HealthCheck() override {
    BERTH_TRY(NativeAdapter::HealthCheck());
    return CheckIsHarbor();
  }

  Result<AdapterInfo> Info() override {
    AdapterInfo result = info();
    auto response = Api("GET", ApiBase() + "/labels?scope=g&page_size=100", AuthHeaders());
    if (!response) return Fail(std::move(response).error());
    std::vector<std::string> labels;
    if (response->status >= 200 && response->status < 300) {
      auto json = ParseJsonBody(*response, "Harbor label list");
      if (!json) return Fail(std::move(json).error());
      if (json->is_array())
        for (const auto& label : *json)
          if (label.contains("name") && label["name"].is_string())
            labels.push_back(label["name"].get<std::string>());
    } else if (response->status != 404 && response->status != 405 && response->status != 501) {
      return Fail(ApiError(*response, "Harbor label list"));
    }
    // Order as Harbor shows it: name, tag, label, resource.
    FilterStyle label{.type = "label", .style = "list", .values = std::move(labels)};
    auto& filters = result.supported_resource_filters;
    auto resource = std::find_if(filters.begin(), filters.end(),
                                 [](const FilterStyle& f) { return f.type == "resource"; });
    filters.insert(resource, std::move(label));
    return result;
  }

  Result<std::vector<std::string>> ListRepositories() override {
    auto projects = GetAllPages(ApiBase() + "/projects?page=1&page_size=100", "Harbor projects");
    if (!projects) return Fail(std::move(projects).error());
    std::vector<std::string> names;
    for (const auto& project : *projects) {
      if (!project.contains("name") || !project["name"].is_string()) continue;
      std::string project_name = project["name"].get<std::string>();
      auto repositories = GetAllPages(ApiBase() + "/projects/" + PercentEncode(project_name) +
                                          "/repositories?page=1&page_size=100",
                                      "Harbor repositories of project " + project_name);
      if (!repositories) return Fail(std::move(repositories).error());
      for (const auto& repository : *repositories)
        if (repository.contains("name") && repository["name"].is_string())
          names.push_back(repository["name"].get<std::string>());
    }
    return names;
  }

  // Harbor's artifact list with labels (index children included, as base=*).
  Result<std::optional<std::map<std::string, std::vector<std::string>>>> ArtifactLabels(
      std::string_view repository) override {
    auto base = RepositoryUrl(repository);
    if (!base) return Fail(base.error());
    std::string url = *base +
                      "/artifacts?with_label=true&with_tag=false&q=" + PercentEncode("base=*") +
                      "&page=1&page_size=100";
    auto artifacts = GetAllPages(url, "Harbor artifacts of " + std::string(repository));
    if (!artifacts) return Fail(std::move(artifacts).error());
    std::map<std::string, std::vector<std::string>> labels;
    for (const auto& a : *artifacts) {
      if (!a.contains("digest") || !a["digest"].is_string()) continue;
      auto& names = labels[a["digest"].get<std::string>()];
      if (auto l = a.find("labels"); l != a.end() && l->is_array()) {
        for (const auto& label : *l) {
          if (label.contains("name") && label["name"].is_string()) {
            names.push_back(label["name"].get<std::string>());
          }
        }
      }
    }
    return std::optional(std::move(labels));
  }

  Result<std::set<std::string>> ProxyCacheProjects(
      const std::vector<std::string>& repositories) override {
    std::set<std::string> projects, proxies;
    for (const auto& repository : repositories) {
      projects.insert(repository.substr(0, repository.find('/')));
    }
    for (const auto& project : projects) {
      auto response = Api("GET", ApiBase() + "/projects/" + PercentEncode(project), AuthHeaders());
      if (!response) return Fail(std::move(response).error());
      if (response->status == 404 || response->status == 403) continue;  // made by the push
      if (response->status != 200) return Fail(ApiError(*response, "Harbor project " + project));
      auto json = ParseJsonBody(*response, "Harbor project " + project);
      if (!json) return Fail(std::move(json).error());
      auto id = json->value("registry_id", nlohmann::json());
      if (id.is_number_integer() && id.get<int64_t>() > 0) proxies.insert(project);
    }
    return proxies;
  }

  // Harbor's tag API: DELETE …/artifacts/<tag>/tags/<tag>, the manifest stays. A tag that
  // is gone already is fine.
  Status DeleteTag(std::string_view repository, std::string_view tag) override {
    auto base = RepositoryUrl(repository);
    if (!base) return Fail(base.error());
    std::string tag_text(tag);
    auto response =
        Api("DELETE", *base + "/artifacts/" + tag_text + "/tags/" + tag_text, AuthHeaders());
    if (!response) return Fail(std::move(response).error());
    if (response->status == 200 || response->status == 404) return Ok();
    return Fail(
        ApiError(*response, "Harbor tag deletion of " + std::string(repository) + ":" + tag_text));
  }

  Status CreatePublicProjects(const std::set<std::string>& projects) override {
    for (const auto& project : projects) BERTH_TRY(CreateProject(project, /*is_public=*/true));
    return Ok();
  }

  // Creates each missing project (the first path component), private.
  Status PrepareForPush(const std::vector<std::string>& repositories) override {
    std::set<std::string> projects;
    for (const auto& repository : repositories) {
      size_t slash = repository.find('/');
      if (slash == std::string::npos || slash == 0)
        return Fail(ErrorCode::kBadRequest,
                    "repository " + repository + " has no project: Harbor needs project/name");
      projects.insert(repository.substr(0, slash));
    }
    for (const auto& project : projects) BERTH_TRY(CreateProject(project, /*is_public=*/false));
    return Ok();
  }

 private:
  // The API URL of `repository` ("project/name"): Harbor reads the repository path
  // parameter URL-decoded twice, so the name is encoded twice.
  Result<std::string> RepositoryUrl(std::string_view repository) const {
    size_t slash = repository.find('/');
    if (slash == std::string_view::npos || slash == 0) {
      return Fail(ErrorCode::kBadRequest, "repository " + std::string(repository) +
                                              " has no project: Harbor needs project/name");
    }
    return ApiBase() + "/projects/" + PercentEncode(repository.substr(0, slash)) +
           "/repositories/" + PercentEncode(PercentEncode(repository.substr(slash + 1)));
  }

  // Creates `project` unless it exists (409); a 403 is fine when the project is there.
  Status CreateProject(const std::string& project, bool is_public) {
    nlohmann::json body = {{"project_name", project},
                           {"metadata", {{"public", is_public ? "true" : "false"}}}};
    auto headers = AuthHeaders();
    headers.emplace_back("Content-Type", "application/json");
    auto response = Api("POST", ApiBase() + "/projects", headers, body.dump());
    if (!response) return Fail(std::move(response).error());
    if (response->status == 201 || response->status == 200 || response->status == 409) {
      return Ok();
    }
    if (response->status == 403) {  // may lack create permission but the project exists
      auto existing = Api("GET", ApiBase() + "/projects/" + PercentEncode(project), AuthHeaders());
      if (existing && existing->status == 200) return Ok();
    }
    return Fail(ApiError(*response, "Harbor project creation of " + project));
  }

  std::string ApiBase() const { return endpoint().url + "/api/v2.0"; }

  std::vector<std::pair<std::string, std::string>> AuthHeaders() const {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!endpoint().access_key.empty())
      headers.emplace_back("Authorization",
                           BasicAuthorization(endpoint().access_key, endpoint().access_secret));
    headers.emplace_back("Accept", "application/json");
    return headers;
  }

  // Harbor answers /api/v2.0/systeminfo with harbor_version (anonymous) and, in older
  // releases, /api/version with {"version": "v2.0"}.
  Status CheckIsHarbor() {
    auto systeminfo = Api("GET", ApiBase() + "/systeminfo", AuthHeaders());
    if (!systeminfo) return Fail(std::move(systeminfo).error());
    if (systeminfo->status == 200) {
      auto json = nlohmann::json::parse(systeminfo->body, nullptr, false);
      if (json.is_object() && json.contains("harbor_version")) return Ok();
    }
    auto version = Api("GET", endpoint().url + "/api/version", AuthHeaders());
    if (!version) return Fail(std::move(version).error());
    if (version->status == 200) {
      auto json = nlohmann::json::parse(version->body, nullptr, false);
      if (json.is_object() && json.contains("version")) return Ok();
    }
    return Fail(ErrorCode::kBadRequest, endpoint().url +
                                            " serves a registry but not Harbor (no "
                                            "/api/v2.0/systeminfo): use type docker-registry");
  }

  // Every item of a paged Harbor list, following Link rel="next".
  Result<std::vector<nlohmann::json>> GetAllPages(std::string url, const std::string& what) {
    std::vector<nlohmann::json> items;
    for (int page = 0; page < 10000; ++page) {
      auto response = Api("GET", url, AuthHeaders());
      if (!response) return Fail(std::move(response).error());
      if (response->status != 200) return Fail(ApiError(*response, what));
      auto json = ParseJsonBody(*response, what);
      if (!json) return Fail(std::move(json).error());
      if (!json->is_array()) return Fail(ErrorCode::kBadRequest, what + " is not a JSON array");
      for (auto& item : *json) items.push_back(std::move(item));
      auto next = NextLink(*response, url);
      if (!next) break;
      url = *next;
    }
    return items;
  }
};

}  // namespace

Status RegisterHarborAdapter(AdapterRegistry& registry) {
  AdapterInfo info = StandardInfo("harbor", "Harbor (or Berth)", {"image", "artifact"});
  info.supported_copy_by_chunk = true;
  info.proxy_cache = true;
  AdapterRegistration registration;
  registration.info = info;
  registration.factory = [info](const Endpoint& endpoint,
                                const AdapterDeps& deps) -> Result<std::unique_ptr<Adapter>> {
    return std::make_unique<HarborAdapter>(info, endpoint, deps);
  };
  return registry.Register(std::move(registration));
}

}  // namespace berth::adapters
