// /labels and /projects/{p}/repositories/{r}/artifacts/{ref}/labels — Harbor's labels.
//
// Scope "g" labels are global: any logged-in user reads them, system admins manage them.
// Scope "p" labels belong to one project: its readers read them, its admins (and system
// admins) manage them. Attaching a label needs push access to the repository; a project
// label attaches only to artifacts of its own project.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/api_service.h"
#include "api/json_io.h"
#include "metadata/label_store.h"

namespace berth::api {
namespace {

using nlohmann::json;

constexpr size_t kMaxLabelName = 128;

json LabelJson(const metadata::Label& l) {
  return {{"id", l.id},
          {"name", l.name},
          {"description", l.description},
          {"color", l.color},
          {"scope", l.scope},
          {"project_id", l.project_id},
          {"creation_time", l.creation_time},
          {"update_time", l.update_time}};
}

Status ValidateName(std::string_view name) {
  if (name.empty()) return Fail(ErrorCode::kBadRequest, "label name cannot be empty");
  if (name.size() > kMaxLabelName) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("label name is longer than {} characters", kMaxLabelName));
  }
  return Ok();
}

Result<int64_t> IdParam(std::string_view text, std::string_view what) {
  return PathId(text, what, /*min=*/1);
}

Status RequireLabels(metadata::LabelStore* labels) {
  if (labels == nullptr) return Fail(ErrorCode::kInternal, "labels are not configured");
  return Ok();
}

}  // namespace

void ApiService::AddLabelRoutes() {
  auto& r = routes_;
  r.Add("GET", "labels", &ApiService::ListLabels);
  r.Add("POST", "labels", &ApiService::CreateLabel);
  r.Add("GET", "labels/{label_id}", &ApiService::GetLabel);
  r.Add("PUT", "labels/{label_id}", &ApiService::UpdateLabel);
  r.Add("DELETE", "labels/{label_id}", &ApiService::DeleteLabel);
  constexpr std::string_view kLabels =
      "projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/labels";
  r.Add("POST", std::string(kLabels), &ApiService::AddArtifactLabel);
  r.Add("DELETE", fmt::format("{}/{{label_id}}", kLabels), &ApiService::RemoveArtifactLabel);
}

Result<http::Response> ApiService::ListLabels(Call& call) {
  BERTH_TRY(RequireLabels(replication_.labels));
  BERTH_TRY(RequireLogin(call));
  const auto& query = call.request.query;
  auto page = ParsePage(query);
  if (!page) return Fail(page.error());
  std::string scope(call.request.Query("scope").value_or(""));
  if (scope.empty()) scope = "g";
  if (scope != "g" && scope != "p") {
    return Fail(ErrorCode::kBadRequest, fmt::format("invalid scope: {}", scope));
  }
  int64_t project_id = 0;
  if (auto pid = call.request.Query("project_id"); pid && !pid->empty()) {
    auto parsed = ParseInt(*pid);
    if (!parsed) {
      return Fail(ErrorCode::kUnprocessable, fmt::format("project_id in query must be an integer"));
    }
    project_id = *parsed;
  }
  if (scope == "p") {
    if (project_id <= 0) {
      return Fail(ErrorCode::kBadRequest, "must specify project_id when scope is p");
    }
    auto project = FindProject(call, std::to_string(project_id));
    if (!project) return Fail(project.error());
    BERTH_TRY(RequireProjectRead(call, *project));
  } else {
    project_id = 0;
  }
  std::string name_exact, name_like;
  if (auto name = call.request.Query("name"); name && !name->empty()) name_like = *name;
  if (auto q = call.request.Query("q"); q && !q->empty()) {
    auto terms = ParseQ(*q);
    if (!terms) return Fail(terms.error());
    for (const auto& t : *terms) {
      if (t.key != "name") continue;
      (t.fuzzy ? name_like : name_exact) = t.value;
    }
  }
  auto list = replication_.labels->List(*page, scope, project_id, name_exact, name_like);
  if (!list) return Fail(list.error());
  return PageResponse(call.path, query, *page, *list, LabelJson);
}

Result<http::Response> ApiService::CreateLabel(Call& call) {
  BERTH_TRY(RequireLabels(replication_.labels));
  BERTH_TRY(RequireLogin(call));
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  metadata::Label label;
  auto name = OptString(*body, "name");
  auto description = OptString(*body, "description");
  auto color = OptString(*body, "color");
  auto scope = OptString(*body, "scope");
  auto project_id = OptInt(*body, "project_id");
  for (const auto* s : {&name, &description, &color, &scope}) {
    if (!*s) return Fail(s->error());
  }
  if (!project_id) return Fail(project_id.error());
  label.name = name->value_or("");
  label.description = description->value_or("");
  label.color = color->value_or("");
  label.project_id = project_id->value_or(0);
  label.scope = scope->value_or(label.project_id > 0 ? "p" : "g");
  BERTH_TRY(ValidateName(label.name));
  if (label.scope == "g") {
    BERTH_TRY(RequireSysadmin(call));
    label.project_id = 0;
  } else if (label.scope == "p") {
    if (label.project_id <= 0) {
      return Fail(ErrorCode::kBadRequest, "project_id is required for a project label");
    }
    auto project = FindProject(call, std::to_string(label.project_id));
    if (!project) return Fail(project.error());
    BERTH_TRY(RequireProjectAdmin(call, *project));
  } else {
    return Fail(ErrorCode::kBadRequest, fmt::format("invalid scope: {}", label.scope));
  }
  auto created = replication_.labels->Create(label);
  if (!created) return Fail(created.error());
  auto response = http::EmptyResponse(201);
  response.headers.Set("Location", CreatedLocation(call.path, created->id));
  return response;
}

namespace {

// The label of `call`'s {label_id}; NOT_FOUND when absent.
Result<metadata::Label> FindLabel(metadata::LabelStore& labels, std::string_view id_text) {
  auto id = IdParam(id_text, "label id");
  if (!id) return Fail(id.error());
  auto label = labels.Get(*id);
  if (!label) return Fail(label.error());
  if (!*label) return Fail(ErrorCode::kNotFound, fmt::format("label {} not found", *id));
  return std::move(**label);
}

}  // namespace

Result<metadata::Label> ApiService::AccessLabel(const Call& call, bool manage) {
  BERTH_TRY(RequireLabels(replication_.labels));
  BERTH_TRY(RequireLogin(call));
  auto label = FindLabel(*replication_.labels, call.Param("label_id"));
  if (!label) return Fail(label.error());
  if (label->scope == "p") {
    auto project = FindProject(call, std::to_string(label->project_id));
    if (!project) return Fail(project.error());
    BERTH_TRY(manage ? RequireProjectAdmin(call, *project) : RequireProjectRead(call, *project));
  } else if (manage) {
    BERTH_TRY(RequireSysadmin(call));
  }
  return label;
}

Result<http::Response> ApiService::GetLabel(Call& call) {
  auto label = AccessLabel(call, /*manage=*/false);
  if (!label) return Fail(label.error());
  return ToJsonResponse(200, LabelJson(*label));
}

Result<http::Response> ApiService::UpdateLabel(Call& call) {
  auto label = AccessLabel(call, /*manage=*/true);
  if (!label) return Fail(label.error());
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  // Name, description and color change when given; scope and project stay.
  auto name = OptString(*body, "name");
  auto description = OptString(*body, "description");
  auto color = OptString(*body, "color");
  for (const auto* s : {&name, &description, &color}) {
    if (!*s) return Fail(s->error());
  }
  if (*name) label->name = **name;
  if (*description) label->description = **description;
  if (*color) label->color = **color;
  BERTH_TRY(ValidateName(label->name));
  BERTH_TRY(replication_.labels->Update(*label));
  return http::EmptyResponse(200);
}

Result<http::Response> ApiService::DeleteLabel(Call& call) {
  auto label = AccessLabel(call, /*manage=*/true);
  if (!label) return Fail(label.error());
  BERTH_TRY(replication_.labels->Delete(label->id));
  return http::EmptyResponse(200);
}

Result<metadata::Artifact> ApiService::ArtifactToLabel(const Call& call,
                                                       metadata::Project& project) {
  BERTH_TRY(RequireLabels(replication_.labels));
  auto repo = FindRepository(call, project);
  if (!repo) return Fail(repo.error());
  BERTH_TRY(auth_.Authorize(call.identity, repo->name, auth::Action::kPush));
  auto artifact = FindArtifact(*repo, call.Param("reference"));
  if (!artifact) return Fail(artifact.error());
  return artifact;
}

Result<http::Response> ApiService::AddArtifactLabel(Call& call) {
  metadata::Project project;
  auto artifact = ArtifactToLabel(call, project);
  if (!artifact) return Fail(artifact.error());
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  auto id = OptInt(*body, "id");
  if (!id) return Fail(id.error());
  if (!*id || **id <= 0) return Fail(ErrorCode::kBadRequest, "the label id is required");
  auto label = FindLabel(*replication_.labels, std::to_string(**id));
  if (!label) return Fail(label.error());
  if (label->scope == "p" && label->project_id != project.id) {
    return Fail(ErrorCode::kBadRequest, fmt::format("label {} belongs to another project than {}",
                                                    label->id, project.name));
  }
  BERTH_TRY(replication_.labels->Attach(artifact->id, label->id));
  return http::EmptyResponse(200);
}

Result<http::Response> ApiService::RemoveArtifactLabel(Call& call) {
  metadata::Project project;
  auto artifact = ArtifactToLabel(call, project);
  if (!artifact) return Fail(artifact.error());
  auto id = IdParam(call.Param("label_id"), "label id");
  if (!id) return Fail(id.error());
  BERTH_TRY(replication_.labels->Detach(artifact->id, *id));
  return http::EmptyResponse(200);
}

Result<nlohmann::json> ApiService::ArtifactLabelsJson(int64_t artifact_id) {
  if (replication_.labels == nullptr) return json();
  auto labels = replication_.labels->LabelsOf(artifact_id);
  if (!labels) return Fail(labels.error());
  if (labels->empty()) return json();
  json items = json::array();
  for (const auto& l : *labels) items.push_back(LabelJson(l));
  return items;
}

Result<std::vector<metadata::Artifact>> ApiService::WithLabels(
    std::vector<metadata::Artifact> candidates, const std::vector<int64_t>& label_ids) {
  if (label_ids.empty()) return candidates;
  if (replication_.labels == nullptr) return std::vector<metadata::Artifact>();
  std::vector<metadata::Artifact> kept;
  for (auto& artifact : candidates) {
    auto labels = replication_.labels->LabelsOf(artifact.id);
    if (!labels) return Fail(labels.error());
    bool all = std::all_of(label_ids.begin(), label_ids.end(), [&](int64_t id) {
      return std::any_of(labels->begin(), labels->end(),
                         [id](const metadata::Label& l) { return l.id == id; });
    });
    if (all) kept.push_back(std::move(artifact));
  }
  return kept;
}

}  // namespace berth::api
