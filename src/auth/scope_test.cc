#include <gtest/gtest.h>

#include "auth/auth.h"

namespace berth::auth {
namespace {

struct ScopeCase {
  std::string text;
  bool ok;
  std::string type;
  std::string name;
  std::set<std::string> actions;
};

TEST(ParseScope, Table) {
  const ScopeCase cases[] = {
      {"repository:library/nginx:pull", true, "repository", "library/nginx", {"pull"}},
      {"repository:library/nginx:pull,push", true, "repository", "library/nginx", {"pull", "push"}},
      {"repository:a/b/c/d:push,pull,delete",
       true,
       "repository",
       "a/b/c/d",
       {"pull", "push", "delete"}},
      {"repository:localhost:5000/library/app:pull",
       true,
       "repository",
       "localhost:5000/library/app",
       {"pull"}},
      {"registry:catalog:*", true, "registry", "catalog", {"*"}},
      {"repository(plugin):x/y:pull", true, "repository", "x/y", {"pull"}},
      {"repository:x/y:pull,,push", true, "repository", "x/y", {"pull", "push"}},
      {"", false, "", "", {}},
      {"repository", false, "", "", {}},
      {"repository:x/y", false, "", "", {}},
      {"repository:x/y:", false, "", "", {}},
      {"repository::pull", false, "", "", {}},
      {":x/y:pull", false, "", "", {}},
      {"repository:x/y:,", false, "", "", {}},
      {"repository:x y:pull", false, "", "", {}},
      {"repository(plugin:x/y:pull", false, "", "", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto scope = ParseScope(c.text);
    ASSERT_EQ(scope.has_value(), c.ok);
    if (!c.ok) continue;
    EXPECT_EQ(scope->type, c.type);
    EXPECT_EQ(scope->name, c.name);
    EXPECT_EQ(scope->actions, c.actions);
  }
}

TEST(FormatScope, RoundTrips) {
  auto scope = ParseScope("repository:host:5000/a/b:push,pull");
  ASSERT_TRUE(scope);
  EXPECT_EQ(FormatScope(*scope), "repository:host:5000/a/b:pull,push");
}

TEST(ActionName, Words) {
  EXPECT_EQ(ActionName(Action::kPull), "pull");
  EXPECT_EQ(ActionName(Action::kPush), "push");
  EXPECT_EQ(ActionName(Action::kDelete), "delete");
}

}  // namespace
}  // namespace berth::auth
