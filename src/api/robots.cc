// /robots: Harbor's robot accounts. A system robot (system admins manage it) may hold
// permissions in several projects or in every one ("*"); a project robot (the project's
// admins manage it) in its own project only. The secret is shown once, when created or
// refreshed, and stored as an argon2id hash.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "api/api_service.h"
#include "api/json_io.h"
#include "auth/password.h"

namespace berth::api {
namespace {

constexpr int64_t kMaxDurationDays = 36500;
constexpr std::string_view kSecretRule =
    "secret is not valid: it must be 8 to 128 characters long with at least 1 uppercase "
    "letter, 1 lowercase letter and 1 number";
constexpr std::string_view kSystem = "system";
constexpr std::string_view kProject = "project";

// The Harbor resources a robot permission may name. Berth applies the registry's
// actions among them (see RegistryAction); the rest are kept and shown.
constexpr std::array<std::string_view, 24> kResources = {
    "repository", "artifact",      "tag",           "artifact-label",      "artifact-addition",
    "scan",       "sbom",          "helm-chart",    "helm-chart-version",  "label",
    "member",     "log",           "metadata",      "notification-policy", "preheat-policy",
    "quota",      "immutable-tag", "tag-retention", "accessory",           "export-cve",
    "scanner",    "robot",         "project",       "configuration"};
constexpr std::array<std::string_view, 11> kActions = {"pull",    "push",         "create", "read",
                                                       "update",  "delete",       "list",   "stop",
                                                       "operate", "scanner-pull", "*"};

// The grant a Harbor access entry amounts to: the registry's actions ("pull", "push",
// "delete": an artifact's manifest), or one of the API operations Harbor checks on its
// own (ApiService::kRobot*), or "" for Harbor features Berth does not have.
std::string_view RegistryAction(std::string_view resource, std::string_view action) {
  if (resource == "repository" && (action == "pull" || action == "push")) return action;
  if (resource == "artifact" && action == "delete") return "delete";
  if (resource == "tag" && action == "delete") return ApiService::kRobotTagDelete;
  if (resource == "tag" && action == "create") return ApiService::kRobotTagCreate;
  if (resource == "repository" && action == "delete") return ApiService::kRobotRepositoryDelete;
  if (resource == "repository" && action == "update") return ApiService::kRobotRepositoryUpdate;
  return "";
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "name" as Harbor's robot names: lower case letters and digits with single '.', '_' or
// '-' separators, starting and ending with a letter or digit.
Status ValidateRobotName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 255;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (size_t i = 0; ok && i < name.size(); ++i) {
    char c = name[i];
    bool separator = c == '.' || c == '_' || c == '-';
    ok = alnum(c) || (separator && i > 0 && i + 1 < name.size() && alnum(name[i - 1]));
  }
  if (!ok) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("robot name \"{}\" is not valid: use 1 to 255 lower case letters, "
                            "digits and single '.', '_' or '-' separators, starting and ending "
                            "with a letter or digit",
                            name));
  }
  return Ok();
}

// duration (days): -1 never expires, else 1 to kMaxDurationDays.
Result<int64_t> ParseDuration(const nlohmann::json& body) {
  auto duration = OptInt(body, "duration");
  if (!duration) return Fail(duration.error());
  if (!*duration) {
    return Fail(ErrorCode::kBadRequest, "duration is required: days, or -1 for never expiring");
  }
  if (**duration != -1 && (**duration < 1 || **duration > kMaxDurationDays)) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("duration {} is not valid: use -1 (never expires) or 1 to {} days",
                            **duration, kMaxDurationDays));
  }
  return **duration;
}

int64_t ExpiresAt(int64_t duration_days, int64_t from_seconds) {
  return duration_days < 0 ? -1 : from_seconds + duration_days * 86400;
}

// Seconds since the epoch of a stored "YYYY-MM-DDTHH:MM:SS..." UTC timestamp (0 if bad).
int64_t EpochOf(std::string_view timestamp) {
  std::tm tm{};
  std::string text(timestamp.substr(0, 19));
  if (!strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  return timegm(&tm);
}

}  // namespace

struct ApiService::RobotRequest {
  std::vector<metadata::RobotGrant> grants;
  nlohmann::json permissions = nlohmann::json::array();
  int64_t project_id = 0;  // for a project robot: its project
  std::string project_name;
};

Result<ApiService::RobotRequest> ApiService::ParseRobotPermissions(const Call& call,
                                                                   const nlohmann::json& body,
                                                                   std::string_view level) {
  auto it = body.find("permissions");
  if (it == body.end() || !it->is_array() || it->empty()) {
    return Fail(ErrorCode::kBadRequest,
                "permissions is required: a list of {\"kind\": \"project\", \"namespace\": "
                "\"<project>\" or \"*\", \"access\": [{\"resource\": \"repository\", \"action\": "
                "\"pull\"}, ...]}");
  }
  RobotRequest out;
  std::set<std::pair<int64_t, std::string>> grants;
  for (const auto& perm : *it) {
    if (!perm.is_object()) return Fail(ErrorCode::kBadRequest, "permissions must hold objects");
    auto kind = OptString(perm, "kind", "permissions[].");
    if (!kind) return Fail(kind.error());
    if (kind->value_or("") != "project") {
      return Fail(ErrorCode::kBadRequest,
                  fmt::format("permission kind \"{}\" is not supported: Berth's robots hold "
                              "project permissions (kind \"project\")",
                              kind->value_or("")));
    }
    auto ns = OptString(perm, "namespace", "permissions[].");
    if (!ns) return Fail(ns.error());
    if (!*ns || (*ns)->empty()) {
      return Fail(ErrorCode::kBadRequest,
                  "permissions[].namespace is required: a project name, or \"*\" for every "
                  "project (system robots only)");
    }
    int64_t project_id = 0;
    if (**ns == "*") {
      if (level != kSystem) {
        return Fail(ErrorCode::kBadRequest,
                    "a project robot's permission names its project, not \"*\"");
      }
    } else {
      auto project = FindProject(call, **ns, /*allow_id=*/false);
      if (!project) return Fail(project.error());
      project_id = project->id;
      if (level == kProject) {
        if (out.project_id != 0 && out.project_id != project_id) {
          return Fail(ErrorCode::kBadRequest,
                      "a project robot holds permissions in one project only");
        }
        out.project_id = project_id;
        out.project_name = project->name;
      }
    }
    if (level == kProject && out.project_id == 0) {
      return Fail(ErrorCode::kBadRequest, "a project robot needs a permission in its project");
    }
    auto access = perm.find("access");
    if (access == perm.end() || !access->is_array() || access->empty()) {
      return Fail(ErrorCode::kBadRequest,
                  fmt::format("permissions[].access for {} is required: a list of {{\"resource\", "
                              "\"action\"}}",
                              **ns));
    }
    nlohmann::json kept_access = nlohmann::json::array();
    for (const auto& a : *access) {
      if (!a.is_object()) return Fail(ErrorCode::kBadRequest, "access must hold objects");
      auto resource = OptString(a, "resource", "access[].");
      if (!resource) return Fail(resource.error());
      auto action = OptString(a, "action", "access[].");
      if (!action) return Fail(action.error());
      auto effect = OptString(a, "effect", "access[].");
      if (!effect) return Fail(effect.error());
      const std::string r = resource->value_or(""), act = action->value_or("");
      if (std::find(kResources.begin(), kResources.end(), r) == kResources.end()) {
        return Fail(ErrorCode::kBadRequest,
                    fmt::format("unknown resource \"{}\" in access: use Harbor's resource names; "
                                "Berth applies repository pull and push, and delete on "
                                "repository, artifact or tag",
                                r));
      }
      if (std::find(kActions.begin(), kActions.end(), act) == kActions.end()) {
        return Fail(ErrorCode::kBadRequest, fmt::format("unknown action \"{}\" in access", act));
      }
      if (effect->has_value() && **effect != "allow") {
        return Fail(ErrorCode::kBadRequest,
                    fmt::format("access effect \"{}\" is not supported: only \"allow\"", **effect));
      }
      if (auto granted = RegistryAction(r, act); !granted.empty()) {
        grants.emplace(project_id, std::string(granted));
      }
      nlohmann::json entry = {{"resource", r}, {"action", act}};
      if (effect->has_value()) entry["effect"] = **effect;
      kept_access.push_back(std::move(entry));
    }
    out.permissions.push_back(
        {{"kind", "project"}, {"namespace", **ns}, {"access", std::move(kept_access)}});
  }
  for (const auto& [project_id, action] : grants) {
    out.grants.push_back(metadata::RobotGrant{project_id, action});
  }
  return out;
}

nlohmann::json ApiService::RobotJson(const metadata::Robot& robot) {
  auto permissions = nlohmann::json::parse(robot.permissions, nullptr, false);
  return {
      {"id", robot.id},
      {"name", robot.name},
      {"description", robot.description},
      {"level", robot.level},
      {"duration", robot.duration},
      {"editable", true},
      {"disable", robot.disabled},
      {"expires_at", robot.expires_at},
      {"permissions", permissions.is_discarded() ? nlohmann::json::array() : permissions},
      {"creator_type", "local"},
      {"creator_ref", robot.creator_id},
      {"creation_time", robot.creation_time},
      {"update_time", robot.update_time},
  };
}

Status ApiService::RequireRobots(const Call& call) const {
  if (robots_ == nullptr) return Fail(ErrorCode::kInternal, "robot accounts are not configured");
  BERTH_TRY(RequireLogin(call));
  if (call.identity.robot) {
    return Fail(ErrorCode::kForbidden, "robot accounts cannot manage robot accounts");
  }
  return Ok();
}

Result<metadata::Robot> ApiService::AccessRobot(const Call& call, bool manage) {
  BERTH_TRY(RequireRobots(call));
  auto id = PathId(call.Param("robot_id"), "robot_id", 1);
  if (!id) return Fail(id.error());
  auto robot = robots_->Get(*id);
  if (!robot) return Fail(robot.error());
  if (!*robot) return Fail(ErrorCode::kNotFound, fmt::format("robot {} not found", *id));
  if ((*robot)->level == kProject && !call.identity.sysadmin) {
    auto project = projects_.Get((*robot)->project_id);
    if (!project) return Fail(project.error());
    if (!*project) return Fail(ErrorCode::kNotFound, fmt::format("robot {} not found", *id));
    BERTH_TRY(manage ? RequireProjectAdmin(call, **project) : RequireMemberRead(call, **project));
  } else {
    BERTH_TRY(RequireSysadmin(call));
  }
  return std::move(**robot);
}

Result<http::Response> ApiService::ListRobots(Call& call) {
  BERTH_TRY(RequireRobots(call));
  auto page = ParsePage(call.request.query);
  if (!page) return Fail(page.error());
  std::string level, name;
  int64_t project_id = 0;
  bool fuzzy = true;
  if (auto q = call.request.Query("q"); q && !q->empty()) {
    auto terms = ParseQ(*q);
    if (!terms) return Fail(terms.error());
    for (const auto& t : *terms) {
      if (t.key == "Level" || t.key == "level") {
        level = t.value;
      } else if (t.key == "ProjectID" || t.key == "project_id") {
        auto id = ParseInt(t.value);
        if (!id || *id < 1) {
          return Fail(ErrorCode::kBadRequest, "ProjectID in q must be a project id");
        }
        project_id = *id;
      } else if (t.key == "name") {
        name = t.value;
        fuzzy = t.fuzzy;
      } else {
        return Fail(
            ErrorCode::kBadRequest,
            fmt::format("q key {} is not supported here: use Level, ProjectID or name", t.key));
      }
    }
  }
  if (level == kProject && project_id != 0) {
    auto project = FindProject(call, std::to_string(project_id));
    if (!project) return Fail(project.error());
    BERTH_TRY(RequireMemberRead(call, *project));
  } else if (!level.empty() && level != kSystem && level != kProject) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("Level {} is not valid: use system or project", level));
  } else {
    BERTH_TRY(RequireSysadmin(call));
  }
  auto list = robots_->List(metadata::Page{1, 0}, level, project_id, fuzzy ? name : "");
  if (!list) return Fail(list.error());
  if (!fuzzy) {
    // As Harbor, whose robots are stored without the prefix: "ci" finds robot$ci.
    std::erase_if(list->items, [&](const metadata::Robot& r) {
      return r.name != name && r.name != std::string(auth::kRobotPrefix) + name;
    });
  }
  const auto total = static_cast<int64_t>(list->items.size());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : Slice(std::move(list->items), *page)) items.push_back(RobotJson(r));
  auto response = ToJsonResponse(200, items);
  SetPagingHeaders(response, call.path, call.request.query, *page, total);
  return response;
}

Result<http::Response> ApiService::CreateRobot(Call& call) {
  BERTH_TRY(RequireRobots(call));
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  auto name = OptString(*body, "name");
  if (!name) return Fail(name.error());
  BERTH_TRY(ValidateRobotName(name->value_or("")));
  auto level = OptString(*body, "level");
  if (!level) return Fail(level.error());
  if (*level != kSystem && *level != kProject) {
    return Fail(ErrorCode::kBadRequest, "level is required: \"system\" or \"project\"");
  }
  auto duration = ParseDuration(*body);
  if (!duration) return Fail(duration.error());
  auto description = OptString(*body, "description");
  if (!description) return Fail(description.error());
  auto disable = OptBool(*body, "disable");
  if (!disable) return Fail(disable.error());
  auto secret = OptString(*body, "secret");
  if (!secret) return Fail(secret.error());
  if (secret->has_value() && !(*secret)->empty() && !auth::MeetsPasswordPolicy(**secret)) {
    return Fail(ErrorCode::kBadRequest, std::string(kSecretRule));
  }
  auto request = ParseRobotPermissions(call, *body, **level);
  if (!request) return Fail(request.error());
  if (*level == kSystem) {
    BERTH_TRY(RequireSysadmin(call));
  } else {
    auto project = FindProject(call, request->project_name, /*allow_id=*/false);
    if (!project) return Fail(project.error());
    BERTH_TRY(RequireProjectAdmin(call, *project));
  }

  std::string plain = secret->value_or("").empty() ? auth::GeneratePassword(32) : **secret;
  metadata::Robot robot;
  robot.name = std::string(auth::kRobotPrefix) +
               (*level == kProject ? request->project_name + "+" : "") + **name;
  robot.description = description->value_or("");
  robot.secret_hash = auth::HashPassword(plain);
  robot.level = **level;
  robot.project_id = request->project_id;
  robot.disabled = disable->value_or(false);
  robot.duration = *duration;
  robot.expires_at = ExpiresAt(*duration, NowSeconds());
  robot.permissions = request->permissions.dump();
  robot.creator_id = call.identity.user_id;
  auto created = robots_->Create(robot, request->grants);
  if (!created) return Fail(created.error());
  auto response = ToJsonResponse(201, {{"id", created->id},
                                       {"name", created->name},
                                       {"secret", plain},
                                       {"creation_time", created->creation_time},
                                       {"expires_at", created->expires_at}});
  response.headers.Set("Location", CreatedLocation(call.path, created->id));
  return response;
}

Result<http::Response> ApiService::GetRobot(Call& call) {
  auto robot = AccessRobot(call, /*manage=*/false);
  if (!robot) return Fail(robot.error());
  return ToJsonResponse(200, RobotJson(*robot));
}

// As Harbor's PUT: name and level stay; description, disable, duration and permissions
// change (absent: kept). A new duration counts from the robot's creation.
Result<http::Response> ApiService::UpdateRobot(Call& call) {
  auto robot = AccessRobot(call, /*manage=*/true);
  if (!robot) return Fail(robot.error());
  auto body = ParseJsonObject(call.body);
  if (!body) return Fail(body.error());
  auto name = OptString(*body, "name");
  if (!name) return Fail(name.error());
  auto level = OptString(*body, "level");
  if (!level) return Fail(level.error());
  if ((name->has_value() && **name != robot->name &&
       std::string(auth::kRobotPrefix) + **name != robot->name) ||
      (level->has_value() && **level != robot->level)) {
    return Fail(ErrorCode::kBadRequest,
                "a robot's name and level cannot change: create another robot instead");
  }
  auto description = OptString(*body, "description");
  if (!description) return Fail(description.error());
  auto disable = OptBool(*body, "disable");
  if (!disable) return Fail(disable.error());
  if (body->contains("duration") && !(*body)["duration"].is_null()) {
    auto duration = ParseDuration(*body);
    if (!duration) return Fail(duration.error());
    robot->duration = *duration;
    robot->expires_at = ExpiresAt(*duration, EpochOf(robot->creation_time));
  }
  std::vector<metadata::RobotGrant> grants;
  if (body->contains("permissions") && !(*body)["permissions"].is_null()) {
    auto request = ParseRobotPermissions(call, *body, robot->level);
    if (!request) return Fail(request.error());
    if (robot->level == kProject && request->project_id != robot->project_id) {
      return Fail(ErrorCode::kBadRequest, "a project robot stays in its project");
    }
    robot->permissions = request->permissions.dump();
    grants = std::move(request->grants);
  } else {
    auto kept = robots_->Grants(robot->id);
    if (!kept) return Fail(kept.error());
    grants = std::move(*kept);
  }
  if (description->has_value()) robot->description = **description;
  if (disable->has_value()) robot->disabled = **disable;
  BERTH_TRY(robots_->Update(*robot, grants));
  auth_.ForgetCachedCredentials();
  return http::EmptyResponse(200);
}

// PATCH: a new secret, the one given (it must meet the password rules) or a generated one.
Result<http::Response> ApiService::RefreshRobotSecret(Call& call) {
  auto robot = AccessRobot(call, /*manage=*/true);
  if (!robot) return Fail(robot.error());
  std::optional<std::string> given;
  if (!call.body.empty()) {
    auto body = ParseJsonObject(call.body);
    if (!body) return Fail(body.error());
    auto secret = OptString(*body, "secret");
    if (!secret) return Fail(secret.error());
    if (secret->has_value() && !(*secret)->empty()) given = **secret;
  }
  if (given && !auth::MeetsPasswordPolicy(*given)) {
    return Fail(ErrorCode::kBadRequest, std::string(kSecretRule));
  }
  std::string plain = given.value_or(auth::GeneratePassword(32));
  BERTH_TRY(robots_->SetSecret(robot->id, auth::HashPassword(plain)));
  auth_.ForgetCachedCredentials();
  return ToJsonResponse(200, {{"secret", plain}});
}

Result<http::Response> ApiService::DeleteRobot(Call& call) {
  auto robot = AccessRobot(call, /*manage=*/true);
  if (!robot) return Fail(robot.error());
  BERTH_TRY(robots_->Delete(robot->id));
  auth_.ForgetCachedCredentials();
  return http::EmptyResponse(200);
}

void ApiService::AddRobotRoutes() {
  auto& r = routes_;
  r.Add("GET", "robots", &ApiService::ListRobots);
  r.Add("POST", "robots", &ApiService::CreateRobot);
  r.Add("GET", "robots/{robot_id}", &ApiService::GetRobot);
  r.Add("PUT", "robots/{robot_id}", &ApiService::UpdateRobot);
  r.Add("PATCH", "robots/{robot_id}", &ApiService::RefreshRobotSecret);
  r.Add("DELETE", "robots/{robot_id}", &ApiService::DeleteRobot);
}

}  // namespace berth::api
