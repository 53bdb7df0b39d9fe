#include <gtest/gtest.h>

#include <algorithm>

#include "api/api_test_fixture.h"

namespace berth::api::test_support {
namespace {

using nlohmann::json;

std::vector<std::string> Names(const json& items, const char* key) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i[key].get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

class SearchTest : public ApiServiceTest {
 protected:
  // pub-web (public) with web/app and web/tools; team-web (private, alice a developer)
  // with team-web/app; hidden (private, nobody) with hidden/webapp.
  void SetUp() override {
    ApiServiceTest::SetUp();
    alice_ = MakeUser("alice");
    MakeProject(admin(), "pub-web", true);
    MakeProject(admin(), "team-web", false);
    MakeProject(admin(), "hidden", false);
    AddMember("team-web", "alice", 2);
    PushImage("pub-web/app", "v1", "a");
    PushImage("pub-web/tools", "v1", "b");
    PushImage("pub-web/tools", "v2", "c");
    PushImage("team-web/app", "v1", "d");
    PushImage("hidden/webapp", "v1", "e");
  }
  Caller alice_;
};

TEST_F(SearchTest, FindsWhatTheCallerMayRead) {
  struct Case {
    const char* what;
    Caller who;
    std::string q;
    std::vector<std::string> projects;
    std::vector<std::string> repositories;
  };
  const Case cases[] = {
      {"anonymous: public only", kAnonymous, "web", {"pub-web"}, {"pub-web/app", "pub-web/tools"}},
      {"member",
       alice_,
       "web",
       {"pub-web", "team-web"},
       {"pub-web/app", "pub-web/tools", "team-web/app"}},
      {"admin sees all",
       admin(),
       "web",
       {"pub-web", "team-web"},
       {"hidden/webapp", "pub-web/app", "pub-web/tools", "team-web/app"}},
      {"repository name only", alice_, "app", {}, {"pub-web/app", "team-web/app"}},
      {"nothing", alice_, "zzz", {}, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto r = Call("GET", "/search?q=" + c.q, c.who);
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = Body(r);
    EXPECT_EQ(Names(body["project"], "name"), c.projects);
    EXPECT_EQ(Names(body["repository"], "repository_name"), c.repositories);
  }
  auto body = Body(Call("GET", "/search?q=tools", kAnonymous));
  ASSERT_EQ(body["repository"].size(), 1u);
  const auto& tools = body["repository"][0];
  EXPECT_EQ(tools["project_name"], "pub-web");
  EXPECT_EQ(tools["project_public"], true);
  EXPECT_EQ(tools["artifact_count"], 2);
  EXPECT_EQ(tools["pull_count"], 0);
  EXPECT_TRUE(tools["project_id"].is_number_integer());

  for (const char* bad : {"/search", "/search?q="}) {
    auto r = Call("GET", bad, alice_);
    EXPECT_EQ(r.status, 422) << bad;
    EXPECT_EQ(ErrorCodeOf(r), "UNPROCESSABLE_ENTITY");
  }
}

TEST_F(SearchTest, ProjectSummary) {
  MakeUser("bob");
  AddMember("team-web", "bob", 5);
  auto r = Call("GET", "/projects/team-web/summary", alice_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto s = Body(r);
  EXPECT_EQ(s["repo_count"], 1);
  EXPECT_EQ(s["project_admin_count"], 1);  // the creator
  EXPECT_EQ(s["developer_count"], 1);
  EXPECT_EQ(s["limited_guest_count"], 1);
  EXPECT_EQ(s["maintainer_count"], 0);
  EXPECT_EQ(s["guest_count"], 0);
  EXPECT_EQ(s["quota"]["hard"]["storage"], -1);
  EXPECT_GT(s["quota"]["used"]["storage"].get<int64_t>(), 0);
  EXPECT_FALSE(s.contains("registry"));

  // Readers who may not see the members get the rest.
  auto pub = Body(Call("GET", "/projects/pub-web/summary", kAnonymous));
  EXPECT_EQ(pub["repo_count"], 2);
  EXPECT_FALSE(pub.contains("developer_count"));
  auto lim = Body(Call("GET", "/projects/team-web/summary", {"bob", std::string(kUserPassword)}));
  EXPECT_EQ(lim["repo_count"], 1);
  EXPECT_FALSE(lim.contains("project_admin_count"));

  EXPECT_EQ(Call("GET", "/projects/hidden/summary", alice_).status, 403);
  EXPECT_EQ(Call("GET", "/projects/hidden/summary", kAnonymous).status, 401);
  EXPECT_EQ(Call("GET", "/projects/nope/summary", admin()).status, 404);
}

TEST_F(SearchTest, Statistics) {
  EXPECT_EQ(Call("GET", "/statistics", kAnonymous).status, 401);
  auto mine = Body(Call("GET", "/statistics", alice_));
  EXPECT_EQ(mine, (json{{"public_project_count", 1},
                        {"public_repo_count", 2},
                        {"private_project_count", 1},
                        {"private_repo_count", 1},
                        {"total_project_count", 0},
                        {"total_repo_count", 0},
                        {"total_storage_consumption", 0}}));
  auto all = Body(Call("GET", "/statistics", admin()));
  EXPECT_EQ(all["public_project_count"], 1);
  EXPECT_EQ(all["private_project_count"], 2);
  EXPECT_EQ(all["private_repo_count"], 2);
  EXPECT_EQ(all["total_project_count"], 3);
  EXPECT_EQ(all["total_repo_count"], 4);
  EXPECT_GT(all["total_storage_consumption"].get<int64_t>(), 0);
}

}  // namespace
}  // namespace berth::api::test_support
