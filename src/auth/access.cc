#include "auth/access.h"

#include <algorithm>

#include "common/names.h"

namespace berth::auth {
namespace {

using metadata::Role;

std::string_view RequiredRoles(Action action) {
  switch (action) {
    case Action::kPull:
      return "a public project or any project role";
    case Action::kPush:
      return "the developer, maintainer or project admin role";
    case Action::kDelete:
      return "the maintainer or project admin role";
  }
  return "";
}

std::optional<Action> ParseAction(std::string_view name) {
  if (name == "pull") return Action::kPull;
  if (name == "push") return Action::kPush;
  if (name == "delete") return Action::kDelete;
  return std::nullopt;
}

}  // namespace

bool RoleAllows(std::optional<Role> role, bool is_public, Action action) {
  switch (action) {
    case Action::kPull:
      return is_public || role.has_value();
    case Action::kPush:
      return role == Role::kDeveloper || role == Role::kMaintainer || role == Role::kProjectAdmin;
    case Action::kDelete:
      return role == Role::kMaintainer || role == Role::kProjectAdmin;
  }
  return false;
}

bool RobotHolds(const Identity& who, int64_t project_id, std::string_view grant) {
  return std::any_of(who.robot_grants.begin(), who.robot_grants.end(), [&](const auto& g) {
    return (g.project_id == 0 || g.project_id == project_id) &&
           (grant.empty() || g.action == grant);
  });
}

bool RobotAllows(const Identity& who, const ProjectFacts& facts, Action action) {
  if (action == Action::kPull && facts.is_public) return true;
  return RobotHolds(who, facts.project_id, ActionName(action));
}

Status DecideAccess(const Identity& who, std::string_view repository, const ProjectFacts& facts,
                    Action action) {
  std::string project(ProjectOf(repository));
  if (!facts.exists) {
    return Fail(ErrorCode::kNameUnknown, "project " + project + " does not exist");
  }
  if (action == Action::kPush && facts.proxy_cache) {
    return Fail(ErrorCode::kDenied,
                "project " + project + " is a proxy cache; pushing into it is not allowed");
  }
  if (who.sysadmin) return Ok();
  if (who.robot ? RobotAllows(who, facts, action)
                : RoleAllows(facts.role, facts.is_public, action)) {
    return Ok();
  }
  std::string what =
      std::string(ActionName(action)) + " access to repository \"" + std::string(repository) + "\"";
  if (who.anonymous()) {
    return Fail(ErrorCode::kUnauthorized, "authentication required for " + what);
  }
  if (who.robot) {
    return Fail(ErrorCode::kDenied, what + " denied: robot account \"" + who.username +
                                        "\" has no " + std::string(ActionName(action)) +
                                        " permission in project \"" + project + "\"");
  }
  return Fail(ErrorCode::kDenied, what + " denied: user \"" + who.username + "\" needs " +
                                      std::string(RequiredRoles(action)) + " in project \"" +
                                      project + "\"");
}

Status DecideTokenAccess(const Identity& who, std::string_view repository, Action action) {
  std::string_view wanted = ActionName(action);
  for (const auto& [name, actions] : who.token_access) {
    if (name == repository && (actions.contains(std::string(wanted)) || actions.contains("*"))) {
      return Ok();
    }
  }
  return Fail(ErrorCode::kUnauthorized, "the token does not grant " + std::string(wanted) +
                                            " access to repository \"" + std::string(repository) +
                                            "\"");
}

Status DecideCatalogAccess(const Identity& who) {
  if (who.from_token) {
    for (const auto& [name, actions] : who.token_access) {
      if (name == kCatalogAccessName && actions.contains("*")) return Ok();
    }
    return Fail(ErrorCode::kUnauthorized, "the token does not grant registry:catalog:*");
  }
  if (who.sysadmin) return Ok();
  if (who.anonymous()) {
    return Fail(ErrorCode::kUnauthorized, "authentication required to list the catalog");
  }
  return Fail(ErrorCode::kDenied, "listing the catalog requires the system admin role");
}

std::set<std::string> GrantableActions(const Identity& who, const ProjectFacts& facts,
                                       const std::set<std::string>& requested) {
  std::set<std::string> granted;
  if (!facts.exists) return granted;
  auto allowed = [&](Action action) {
    if (action == Action::kPush && facts.proxy_cache) return false;
    if (who.sysadmin) return true;
    return who.robot ? RobotAllows(who, facts, action)
                     : RoleAllows(facts.role, facts.is_public, action);
  };
  for (const auto& name : requested) {
    if (name == "*") {
      if (allowed(Action::kPull) && allowed(Action::kPush) && allowed(Action::kDelete)) {
        granted.insert(name);
      } else {
        // As Harbor: what the caller holds of "everything", so a client asking for "*"
        // (skopeo delete does) gets its pull and a clear denial of the rest.
        for (Action a : {Action::kPull, Action::kPush, Action::kDelete}) {
          if (allowed(a)) granted.insert(std::string(ActionName(a)));
        }
      }
    } else if (auto action = ParseAction(name); action && allowed(*action)) {
      granted.insert(name);
    }
  }
  return granted;
}

}  // namespace berth::auth
