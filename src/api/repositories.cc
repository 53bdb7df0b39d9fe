// /repositories and /projects/{project_name}/repositories[/{repository_name}].
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "api/api_service.h"
#include "api/json_io.h"

namespace berth::api {

Result<std::vector<metadata::Repository>> ApiService::RepositoriesOf(int64_t project_id) {
  constexpr int64_t kBatch = 100;
  std::vector<metadata::Repository> all;
  for (int64_t p = 1;; ++p) {
    auto batch = artifacts_.ListRepositories(project_id, metadata::Page{p, kBatch});
    if (!batch) return Fail(batch.error());
    bool last = static_cast<int64_t>(batch->items.size()) < kBatch || p * kBatch >= batch->total;
    for (auto& r : batch->items) all.push_back(std::move(r));
    if (last) break;
  }
  return all;
}

Result<int64_t> ApiService::ArtifactCount(const metadata::Repository& repo) {
  auto artifacts = artifacts_.ListArtifacts(repo.id, metadata::Page{1, 1}, /*top_level=*/true);
  if (!artifacts) return Fail(artifacts.error());
  return artifacts->total;
}

Result<nlohmann::json> ApiService::RepositoryJson(const metadata::Repository& repo) {
  auto count = ArtifactCount(repo);
  if (!count) return Fail(count.error());
  return nlohmann::json{
      {"id", repo.id},
      {"project_id", repo.project_id},
      {"name", repo.name},
      {"description", repo.description},
      {"artifact_count", *count},
      {"pull_count", repo.pull_count},
      {"creation_time", repo.creation_time},
      {"update_time", repo.update_time},
  };
}

Result<http::Response> ApiService::ListRepositories(Call& call) {
  auto project = FindProject(call, call.Param("project_name"), /*allow_id=*/false);
  if (!project) return Fail(project.error());
  BERTH_TRY(RequireProjectRead(call, *project));
  auto page = ParsePage(call.request.query);
  if (!page) return Fail(page.error());
  auto name = ParseNameFilter(call.request.query);
  if (!name) return Fail(name.error());
  auto repos = RepositoriesOf(project->id);
  if (!repos) return Fail(repos.error());
  std::erase_if(*repos, [&](const metadata::Repository& r) { return !name->Matches(r.name); });
  int64_t total = static_cast<int64_t>(repos->size());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& repo : Slice(std::move(*repos), *page)) {
    auto j = RepositoryJson(repo);
    if (!j) return Fail(j.error());
    items.push_back(std::move(*j));
  }
  auto response = ToJsonResponse(200, items);
  SetPagingHeaders(response, call.path, call.request.query, *page, total);
  return response;
}

Result<http::Response> ApiService::ListAllRepositories(Call& call) {
  auto page = ParsePage(call.request.query);
  if (!page) return Fail(page.error());
  auto name = ParseNameFilter(call.request.query);
  if (!name) return Fail(name.error());
  auto projects = VisibleProjects(call.identity);
  if (!projects) return Fail(projects.error());
  std::vector<metadata::Repository> visible;
  for (const auto& project : *projects) {
    auto repos = RepositoriesOf(project.id);
    if (!repos) return Fail(repos.error());
    for (auto& r : *repos) {
      if (name->Matches(r.name)) visible.push_back(std::move(r));
    }
  }
  // Newest first across projects too, as in one project.
  std::stable_sort(visible.begin(), visible.end(), [](const auto& a, const auto& b) {
    return std::tie(a.creation_time, a.id) > std::tie(b.creation_time, b.id);
  });
  int64_t total = static_cast<int64_t>(visible.size());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& repo : Slice(std::move(visible), *page)) {
    auto j = RepositoryJson(repo);
    if (!j) return Fail(j.error());
    items.push_back(std::move(*j));
  }
  auto response = ToJsonResponse(200, items);
  SetPagingHeaders(response, call.path, call.request.query, *page, total);
  return response;
}

Result<http::Response> ApiService::GetRepository(Call& call) {
  metadata::Project project;
  auto repo = FindRepository(call, project);
  if (!repo) return Fail(repo.error());
  auto j = RepositoryJson(*repo);
  if (!j) return Fail(j.error());
  return ToJsonResponse(200, *j);
}

// As Harbor: the body's description replaces the stored one (absent: cleared); the other
// fields of the Repository object are read-only and ignored.
Result<http::Response> ApiService::UpdateRepository(Call& call) {
  metadata::Project project;
  auto repo = FindRepository(call, project);
  if (!repo) return Fail(repo.error());
  BERTH_TRY(AuthorizeOperation(call, project, *repo, auth::Action::kPush, kRobotRepositoryUpdate,
                               "updating the description"));
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  auto description = OptString(*body, "description");
  if (!description) return Fail(description.error());
  BERTH_TRY(artifacts_.SetRepositoryDescription(repo->id, description->value_or("")));
  return http::EmptyResponse(200);
}

Result<http::Response> ApiService::DeleteRepository(Call& call) {
  metadata::Project project;
  auto repo = FindRepository(call, project);
  if (!repo) return Fail(repo.error());
  BERTH_TRY(AuthorizeOperation(call, project, *repo, auth::Action::kDelete, kRobotRepositoryDelete,
                               "deleting the repository"));
  BERTH_TRY(artifacts_.DeleteRepository(repo->id));
  return http::EmptyResponse(200);
}

}  // namespace berth::api
