#include "auth/access.h"

#include <gtest/gtest.h>

namespace berth::auth {
namespace {

using metadata::Role;

enum class Who {
  kSysadmin,
  kProjectAdmin,
  kMaintainer,
  kDeveloper,
  kGuest,
  kLimitedGuest,
  kNonMember,
  kAnonymous
};

const char* WhoName(Who w) {
  switch (w) {
    case Who::kSysadmin:
      return "sysadmin";
    case Who::kProjectAdmin:
      return "project-admin";
    case Who::kMaintainer:
      return "maintainer";
    case Who::kDeveloper:
      return "developer";
    case Who::kGuest:
      return "guest";
    case Who::kLimitedGuest:
      return "limited-guest";
    case Who::kNonMember:
      return "non-member";
    case Who::kAnonymous:
      return "anonymous";
  }
  return "?";
}

Identity IdentityOf(Who w) {
  Identity id;
  if (w == Who::kAnonymous) return id;
  id.user_id = 42;
  id.username = WhoName(w);
  id.sysadmin = w == Who::kSysadmin;
  return id;
}

std::optional<Role> RoleOf(Who w) {
  switch (w) {
    case Who::kProjectAdmin:
      return Role::kProjectAdmin;
    case Who::kMaintainer:
      return Role::kMaintainer;
    case Who::kDeveloper:
      return Role::kDeveloper;
    case Who::kGuest:
      return Role::kGuest;
    case Who::kLimitedGuest:
      return Role::kLimitedGuest;
    default:
      return std::nullopt;
  }
}

// Expected outcome: 'y' Ok, 'u' UNAUTHORIZED, 'd' DENIED.
struct Row {
  Who who;
  bool is_public;
  char pull, push, del;
};

TEST(DecideAccess, HarborRoleTable) {
  const Row rows[] = {
      {Who::kSysadmin, false, 'y', 'y', 'y'},     {Who::kSysadmin, true, 'y', 'y', 'y'},
      {Who::kProjectAdmin, false, 'y', 'y', 'y'}, {Who::kProjectAdmin, true, 'y', 'y', 'y'},
      {Who::kMaintainer, false, 'y', 'y', 'y'},   {Who::kMaintainer, true, 'y', 'y', 'y'},
      {Who::kDeveloper, false, 'y', 'y', 'd'},    {Who::kDeveloper, true, 'y', 'y', 'd'},
      {Who::kGuest, false, 'y', 'd', 'd'},        {Who::kGuest, true, 'y', 'd', 'd'},
      {Who::kLimitedGuest, false, 'y', 'd', 'd'}, {Who::kLimitedGuest, true, 'y', 'd', 'd'},
      {Who::kNonMember, false, 'd', 'd', 'd'},    {Who::kNonMember, true, 'y', 'd', 'd'},
      {Who::kAnonymous, false, 'u', 'u', 'u'},    {Who::kAnonymous, true, 'y', 'u', 'u'},
  };
  for (const auto& row : rows) {
    ProjectFacts facts{.exists = true, .is_public = row.is_public, .role = RoleOf(row.who)};
    Identity who = IdentityOf(row.who);
    const std::pair<Action, char> expectations[] = {
        {Action::kPull, row.pull}, {Action::kPush, row.push}, {Action::kDelete, row.del}};
    for (const auto& [action, expected] : expectations) {
      SCOPED_TRACE(std::string(WhoName(row.who)) + (row.is_public ? " public " : " private ") +
                   std::string(ActionName(action)));
      Status s = DecideAccess(who, "proj/app", facts, action);
      switch (expected) {
        case 'y':
          EXPECT_TRUE(s) << s.error().message;
          break;
        case 'u':
          ASSERT_FALSE(s);
          EXPECT_EQ(s.error().code, ErrorCode::kUnauthorized);
          break;
        case 'd':
          ASSERT_FALSE(s);
          EXPECT_EQ(s.error().code, ErrorCode::kDenied);
          EXPECT_NE(s.error().message.find(std::string(ActionName(action))), std::string::npos);
          EXPECT_NE(s.error().message.find("proj"), std::string::npos);
          break;
      }
      // The grant at token issuance agrees with the live decision.
      auto granted = GrantableActions(who, facts, {std::string(ActionName(action))});
      EXPECT_EQ(granted.size(), expected == 'y' ? 1u : 0u);
    }
  }
}

TEST(DecideAccess, MissingProjectIsNameUnknown) {
  for (Who w : {Who::kSysadmin, Who::kDeveloper, Who::kAnonymous}) {
    Status s = DecideAccess(IdentityOf(w), "ghost/app", ProjectFacts{}, Action::kPull);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kNameUnknown);
    EXPECT_EQ(s.error().message, "project ghost does not exist");
  }
  EXPECT_TRUE(GrantableActions(IdentityOf(Who::kSysadmin), ProjectFacts{}, {"pull"}).empty());
}

TEST(DecideAccess, ProxyCacheRefusesPush) {
  ProjectFacts facts{.exists = true, .is_public = true, .proxy_cache = true, .role = {}};
  Status s = DecideAccess(IdentityOf(Who::kSysadmin), "cache/app", facts, Action::kPush);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kDenied);
  EXPECT_TRUE(DecideAccess(IdentityOf(Who::kAnonymous), "cache/app", facts, Action::kPull));
  EXPECT_EQ(GrantableActions(IdentityOf(Who::kSysadmin), facts, {"pull", "push"}),
            (std::set<std::string>{"pull"}));
}

TEST(GrantableActions, SubsetOfRequested) {
  ProjectFacts facts{.exists = true, .is_public = false, .role = Role::kDeveloper};
  Identity dev = IdentityOf(Who::kDeveloper);
  EXPECT_EQ(GrantableActions(dev, facts, {"pull", "push", "delete", "*", "bogus"}),
            (std::set<std::string>{"pull", "push"}));
  EXPECT_EQ(GrantableActions(dev, facts, {"*"}), (std::set<std::string>{"pull", "push"}));
  facts.role = Role::kGuest;
  EXPECT_EQ(GrantableActions(dev, facts, {"*"}), (std::set<std::string>{"pull"}));
  facts.role = Role::kMaintainer;
  EXPECT_EQ(GrantableActions(dev, facts, {"*"}), (std::set<std::string>{"*"}));
  EXPECT_TRUE(GrantableActions(dev, facts, {}).empty());
}

TEST(DecideTokenAccess, OnlyWhatTheTokenGrants) {
  Identity token;
  token.from_token = true;
  token.user_id = 1;
  token.sysadmin = true;  // irrelevant: only the grant counts
  token.token_access = {{"proj/app", {"pull"}}, {"proj/all", {"*"}}};
  struct Case {
    std::string repo;
    Action action;
    bool ok;
  } cases[] = {
      {"proj/app", Action::kPull, true},    {"proj/app", Action::kPush, false},
      {"proj/app", Action::kDelete, false}, {"proj/other", Action::kPull, false},
      {"proj/all", Action::kDelete, true},  {"proj/ap", Action::kPull, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.repo + " " + std::string(ActionName(c.action)));
    Status s = DecideTokenAccess(token, c.repo, c.action);
    EXPECT_EQ(s.has_value(), c.ok);
    if (!c.ok) {
      EXPECT_EQ(s.error().code, ErrorCode::kUnauthorized);
    }
  }
}

TEST(DecideCatalogAccess, Table) {
  Identity token_with;
  token_with.from_token = true;
  token_with.token_access = {{std::string(kCatalogAccessName), {"*"}}};
  Identity token_without;
  token_without.from_token = true;
  token_without.sysadmin = true;
  EXPECT_TRUE(DecideCatalogAccess(IdentityOf(Who::kSysadmin)));
  EXPECT_TRUE(DecideCatalogAccess(token_with));
  EXPECT_EQ(DecideCatalogAccess(token_without).error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(DecideCatalogAccess(IdentityOf(Who::kAnonymous)).error().code,
            ErrorCode::kUnauthorized);
  EXPECT_EQ(DecideCatalogAccess(IdentityOf(Who::kDeveloper)).error().code, ErrorCode::kDenied);
}

}  // namespace
}  // namespace berth::auth
