// /projects and /projects/{project_name_or_id}/members.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "api/api_service.h"
#include "api/json_io.h"
#include "common/names.h"

namespace berth::api {
namespace {

constexpr std::string_view kZeroTime = "0001-01-01T00:00:00.000Z";

std::string_view RoleName(metadata::Role role) {
  switch (role) {
    case metadata::Role::kProjectAdmin:
      return "projectAdmin";
    case metadata::Role::kDeveloper:
      return "developer";
    case metadata::Role::kGuest:
      return "guest";
    case metadata::Role::kMaintainer:
      return "maintainer";
    case metadata::Role::kLimitedGuest:
      return "limitedGuest";
  }
  return "guest";
}

constexpr std::string_view kRoleIds =
    "1 projectAdmin, 2 developer, 3 guest, 4 maintainer, 5 limitedGuest";

Result<metadata::Role> ParseRole(const nlohmann::json& body) {
  auto it = body.find("role_id");
  if (it == body.end() || it->is_null()) {
    return Fail(ErrorCode::kBadRequest, fmt::format("role_id is required ({})", kRoleIds));
  }
  if (!it->is_number_integer()) {
    return Fail(ErrorCode::kBadRequest, fmt::format("role_id must be an integer ({}), not {}",
                                                    kRoleIds, it->dump().substr(0, 40)));
  }
  int id = it->get<int>();
  if (id < 1 || id > 5) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("role_id {} is not valid: use one of {}", id, kRoleIds));
  }
  return static_cast<metadata::Role>(id);
}

// "true"/"false" (strconv.ParseBool spellings) from ProjectReq.metadata.public, else the
// deprecated top-level boolean `public`.
Result<std::optional<bool>> ParsePublic(const nlohmann::json& body) {
  if (auto meta = body.find("metadata");
      meta != body.end() && !meta->is_null() && !meta->is_object()) {
    return Fail(ErrorCode::kBadRequest,
                "metadata must be an object of strings, e.g. {\"public\":\"true\"}");
  }
  if (auto meta = body.find("metadata"); meta != body.end() && meta->is_object()) {
    if (auto pub = meta->find("public"); pub != meta->end() && !pub->is_null()) {
      if (pub->is_boolean()) return std::optional(pub->get<bool>());
      if (pub->is_string()) {
        std::string v = pub->get<std::string>();
        if (v == "true" || v == "True" || v == "TRUE" || v == "1" || v == "t" || v == "T") {
          return std::optional(true);
        }
        if (v == "false" || v == "False" || v == "FALSE" || v == "0" || v == "f" || v == "F") {
          return std::optional(false);
        }
      }
      return Fail(ErrorCode::kBadRequest, "metadata.public must be \"true\" or \"false\"");
    }
  }
  if (auto pub = body.find("public"); pub != body.end() && !pub->is_null()) {
    if (!pub->is_boolean()) return Fail(ErrorCode::kBadRequest, "public must be a boolean");
    return std::optional(pub->get<bool>());
  }
  return std::optional<bool>();
}

Status ValidateProjectName(std::string_view name) {
  if (name.empty()) return Fail(ErrorCode::kBadRequest, "project_name is required");
  if (name.size() > 255) {
    return Fail(ErrorCode::kBadRequest, "project_name must be at most 255 characters long");
  }
  // Harbor's rule, stricter than a repository path component: single separators only.
  bool doubled = false;
  for (size_t i = 1; i < name.size(); ++i) {
    auto separator = [](char c) { return c == '.' || c == '_' || c == '-'; };
    doubled = doubled || (separator(name[i - 1]) && separator(name[i]));
  }
  if (doubled || name.find('/') != std::string_view::npos || !ValidateRepositoryName(name)) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("project name \"{}\" is not valid: use lower case letters, digits "
                            "and single '.', '_' or '-' separators, starting and ending with "
                            "a letter or digit",
                            name));
  }
  return Ok();
}

// Proxy-cache settings from ProjectReq.metadata: `key` as a number or a numeric string
// within int32 (Harbor's rule); nullopt when absent.
Result<std::optional<int64_t>> ParseProxyLimit(const nlohmann::json& body, const char* key) {
  auto meta = body.find("metadata");
  if (meta == body.end() || !meta->is_object()) return std::optional<int64_t>();
  auto it = meta->find(key);
  if (it == meta->end() || it->is_null()) return std::optional<int64_t>();
  std::optional<int64_t> value;
  if (it->is_number_integer()) {
    value = it->get<int64_t>();
  } else if (it->is_string()) {
    value = ParseInt(it->get<std::string>());
  }
  if (!value || *value < std::numeric_limits<int32_t>::min() ||
      *value > std::numeric_limits<int32_t>::max()) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("metadata.{} must be an integer (-1 for unlimited)", key));
  }
  return value;
}

// Applies metadata.proxy_speed_kb and metadata.max_upstream_conn from `body`, when given.
Status ApplyProxyLimits(const nlohmann::json& body, metadata::Project& project) {
  auto speed = ParseProxyLimit(body, "proxy_speed_kb");
  if (!speed) return Fail(speed.error());
  auto conn = ParseProxyLimit(body, "max_upstream_conn");
  if (!conn) return Fail(conn.error());
  if (*speed) project.proxy_speed_kb = **speed;
  if (*conn) project.max_upstream_conn = **conn;
  return Ok();
}

// The registry_id of a ProjectReq: 0 when absent or null (a normal project).
Result<int64_t> ParseRegistryId(const nlohmann::json& body) {
  auto reg = body.find("registry_id");
  if (reg == body.end() || reg->is_null()) return int64_t{0};
  if (!reg->is_number_integer() || reg->get<int64_t>() < 0) {
    return Fail(ErrorCode::kBadRequest, "registry_id must be a non-negative integer");
  }
  return reg->get<int64_t>();
}

// The endpoint `id` may back a proxy-cache project: it exists (NOT_FOUND "registry <id>
// not found") and its type is one of `allowed` (BAD_REQUEST naming them).
Status CheckProxyEndpoint(endpoints::EndpointService* service,
                          const std::vector<std::string>& allowed, int64_t id) {
  if (service == nullptr) {
    return Fail(ErrorCode::kInternal, "replication endpoints are not configured");
  }
  auto endpoint = service->Get(id);
  if (!endpoint) return Fail(endpoint.error());
  if (std::find(allowed.begin(), allowed.end(), endpoint->type) == allowed.end()) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("unsupported registry type {} of registry {} ({}): a proxy-cache "
                            "project needs an endpoint of type {}",
                            endpoint->type, endpoint->name, id,
                            allowed.empty() ? std::string("(none allowed)")
                                            : fmt::format("{}", fmt::join(allowed, ", "))));
  }
  return Ok();
}

nlohmann::json MemberJson(const metadata::Member& m) {
  return {{"id", m.id},
          {"project_id", m.project_id},
          {"entity_name", m.username},
          {"role_name", RoleName(m.role)},
          {"role_id", static_cast<int>(m.role)},
          {"entity_id", m.user_id},
          {"entity_type", "u"}};
}

}  // namespace

Result<nlohmann::json> ApiService::ProjectJson(const metadata::Project& project,
                                               const auth::Identity& who) {
  auto count = projects_.RepositoryCount(project.id);
  if (!count) return Fail(count.error());
  auto owner = users_.Get(project.owner_id);
  if (!owner) return Fail(owner.error());
  auto role = RoleIn(who, project);
  if (!role) return Fail(role.error());
  std::optional<metadata::Role> effective = *role;
  if (!effective && who.sysadmin) effective = metadata::Role::kProjectAdmin;

  nlohmann::json j = {
      {"project_id", project.id},
      {"owner_id", project.owner_id},
      {"name", project.name},
      {"registry_id", project.registry_id},
      {"creation_time", project.creation_time},
      {"update_time", project.update_time},
      {"deleted", false},
      {"owner_name", *owner ? (*owner)->username : std::string()},
      {"togglable", true},
      {"repo_count", *count},
      {"metadata", {{"public", project.is_public ? "true" : "false"}}},
      {"cve_allowlist",
       {{"id", 0},
        {"project_id", project.id},
        {"items", nlohmann::json::array()},
        {"creation_time", kZeroTime},
        {"update_time", kZeroTime}}},
  };
  if (project.registry_id > 0) {
    j["metadata"]["proxy_speed_kb"] = std::to_string(project.proxy_speed_kb);
    j["metadata"]["max_upstream_conn"] = std::to_string(project.max_upstream_conn);
  }
  if (effective) {
    j["current_user_role_id"] = static_cast<int>(*effective);
    j["current_user_role_ids"] = nlohmann::json::array({static_cast<int>(*effective)});
  }
  return j;
}

Result<http::Response> ApiService::ListProjects(Call& call) {
  const auto& query = call.request.query;
  auto page = ParsePage(query);
  if (!page) return Fail(page.error());
  auto name = ParseNameFilter(query);
  if (!name) return Fail(name.error());
  auto is_public = QueryBool(call.request, "public");
  if (!is_public) return Fail(is_public.error());
  std::optional<int64_t> owner_id;
  if (auto owner = call.request.Query("owner"); owner && !owner->empty()) {
    auto user = users_.GetByName(*owner);
    if (!user) return Fail(user.error());
    owner_id = *user ? (*user)->id : -1;
  }

  // Visibility depends on membership, so the filters run here rather than in SQL.
  auto visible = VisibleProjects(call.identity);
  if (!visible) return Fail(visible.error());
  std::erase_if(*visible, [&](const metadata::Project& project) {
    return !name->Matches(project.name) || (owner_id && project.owner_id != *owner_id) ||
           (*is_public && project.is_public != **is_public);
  });
  int64_t total = static_cast<int64_t>(visible->size());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& project : Slice(std::move(*visible), *page)) {
    auto j = ProjectJson(project, call.identity);
    if (!j) return Fail(j.error());
    items.push_back(std::move(*j));
  }
  auto response = ToJsonResponse(200, items);
  SetPagingHeaders(response, call.path, query, *page, total);
  return response;
}

Result<http::Response> ApiService::HeadProject(Call& call) {
  auto name = call.request.Query("project_name");
  if (!name || name->empty()) {
    return Fail(ErrorCode::kBadRequest, "the project_name query parameter is required");
  }
  auto project = projects_.GetByName(*name);
  if (!project) return Fail(project.error());
  if (!*project) return Fail(ErrorCode::kNotFound, fmt::format("project {} not found", *name));
  // As Harbor, and as GET: a private project exists only for those who may read it.
  BERTH_TRY(RequireProjectRead(call, **project));
  return http::EmptyResponse(200);
}

Result<http::Response> ApiService::CreateProject(Call& call) {
  BERTH_TRY(RequireLogin(call));
  if (call.identity.robot) {
    return Fail(ErrorCode::kForbidden, "robot accounts cannot create projects");
  }
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  auto name_it = body->find("project_name");
  if (name_it == body->end() || name_it->is_null()) {
    return Fail(ErrorCode::kBadRequest, "project_name is required");
  }
  if (!name_it->is_string()) {
    return Fail(ErrorCode::kBadRequest, "project_name must be a string");
  }
  std::string name = name_it->get<std::string>();
  BERTH_TRY(ValidateProjectName(name));
  auto is_public = ParsePublic(*body);
  if (!is_public) return Fail(is_public.error());

  metadata::Project project;
  project.name = name;
  project.is_public = is_public->value_or(false);
  project.owner_id = call.identity.user_id;
  auto registry_id = ParseRegistryId(*body);
  if (!registry_id) return Fail(registry_id.error());
  if (*registry_id > 0) {
    if (!call.identity.sysadmin) {
      return Fail(ErrorCode::kForbidden,
                  "only system administrators can create proxy-cache projects");
    }
    BERTH_TRY(CheckProxyEndpoint(endpoints_.service, options_.proxy_cache_providers, *registry_id));
    project.registry_id = *registry_id;
    BERTH_TRY(ApplyProxyLimits(*body, project));
  }
  project.creation_time = project.update_time = NowRfc3339();

  auto created = projects_.Create(project);
  if (!created) {
    if (created.error().code == ErrorCode::kConflict) {
      return Fail(ErrorCode::kConflict, fmt::format("The project named {} already exists", name));
    }
    return Fail(created.error());
  }
  BERTH_TRY(users_.SetMember(created->id, call.identity.user_id, metadata::Role::kProjectAdmin));

  auto response = http::EmptyResponse(201);
  bool by_name = call.request.headers.Get("X-Resource-Name-In-Location") == "true";
  response.headers.Set(
      "Location",
      fmt::format("/api/v2.0/projects/{}", by_name ? created->name : std::to_string(created->id)));
  return response;
}

Result<http::Response> ApiService::GetProject(Call& call) {
  auto project = FindProject(call, call.Param("project_name_or_id"));
  if (!project) return Fail(project.error());
  BERTH_TRY(RequireProjectRead(call, *project));
  auto j = ProjectJson(*project, call.identity);
  if (!j) return Fail(j.error());
  return ToJsonResponse(200, *j);
}

Result<http::Response> ApiService::UpdateProject(Call& call) {
  auto project = FindProject(call, call.Param("project_name_or_id"));
  if (!project) return Fail(project.error());
  BERTH_TRY(RequireProjectAdmin(call, *project));
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  auto is_public = ParsePublic(*body);
  if (!is_public) return Fail(is_public.error());
  auto registry_id = ParseRegistryId(*body);
  if (!registry_id) return Fail(registry_id.error());
  bool names_registry = body->contains("registry_id") && !(*body)["registry_id"].is_null();
  if (names_registry && *registry_id != project->registry_id) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("the registry_id of project {} cannot be changed", project->name));
  }
  if (project->registry_id > 0) BERTH_TRY(ApplyProxyLimits(*body, *project));
  if (*is_public) project->is_public = **is_public;
  project->update_time = NowRfc3339();
  BERTH_TRY(projects_.Update(*project));
  return http::EmptyResponse(200);
}

Result<http::Response> ApiService::DeleteProject(Call& call) {
  auto project = FindProject(call, call.Param("project_name_or_id"));
  if (!project) return Fail(project.error());
  BERTH_TRY(RequireProjectAdmin(call, *project));
  auto count = projects_.RepositoryCount(project->id);
  if (!count) return Fail(count.error());
  if (*count > 0) {
    return Fail(ErrorCode::kPrecondition,
                fmt::format("the project {} still contains {} repositories; delete them first",
                            project->name, *count));
  }
  // Robots of other projects that held permissions here keep none for a later project of
  // the same name: Harbor keeps permissions by project id.
  std::vector<metadata::Robot> robots;
  if (robots_ != nullptr) {
    auto holding = robots_->WithGrantsIn(project->id);
    if (!holding) return Fail(holding.error());
    robots = std::move(*holding);
  }
  BERTH_TRY(projects_.Delete(project->id));
  for (auto& robot : robots) {
    if (robot.level != "system") continue;  // a project robot went with its project
    auto permissions = nlohmann::json::parse(robot.permissions, nullptr, false);
    if (!permissions.is_array()) continue;
    nlohmann::json kept = nlohmann::json::array();
    for (auto& p : permissions) {
      if (!p.is_object() || p.value("namespace", "") != project->name) kept.push_back(std::move(p));
    }
    permissions = std::move(kept);
    robot.permissions = permissions.dump();
    auto grants = robots_->Grants(robot.id);
    if (!grants) return Fail(grants.error());
    BERTH_TRY(robots_->Update(robot, *grants));
  }
  if (!robots.empty()) auth_.ForgetCachedCredentials();
  return http::EmptyResponse(200);
}

Result<http::Response> ApiService::ProjectDeletable(Call& call) {
  auto project = FindProject(call, call.Param("project_name_or_id"));
  if (!project) return Fail(project.error());
  BERTH_TRY(RequireProjectAdmin(call, *project));
  auto count = projects_.RepositoryCount(project->id);
  if (!count) return Fail(count.error());
  nlohmann::json body = {{"deletable", *count == 0}};
  if (*count > 0) {
    body["message"] = fmt::format("the project contains {} repositories", *count);
  }
  return ToJsonResponse(200, body);
}

Result<http::Response> ApiService::ListMembers(Call& call) {
  auto project = FindProject(call, call.Param("project_name_or_id"));
  if (!project) return Fail(project.error());
  BERTH_TRY(RequireMemberRead(call, *project));
  auto page = ParsePage(call.request.query);
  if (!page) return Fail(page.error());
  auto members = users_.ListMembers(project->id);
  if (!members) return Fail(members.error());
  std::string_view entity = call.request.Query("entityname").value_or("");
  std::erase_if(*members, [&](const metadata::Member& m) {
    return !entity.empty() && m.username.find(entity) == std::string::npos;
  });
  int64_t total = static_cast<int64_t>(members->size());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& m : Slice(std::move(*members), *page)) items.push_back(MemberJson(m));
  auto response = ToJsonResponse(200, items);
  SetPagingHeaders(response, call.path, call.request.query, *page, total);
  return response;
}

Result<http::Response> ApiService::CreateMember(Call& call) {
  auto project = FindProject(call, call.Param("project_name_or_id"));
  if (!project) return Fail(project.error());
  BERTH_TRY(RequireProjectAdmin(call, *project));
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  auto role = ParseRole(*body);
  if (!role) return Fail(role.error());
  if (auto group = body->find("member_group");
      group != body->end() && !group->is_null() && !group->empty()) {
    return Fail(ErrorCode::kBadRequest, "group members are not supported; use member_user");
  }
  auto user_it = body->find("member_user");
  if (user_it == body->end() || !user_it->is_object()) {
    return Fail(ErrorCode::kBadRequest, "member_user with user_id or username is required");
  }
  Result<std::optional<metadata::User>> user = std::optional<metadata::User>();
  std::string wanted;
  if (auto id = user_it->find("user_id");
      id != user_it->end() && !id->is_null() && !id->is_number_integer()) {
    return Fail(ErrorCode::kBadRequest, "member_user.user_id must be an integer");
  }
  if (auto id = user_it->find("user_id");
      id != user_it->end() && id->is_number_integer() && id->get<int64_t>() > 0) {
    wanted = std::to_string(id->get<int64_t>());
    user = users_.Get(id->get<int64_t>());
  } else if (auto name = user_it->find("username"); name != user_it->end() && name->is_string()) {
    wanted = name->get<std::string>();
    user = users_.GetByName(wanted);
  } else {
    return Fail(ErrorCode::kBadRequest, "member_user needs user_id or username");
  }
  if (!user) return Fail(user.error());
  if (!*user) return Fail(ErrorCode::kNotFound, fmt::format("user {} not found", wanted));
  auto existing = users_.MemberRole(project->id, (*user)->id);
  if (!existing) return Fail(existing.error());
  if (*existing) {
    return Fail(ErrorCode::kConflict, fmt::format("user {} is already a member of project {}",
                                                  (*user)->username, project->name));
  }
  BERTH_TRY(users_.SetMember(project->id, (*user)->id, *role));
  auto members = users_.ListMembers(project->id);
  if (!members) return Fail(members.error());
  int64_t member_id = 0;
  for (const auto& m : *members) {
    if (m.user_id == (*user)->id) member_id = m.id;
  }
  auto response = http::EmptyResponse(201);
  // As Harbor: the project as the client named it.
  response.headers.Set("Location", fmt::format("/api/v2.0/projects/{}/members/{}",
                                               call.Param("project_name_or_id"), member_id));
  return response;
}

namespace {

Result<metadata::Member> FindMember(metadata::UserStore& users, const metadata::Project& project,
                                    std::string_view mid) {
  auto id = PathId(mid, "mid", 1);
  if (!id) return Fail(id.error());
  auto members = users.ListMembers(project.id);
  if (!members) return Fail(members.error());
  for (auto& m : *members) {
    if (m.id == *id) return std::move(m);
  }
  return Fail(ErrorCode::kNotFound,
              fmt::format("member {} not found in project {}", mid, project.name));
}

}  // namespace

Result<http::Response> ApiService::GetMember(Call& call) {
  auto project = FindProject(call, call.Param("project_name_or_id"));
  if (!project) return Fail(project.error());
  BERTH_TRY(RequireMemberRead(call, *project));
  auto member = FindMember(users_, *project, call.Param("mid"));
  if (!member) return Fail(member.error());
  return ToJsonResponse(200, MemberJson(*member));
}

Result<http::Response> ApiService::UpdateMember(Call& call) {
  auto project = FindProject(call, call.Param("project_name_or_id"));
  if (!project) return Fail(project.error());
  BERTH_TRY(RequireProjectAdmin(call, *project));
  auto member = FindMember(users_, *project, call.Param("mid"));
  if (!member) return Fail(member.error());
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  auto role = ParseRole(*body);
  if (!role) return Fail(role.error());
  BERTH_TRY(users_.SetMember(project->id, member->user_id, *role));
  return http::EmptyResponse(200);
}

Result<http::Response> ApiService::DeleteMember(Call& call) {
  auto project = FindProject(call, call.Param("project_name_or_id"));
  if (!project) return Fail(project.error());
  BERTH_TRY(RequireProjectAdmin(call, *project));
  auto member = FindMember(users_, *project, call.Param("mid"));
  if (!member) return Fail(member.error());
  BERTH_TRY(users_.RemoveMember(project->id, member->user_id));
  return http::EmptyResponse(200);
}

}  // namespace berth::api
