// /search, /statistics and /projects/{p}/summary: the look-ups and counts Harbor's top
// bar, dashboard and project summary show.
#include <iterator>
#include <nlohmann/json.hpp>

#include "api/api_service.h"
#include "api/json_io.h"

namespace berth::api {

// As Harbor: the projects the caller may read whose name contains q, and the repositories
// of every such readable project whose name contains q. Anonymous callers see public
// projects.
Result<http::Response> ApiService::Search(Call& call) {
  auto q = call.request.Query("q");
  if (!q || q->empty()) {
    return Fail(ErrorCode::kUnprocessable,
                "q in query is required: the text to look for in project and repository names");
  }
  auto projects = VisibleProjects(call.identity);
  if (!projects) return Fail(projects.error());
  nlohmann::json found_projects = nlohmann::json::array();
  nlohmann::json found_repos = nlohmann::json::array();
  for (const auto& project : *projects) {
    if (project.name.find(*q) != std::string::npos) {
      auto j = ProjectJson(project, call.identity);
      if (!j) return Fail(j.error());
      found_projects.push_back(std::move(*j));
    }
    auto repos = RepositoriesOf(project.id);
    if (!repos) return Fail(repos.error());
    for (const auto& repo : *repos) {
      if (repo.name.find(*q) == std::string::npos) continue;
      auto count = ArtifactCount(repo);
      if (!count) return Fail(count.error());
      found_repos.push_back({{"project_id", project.id},
                             {"project_name", project.name},
                             {"project_public", project.is_public},
                             {"repository_name", repo.name},
                             {"pull_count", repo.pull_count},
                             {"artifact_count", *count}});
    }
  }
  return ToJsonResponse(
      200, {{"project", std::move(found_projects)}, {"repository", std::move(found_repos)}});
}

// As Harbor: public counts for everyone signed in; private counts over the projects the
// caller is a member of; the totals and the storage used for system admins only (0 for
// others).
Result<http::Response> ApiService::Statistics(Call& call) {
  BERTH_TRY(RequireLogin(call));
  auto projects = VisibleProjects(call.identity);
  if (!projects) return Fail(projects.error());
  int64_t public_projects = 0, public_repos = 0, private_projects = 0, private_repos = 0;
  for (const auto& project : *projects) {
    auto count = projects_.RepositoryCount(project.id);
    if (!count) return Fail(count.error());
    (project.is_public ? public_projects : private_projects) += 1;
    (project.is_public ? public_repos : private_repos) += *count;
  }
  nlohmann::json j = {
      {"public_project_count", public_projects},
      {"public_repo_count", public_repos},
      {"private_project_count", private_projects},
      {"private_repo_count", private_repos},
      {"total_project_count", 0},
      {"total_repo_count", 0},
      {"total_storage_consumption", 0},
  };
  if (call.identity.sysadmin) {
    auto used = artifacts_.StorageConsumption();
    if (!used) return Fail(used.error());
    j["total_project_count"] = public_projects + private_projects;
    j["total_repo_count"] = public_repos + private_repos;
    j["total_storage_consumption"] = *used;
  }
  return ToJsonResponse(200, j);
}

// As Harbor: the repository count for readers; member counts for those who may see the
// members; the storage used (Berth has no quotas: the hard limit is -1) and, for a
// proxy-cache project, its endpoint without the credential.
Result<http::Response> ApiService::ProjectSummary(Call& call) {
  auto project = FindProject(call, call.Param("project_name_or_id"));
  if (!project) return Fail(project.error());
  BERTH_TRY(RequireProjectRead(call, *project));
  auto repos = projects_.RepositoryCount(project->id);
  if (!repos) return Fail(repos.error());
  nlohmann::json j = {{"repo_count", *repos}};
  if (RequireMemberRead(call, *project)) {
    auto members = users_.ListMembers(project->id);
    if (!members) return Fail(members.error());
    int64_t counts[6] = {};
    for (const auto& m : *members) {
      auto role = static_cast<size_t>(m.role);
      if (role < std::size(counts)) ++counts[role];
    }
    j["project_admin_count"] = counts[static_cast<int>(metadata::Role::kProjectAdmin)];
    j["maintainer_count"] = counts[static_cast<int>(metadata::Role::kMaintainer)];
    j["developer_count"] = counts[static_cast<int>(metadata::Role::kDeveloper)];
    j["guest_count"] = counts[static_cast<int>(metadata::Role::kGuest)];
    j["limited_guest_count"] = counts[static_cast<int>(metadata::Role::kLimitedGuest)];
  }
  auto used = artifacts_.StorageConsumption(project->id);
  if (!used) return Fail(used.error());
  j["quota"] = {{"hard", {{"storage", -1}}}, {"used", {{"storage", *used}}}};
  if (project->registry_id > 0 && endpoints_.service != nullptr) {
    auto registry = endpoints_.service->Get(project->registry_id);
    if (!registry) return Fail(registry.error());
    auto r = RegistryJson(*registry);
    r.erase("credential");
    j["registry"] = std::move(r);
  }
  return ToJsonResponse(200, j);
}

}  // namespace berth::api
