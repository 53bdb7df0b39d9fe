// Who is calling and what they may do. Used by registry/ (/v2) and api/ (/api/v2.0).
//
// Credentials arrive as HTTP Basic (username:password, checked against argon2id hashes)
// or as a Bearer JWT issued by the token service (/service/token). Access follows
// Harbor's project roles: pull needs guest or a public project; push needs developer or
// more; delete needs maintainer or more; system admins may do everything.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "http/message.h"
#include "metadata/records.h"
#include "metadata/robot_store.h"

namespace berth::auth {

// Robot account names start with this, as Harbor's default robot name prefix.
inline constexpr std::string_view kRobotPrefix = "robot$";

struct Identity {
  int64_t user_id = 0;  // 0 = anonymous; a robot account's is minus its robot id
  std::string username;
  bool sysadmin = false;  // always false for token identities
  // For Bearer tokens: the access the token grants ("repository:NAME:pull,push" entries
  // resolved into (name, actions)); empty for Basic auth, where access is decided live.
  bool from_token = false;
  std::vector<std::pair<std::string, std::set<std::string>>> token_access;
  // A robot account: no project role, only the registry actions of its grants.
  bool robot = false;
  std::vector<metadata::RobotGrant> robot_grants;

  bool anonymous() const { return user_id == 0; }
};

enum class Action { kPull, kPush, kDelete };
// The scope action word: "pull", "push", "delete".
std::string_view ActionName(Action action);

// One requested scope, e.g. "repository:library/nginx:pull,push".
struct Scope {
  std::string type;  // "repository", "registry"
  std::string name;
  std::set<std::string> actions;
};
// Parses a scope string "type[(class)]:name:action[,action...]". The name may contain
// ':' (a registry host with a port), so the type ends at the first ':' and the actions
// start after the last one. Returns std::nullopt when malformed (missing parts, empty
// type, name or action list); callers skip malformed scopes.
std::optional<Scope> ParseScope(std::string_view text);
// The wire form "type:name:a,b" (actions in set order).
std::string FormatScope(const Scope& scope);

}  // namespace berth::auth
