#include "api/api_service.h"

#include <fmt/format.h>
#include <strings.h>

#include "api/json_io.h"

namespace berth::api {
namespace {

constexpr std::string_view kPrefix = "/api/v2.0";

// The Harbor view of errors raised by the registry-side services.
Error HarborError(Error error) {
  switch (error.code) {
    case ErrorCode::kDenied:
      error.code = ErrorCode::kForbidden;
      break;
    case ErrorCode::kNameUnknown:
    case ErrorCode::kManifestUnknown:
    case ErrorCode::kBlobUnknown:
      error.code = ErrorCode::kNotFound;
      break;
    case ErrorCode::kNameInvalid:
    case ErrorCode::kDigestInvalid:
    case ErrorCode::kManifestInvalid:
      error.code = ErrorCode::kBadRequest;
      break;
    default:
      break;
  }
  return error;
}

bool HeaderIsTrue(const http::Request& request, std::string_view name) {
  auto value = request.headers.Get(name);
  return value && value->size() == 4 && strncasecmp(value->data(), "true", 4) == 0;
}

// A script in a browser page (the web UI) marks its calls with X-Requested-With and
// handles a 401 itself; the Basic challenge would make the browser ask for a password.
void DropChallengeForScripts(const http::Request& request, http::Response& response) {
  auto marker = request.headers.Get("X-Requested-With");
  if (response.status != 401 || !marker ||
      strcasecmp(std::string(*marker).c_str(), "XMLHttpRequest") != 0) {
    return;
  }
  http::Headers kept;
  for (const auto& [name, value] : response.headers.all()) {
    if (strcasecmp(name.c_str(), "WWW-Authenticate") != 0) kept.Add(name, value);
  }
  response.headers = std::move(kept);
}

}  // namespace

ApiService::ApiService(auth::AuthService& auth, metadata::ProjectStore& projects,
                       metadata::ArtifactStore& artifacts, metadata::UserStore& users,
                       content::ContentService& content, ApiOptions options, EndpointDeps endpoints,
                       ReplicationDeps replication)
    : auth_(auth),
      projects_(projects),
      artifacts_(artifacts),
      users_(users),
      content_(content),
      options_(std::move(options)),
      endpoints_(endpoints),
      replication_(replication) {
  AddRegistryRoutes();
  AddReplicationRoutes();
  AddLabelRoutes();
  AddRobotRoutes();
  auto& r = routes_;
  r.Add("GET", "ping", &ApiService::Ping);
  r.Add("GET", "systeminfo", &ApiService::SystemInfo);
  r.Add("GET", "health", &ApiService::Health);

  r.Add("GET", "projects", &ApiService::ListProjects);
  r.Add("HEAD", "projects", &ApiService::HeadProject);
  r.Add("POST", "projects", &ApiService::CreateProject);
  r.Add("GET", "projects/{project_name_or_id}", &ApiService::GetProject);
  r.Add("PUT", "projects/{project_name_or_id}", &ApiService::UpdateProject);
  r.Add("DELETE", "projects/{project_name_or_id}", &ApiService::DeleteProject);
  r.Add("GET", "projects/{project_name_or_id}/_deletable", &ApiService::ProjectDeletable);
  r.Add("GET", "projects/{project_name_or_id}/summary", &ApiService::ProjectSummary);
  r.Add("GET", "projects/{project_name_or_id}/members", &ApiService::ListMembers);
  r.Add("POST", "projects/{project_name_or_id}/members", &ApiService::CreateMember);
  r.Add("GET", "projects/{project_name_or_id}/members/{mid}", &ApiService::GetMember);
  r.Add("PUT", "projects/{project_name_or_id}/members/{mid}", &ApiService::UpdateMember);
  r.Add("DELETE", "projects/{project_name_or_id}/members/{mid}", &ApiService::DeleteMember);

  r.Add("GET", "projects/{project_name_or_id}/artifacts", &ApiService::ListProjectArtifacts);

  r.Add("GET", "repositories", &ApiService::ListAllRepositories);
  r.Add("GET", "projects/{project_name}/repositories", &ApiService::ListRepositories);
  r.Add("GET", "projects/{project_name}/repositories/{repository_name}",
        &ApiService::GetRepository);
  r.Add("PUT", "projects/{project_name}/repositories/{repository_name}",
        &ApiService::UpdateRepository);
  r.Add("DELETE", "projects/{project_name}/repositories/{repository_name}",
        &ApiService::DeleteRepository);

  constexpr std::string_view kArtifacts =
      "projects/{project_name}/repositories/{repository_name}/artifacts";
  r.Add("GET", std::string(kArtifacts), &ApiService::ListArtifacts);
  r.Add("GET", fmt::format("{}/{{reference}}", kArtifacts), &ApiService::GetArtifact);
  r.Add("DELETE", fmt::format("{}/{{reference}}", kArtifacts), &ApiService::DeleteArtifact);
  r.Add("GET", fmt::format("{}/{{reference}}/tags", kArtifacts), &ApiService::ListArtifactTags);
  r.Add("POST", fmt::format("{}/{{reference}}/tags", kArtifacts), &ApiService::CreateArtifactTag);
  r.Add("DELETE", fmt::format("{}/{{reference}}/tags/{{tag_name}}", kArtifacts),
        &ApiService::DeleteArtifactTag);

  r.Add("GET", "search", &ApiService::Search);
  r.Add("GET", "statistics", &ApiService::Statistics);

  r.Add("GET", "users/current", &ApiService::CurrentUser);
  r.Add("GET", "users", &ApiService::ListUsers);
  r.Add("GET", "users/search", &ApiService::SearchUsers);
  r.Add("POST", "users", &ApiService::CreateUser);
  r.Add("GET", "users/{user_id}", &ApiService::GetUser);
  r.Add("DELETE", "users/{user_id}", &ApiService::DeleteUser);
  r.Add("PUT", "users/{user_id}/sysadmin", &ApiService::SetSysadmin);
  r.Add("PUT", "users/{user_id}/password", &ApiService::ChangePassword);
}

const std::string& ApiService::Call::Param(std::string_view name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

http::Task<http::Response> ApiService::Handle(http::Request& request) {
  std::string_view raw =
      request.target.empty() ? std::string_view(request.path) : std::string_view(request.target);
  raw = raw.substr(0, raw.find('?'));
  if (raw.starts_with(kPrefix)) raw.remove_prefix(kPrefix.size());
  std::string path = std::string(kPrefix) + (raw.starts_with('/') ? "" : "/") + std::string(raw);

  http::Response response;
  bool head_as_get = false;
  auto segments = SplitPath(raw);
  // A path known to the async table (the registry routes) is served from there.
  auto async_match = async_routes_.Find(request.method, segments);
  bool is_async = async_match.has_value() || async_match.error().code != ErrorCode::kNotFound;
  auto match = routes_.Find(request.method, segments);
  std::optional<Error> failure;
  if (is_async && !async_match) failure = async_match.error();
  if (!is_async && !match) failure = match.error();
  Result<auth::Identity> identity = Fail(ErrorCode::kInternal);
  if (!failure) {
    identity = auth_.Authenticate(request);
    if (!identity) failure = HarborError(identity.error());
  }
  if (failure) {
    response = ToErrorResponse(*failure);
    if (failure->code == ErrorCode::kMethodNotAllowed) {
      auto allowed = is_async ? async_routes_.Allowed(segments) : routes_.Allowed(segments);
      std::string allow;
      for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
      response.headers.Set("Allow", std::move(allow));
    }
  } else {
    head_as_get = is_async ? async_match->head_as_get : match->head_as_get;
    Call call{request,
              std::move(is_async ? async_match->params : match->params),
              std::move(*identity),
              {},
              path};
    bool has_body =
        request.method == "POST" || request.method == "PUT" || request.method == "PATCH";
    std::optional<Error> body_error;
    if (has_body && request.body != nullptr) {
      auto body = co_await http::ReadAll(
          *request.body, options_.max_body_bytes,
          MakeError(ErrorCode::kBadRequest,
                    fmt::format("the request body exceeds {} bytes", options_.max_body_bytes)));
      if (body) {
        call.body = std::move(*body);
      } else {
        body_error = body.error();
      }
    }
    if (body_error) {
      response = ToErrorResponse(*body_error);
    } else if (is_async) {
      AsyncMethod method = *async_match->handler;
      auto result = co_await (this->*method)(call);
      response = result ? std::move(*result) : ToErrorResponse(HarborError(result.error()));
    } else {
      auto result = Dispatch(call, *match->handler);
      response = result ? std::move(*result) : ToErrorResponse(HarborError(result.error()));
    }
  }
  if (head_as_get || request.method == "HEAD") {
    response.head_length = response.body.size();
    response.body.clear();
  }
  DropChallengeForScripts(request, response);
  if (!request.request_id.empty()) response.headers.Set("X-Request-Id", request.request_id);
  co_return response;
}

#ifndef BERTH_API_REPLICATION
// Built without the replication module: no replication or label routes, no labels.
void ApiService::AddReplicationRoutes() {}
void ApiService::AddLabelRoutes() {}
Result<nlohmann::json> ApiService::ArtifactLabelsJson(int64_t) { return nlohmann::json(); }
Result<std::vector<metadata::Artifact>> ApiService::WithLabels(
    std::vector<metadata::Artifact> candidates, const std::vector<int64_t>& label_ids) {
  if (!label_ids.empty()) candidates.clear();
  return candidates;
}
#endif

Result<http::Response> ApiService::Dispatch(Call& call, const Method& method) {
  return (this->*method)(call);
}

Result<metadata::Project> ApiService::FindProject(const Call& call, std::string_view name_or_id,
                                                  bool allow_id) {
  std::optional<metadata::Project> project;
  auto id = ParseInt(name_or_id);
  if (id && allow_id && !HeaderIsTrue(call.request, "X-Is-Resource-Name")) {
    auto got = projects_.Get(*id);
    if (!got) return Fail(got.error());
    project = std::move(*got);
  } else {
    auto got = projects_.GetByName(name_or_id);
    if (!got) return Fail(got.error());
    project = std::move(*got);
  }
  if (!project) {
    return Fail(ErrorCode::kNotFound, fmt::format("project {} not found", name_or_id));
  }
  return std::move(*project);
}

Result<std::optional<metadata::Role>> ApiService::RoleIn(const auth::Identity& who,
                                                         const metadata::Project& project) {
  if (who.anonymous()) return std::optional<metadata::Role>();
  if (who.robot) {
    // A robot sees the projects it holds a grant in as a limited guest does, and acts on
    // their artifacts as far as its registry actions go.
    using metadata::Role;
    if (auth::RobotHolds(who, project.id, "delete")) return std::optional(Role::kMaintainer);
    if (auth::RobotHolds(who, project.id, "push")) return std::optional(Role::kDeveloper);
    if (auth::RobotHolds(who, project.id, "")) return std::optional(Role::kLimitedGuest);
    return std::optional<Role>();
  }
  return users_.MemberRole(project.id, who.user_id);
}

Result<std::vector<metadata::Project>> ApiService::VisibleProjects(const auth::Identity& who) {
  constexpr int64_t kBatch = 100;
  std::vector<metadata::Project> visible;
  for (int64_t p = 1;; ++p) {
    auto batch = projects_.List(metadata::Page{p, kBatch});
    if (!batch) return Fail(batch.error());
    bool last = static_cast<int64_t>(batch->items.size()) < kBatch || p * kBatch >= batch->total;
    for (auto& project : batch->items) {
      if (!project.is_public && !who.sysadmin) {
        auto role = RoleIn(who, project);
        if (!role) return Fail(role.error());
        if (!*role) continue;
      }
      visible.push_back(std::move(project));
    }
    if (last) break;
  }
  return visible;
}

Status ApiService::AuthorizeOperation(const Call& call, const metadata::Project& project,
                                      const metadata::Repository& repo, auth::Action action,
                                      std::string_view robot_grant, std::string_view operation) {
  const auth::Identity& who = call.identity;
  if (!who.robot) {
    Status allowed = auth_.Authorize(who, repo.name, action);
    if (allowed || allowed.error().code != ErrorCode::kDenied) return allowed;
    return Fail(
        ErrorCode::kForbidden,
        fmt::format("{} of {} needs the {} role in project {}", operation, repo.name,
                    action == auth::Action::kDelete ? "maintainer or project admin"
                                                    : "developer, maintainer or project admin",
                    project.name));
  }
  if (action == auth::Action::kPush && project.registry_id != 0) {
    return Fail(
        ErrorCode::kForbidden,
        fmt::format("project {} is a proxy cache; nothing can be written into it", project.name));
  }
  if (auth::RobotHolds(who, project.id, robot_grant)) return Ok();
  return Fail(ErrorCode::kForbidden,
              fmt::format("{} of {} needs the \"{}\" permission in project {}, which robot "
                          "account {} lacks",
                          operation, repo.name, robot_grant, project.name, who.username));
}

Status ApiService::RequireLogin(const Call& call) {
  if (call.identity.anonymous()) {
    return Fail(ErrorCode::kUnauthorized, "authentication is required for this operation");
  }
  return Ok();
}

Status ApiService::RequireSysadmin(const Call& call) {
  BERTH_TRY(RequireLogin(call));
  if (!call.identity.sysadmin) {
    return Fail(ErrorCode::kForbidden, "only system administrators may do this");
  }
  return Ok();
}

Status ApiService::RequireProjectRead(const Call& call, const metadata::Project& project) {
  if (project.is_public || call.identity.sysadmin) return Ok();
  BERTH_TRY(RequireLogin(call));
  auto role = RoleIn(call.identity, project);
  if (!role) return Fail(role.error());
  if (!*role) {
    return Fail(ErrorCode::kForbidden, fmt::format("{} is not a member of project {}",
                                                   call.identity.username, project.name));
  }
  return Ok();
}

Status ApiService::RequireMemberRead(const Call& call, const metadata::Project& project) {
  BERTH_TRY(RequireLogin(call));
  if (call.identity.sysadmin) return Ok();
  auto role = RoleIn(call.identity, project);
  if (!role) return Fail(role.error());
  if (!*role || **role == metadata::Role::kLimitedGuest) {
    return Fail(ErrorCode::kForbidden,
                fmt::format("only members of {} other than limited guests may see its members",
                            project.name));
  }
  return Ok();
}

Status ApiService::RequireProjectAdmin(const Call& call, const metadata::Project& project) {
  BERTH_TRY(RequireLogin(call));
  if (call.identity.sysadmin) return Ok();
  auto role = RoleIn(call.identity, project);
  if (!role) return Fail(role.error());
  if (*role != metadata::Role::kProjectAdmin) {
    return Fail(ErrorCode::kForbidden,
                fmt::format("the project admin role in {} is required", project.name));
  }
  return Ok();
}

Result<metadata::Repository> ApiService::FindRepository(const Call& call,
                                                        metadata::Project& project) {
  auto found = FindProject(call, call.Param("project_name"), /*allow_id=*/false);
  if (!found) return Fail(found.error());
  project = std::move(*found);
  BERTH_TRY(RequireProjectRead(call, project));
  std::string name = project.name + "/" + DecodeRepositoryParam(call.Param("repository_name"));
  auto repo = artifacts_.GetRepository(name);
  if (!repo) return Fail(repo.error());
  if (!*repo || (*repo)->project_id != project.id) {
    return Fail(ErrorCode::kNotFound, fmt::format("repository {} not found", name));
  }
  return std::move(**repo);
}

}  // namespace berth::api
