// Access decisions, as pure functions of who is asking and what is known about the
// project, so they can be tested without a database. AuthService gathers the facts.
//
// Harbor rules: system admins may do everything; pull needs a public project or any
// member role; push needs developer, maintainer or project admin; delete needs
// maintainer or project admin; nobody pushes into a proxy-cache project. A token identity gets only
// what its token grants; a robot account what its grants name for the project (or for
// every project), and pull in public projects.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "auth/auth.h"
#include "common/error.h"
#include "metadata/records.h"

namespace berth::auth {

// What the caller's decision depends on, for the project of one repository.
struct ProjectFacts {
  bool exists = false;
  bool is_public = false;
  bool proxy_cache = false;            // a proxy-cache project: nobody pushes into it
  std::optional<metadata::Role> role;  // the caller's membership role, if any
  int64_t project_id = 0;
};

// True when a member with `role` (none: not a member) may do `action` in a project.
bool RoleAllows(std::optional<metadata::Role> role, bool is_public, Action action);

// True when robot account `who` holds `grant` (a registry action, "pull", "push",
// "delete", or an API operation such as "tag-create") in project `project_id`, directly or
// through a grant for every project; an empty `grant` asks for any grant there.
bool RobotHolds(const Identity& who, int64_t project_id, std::string_view grant);

// True when robot account `who` may do `action` in the described project.
bool RobotAllows(const Identity& who, const ProjectFacts& facts, Action action);

// The decision for a live (Basic or anonymous) identity. Ok; NAME_UNKNOWN when the project
// does not exist; UNAUTHORIZED for anonymous callers (the caller sends a challenge);
// DENIED naming the missing right otherwise.
Status DecideAccess(const Identity& who, std::string_view repository, const ProjectFacts& facts,
                    Action action);

// The decision for a token identity: Ok when the token grants `action` (or "*") on
// `repository`; UNAUTHORIZED (insufficient scope, so the client fetches a new token)
// otherwise.
Status DecideTokenAccess(const Identity& who, std::string_view repository, Action action);

// Identity::token_access entries for non-repository grants use "<type>:<name>" as the
// name (never a valid repository name); the catalog grant is this one.
inline constexpr std::string_view kCatalogAccessName = "registry:catalog";

// Catalog listing: Ok for live system admins and tokens granting "registry:catalog:*";
// UNAUTHORIZED for anonymous callers and tokens without it; DENIED otherwise.
Status DecideCatalogAccess(const Identity& who);

// The subset of `requested` actions ("pull", "push", "delete", "*") that `who` holds on a
// repository of the described project. Unknown actions are never granted; "*" when
// every action is allowed, else the actions among pull, push and delete that are.
std::set<std::string> GrantableActions(const Identity& who, const ProjectFacts& facts,
                                       const std::set<std::string>& requested);

}  // namespace berth::auth
