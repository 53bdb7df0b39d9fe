#include <gtest/gtest.h>

#include <ctime>

#include "api/api_test_fixture.h"
#include "auth/password.h"

namespace berth::api::test_support {
namespace {

using nlohmann::json;

json Perm(const std::string& ns, std::vector<std::pair<std::string, std::string>> access) {
  json a = json::array();
  for (auto& [resource, action] : access) a.push_back({{"resource", resource}, {"action", action}});
  return json::array({{{"kind", "project"}, {"namespace", ns}, {"access", a}}});
}

class RobotsTest : public ApiServiceTest {
 protected:
  void SetUp() override {
    ApiServiceTest::SetUp();
    alice_ = MakeUser("alice");  // team's project admin (its creator)
    dev_ = MakeUser("dev");
    lim_ = MakeUser("lim");
    team_ = MakeProject(alice_, "team", false);
    AddMember("team", "dev", 2);
    AddMember("team", "lim", 5);
    MakeProject(admin(), "other", false);
  }
  // Creates a robot and returns {id, name, secret}.
  std::tuple<int64_t, std::string, std::string> Create(const Caller& who, json body) {
    auto r = Call("POST", "/robots", who, body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return {0, "", ""};
    auto b = Body(r);
    EXPECT_EQ(r.headers.Get("Location").value_or(""),
              "/api/v2.0/robots/" + std::to_string(b["id"].get<int64_t>()));
    return {b["id"], b["name"], b["secret"]};
  }
  Caller alice_, dev_, lim_;
  int64_t team_ = 0;
};

TEST_F(RobotsTest, CreateRefusesBadRequests) {
  const json good = {{"name", "ci"},
                     {"level", "system"},
                     {"duration", -1},
                     {"permissions", Perm("team", {{"repository", "pull"}})}};
  auto with = [&](const std::string& key, json value) {
    json b = good;
    if (value.is_null()) {
      b.erase(key);
    } else {
      b[key] = std::move(value);
    }
    return b;
  };
  struct Case {
    const char* what;
    Caller who;
    json body;
    int status;
    std::string says;
  };
  const Case cases[] = {
      {"anonymous", kAnonymous, good, 401, "authentication"},
      {"a user cannot make system robots", alice_, good, 403, "system administrators"},
      {"no name", admin(), with("name", nullptr), 400, "robot name"},
      {"bad name", admin(), with("name", "CI!"), 400, "robot name \"CI!\" is not valid"},
      {"no level", admin(), with("level", nullptr), 400, "level is required"},
      {"bad level", admin(), with("level", "global"), 400, "level is required"},
      {"no duration", admin(), with("duration", nullptr), 400, "duration is required"},
      {"zero duration", admin(), with("duration", 0), 400, "duration 0 is not valid"},
      {"huge duration", admin(), with("duration", 40000), 400, "duration 40000 is not valid"},
      {"no permissions", admin(), with("permissions", nullptr), 400, "permissions is required"},
      {"empty permissions", admin(), with("permissions", json::array()), 400,
       "permissions is required"},
      {"system kind", admin(),
       with("permissions",
            json::array({{{"kind", "system"}, {"namespace", "/"}, {"access", json::array()}}})),
       400, "kind \"system\" is not supported"},
      {"unknown project", admin(), with("permissions", Perm("nope", {{"repository", "pull"}})), 404,
       "nope"},
      {"unknown resource", admin(), with("permissions", Perm("team", {{"repositry", "pull"}})), 400,
       "unknown resource \"repositry\""},
      {"unknown action", admin(), with("permissions", Perm("team", {{"repository", "pul"}})), 400,
       "unknown action \"pul\""},
      {"no access", admin(), with("permissions", Perm("team", {})), 400, "access for team"},
      {"weak secret", admin(), with("secret", "short"), 400, "secret is not valid"},
      {"star for a project robot", alice_,
       json{{"name", "ci"},
            {"level", "project"},
            {"duration", -1},
            {"permissions", Perm("*", {{"repository", "pull"}})}},
       400, "not \"*\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    json body = c.body;
    auto r = Call("POST", "/robots", c.who, body.dump());
    EXPECT_EQ(r.status, c.status) << r.body;
    std::string message = Body(r)["errors"][0]["message"];
    EXPECT_NE(message.find(c.says), std::string::npos) << message;
  }
  EXPECT_EQ(Body(Call("GET", "/robots", admin())).size(), 0u);  // nothing was stored

  Create(admin(), good);
  auto r = Call("POST", "/robots", admin(), good.dump());
  EXPECT_EQ(r.status, 409) << r.body;
}

TEST_F(RobotsTest, SystemRobotPullsAndPushesAsGranted) {
  PushImage("team/app", "v1", "a");
  auto [id, name, secret] = Create(
      admin(),
      {{"name", "ci"},
       {"description", "the pipeline"},
       {"level", "system"},
       {"duration", 30},
       {"permissions",
        Perm("team", {{"repository", "pull"}, {"repository", "push"}, {"artifact", "read"}})}});
  EXPECT_EQ(name, "robot$ci");
  EXPECT_TRUE(auth::MeetsPasswordPolicy(secret)) << secret;
  Caller robot{name, secret};

  auto got = Body(Call("GET", "/robots/" + std::to_string(id), admin()));
  EXPECT_EQ(got["name"], "robot$ci");
  EXPECT_EQ(got["level"], "system");
  EXPECT_EQ(got["duration"], 30);
  EXPECT_EQ(got["disable"], false);
  EXPECT_FALSE(got.contains("secret"));
  const int64_t month = 30 * 86400;
  EXPECT_NEAR(got["expires_at"].get<int64_t>(), std::time(nullptr) + month, 5);
  EXPECT_EQ(got["permissions"][0]["namespace"], "team");
  EXPECT_EQ(got["permissions"][0]["access"].size(), 3u);

  // The registry: push and pull in team, nothing in other, delete nowhere.
  auto who = auth_->Authenticate([&] {
    http::Request r;
    r.headers.Set("Authorization", "Basic " + Base64(name + ":" + secret));
    return r;
  }());
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_TRUE(auth_->Authorize(*who, "team/app", auth::Action::kPush));
  EXPECT_FALSE(auth_->Authorize(*who, "team/app", auth::Action::kDelete));
  EXPECT_FALSE(auth_->Authorize(*who, "other/app", auth::Action::kPull));

  // The API: reads team; creating a tag is its own permission (push is not enough, as in
  // Harbor); cannot delete or make projects.
  EXPECT_EQ(Call("GET", "/projects/team/repositories/app/artifacts/v1", robot).status, 200);
  auto tag = Call("POST", "/projects/team/repositories/app/artifacts/v1/tags", robot,
                  R"({"name":"ci-1"})");
  EXPECT_EQ(tag.status, 403);
  EXPECT_NE(tag.body.find("tag-create"), std::string::npos) << tag.body;
  EXPECT_EQ(Call("DELETE", "/projects/team/repositories/app/artifacts/v1", robot).status, 403);
  EXPECT_EQ(Call("GET", "/projects/other", robot).status, 403);
  EXPECT_EQ(Call("POST", "/projects", robot, R"({"project_name":"mine"})").status, 403);
  EXPECT_EQ(Call("GET", "/users/current", robot).status, 403);
  EXPECT_EQ(Call("GET", "/robots", robot).status, 403);
  auto projects = Body(Call("GET", "/projects", robot));
  ASSERT_EQ(projects.size(), 1u);
  EXPECT_EQ(projects[0]["name"], "team");
}

// Harbor checks tag create and delete, artifact delete, repository update and delete on
// their own: each permission allows its operation and no other.
TEST_F(RobotsTest, EachApiPermissionAllowsItsOwnOperation) {
  struct Op {
    const char* name;
    const char* method;
    std::string path;
    std::string body;
  };
  const std::string repo = "/projects/team/repositories/app";
  const Op ops[] = {
      {"tag create", "POST", repo + "/artifacts/v1/tags", R"({"name":"new"})"},
      {"tag delete", "DELETE", repo + "/artifacts/v1/tags/v1", ""},
      {"repository update", "PUT", repo, R"({"description":"d"})"},
      {"artifact delete", "DELETE", repo + "/artifacts/v1", ""},
      {"repository delete", "DELETE", repo, ""},
  };
  struct Case {
    std::string resource, action;
    std::string allows;  // the one operation that succeeds
  } cases[] = {
      {"tag", "create", "tag create"},
      {"tag", "delete", "tag delete"},
      {"repository", "update", "repository update"},
      {"artifact", "delete", "artifact delete"},
      {"repository", "delete", "repository delete"},
      {"repository", "push", ""},
  };
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.resource + ":" + c.action);
    PushImage("team/app", "v1", "seed-" + std::to_string(n));
    auto [id, name, secret] = Create(
        admin(), {{"name", "op" + std::to_string(n++)},
                  {"level", "system"},
                  {"duration", -1},
                  {"permissions", Perm("team", {{"repository", "pull"}, {c.resource, c.action}})}});
    Caller robot{name, secret};
    for (const auto& op : ops) {
      auto r = Call(op.method, op.path, robot, op.body);
      if (op.name == c.allows) {
        EXPECT_LT(r.status, 300) << op.name << ": " << r.body;
      } else {
        EXPECT_EQ(r.status, 403) << op.name << ": " << r.body;
      }
    }
  }
}

// A system robot's permission in a deleted project goes with the project: it is not
// shown, and a new project of the same name is not granted by an update of the rest.
TEST_F(RobotsTest, ADeletedProjectLeavesNoPermissionBehind) {
  MakeProject(admin(), "tmp", false);
  auto [id, name, secret] =
      Create(admin(), {{"name", "two"},
                       {"level", "system"},
                       {"duration", -1},
                       {"permissions", json::array({Perm("tmp", {{"repository", "push"}})[0],
                                                    Perm("team", {{"repository", "pull"}})[0]})}});
  const std::string path = "/robots/" + std::to_string(id);
  ASSERT_EQ(Call("DELETE", "/projects/tmp", admin()).status, 200);
  auto got = Body(Call("GET", path, admin()));
  ASSERT_EQ(got["permissions"].size(), 1u) << got.dump();
  EXPECT_EQ(got["permissions"][0]["namespace"], "team");

  MakeProject(admin(), "tmp", false);
  json update = got;
  update["description"] = "still two";
  ASSERT_EQ(Call("PUT", path, admin(), update.dump()).status, 200);
  Caller robot{name, secret};
  EXPECT_EQ(Call("GET", "/projects/tmp", robot).status, 403);
  EXPECT_EQ(Call("GET", "/projects/team", robot).status, 200);
}

TEST_F(RobotsTest, ProjectRobotsBelongToTheirProjectAdmins) {
  json body = {{"name", "builder"},
               {"level", "project"},
               {"duration", -1},
               {"permissions", Perm("team", {{"repository", "pull"}})}};
  auto r = Call("POST", "/robots", dev_, body.dump());
  EXPECT_EQ(r.status, 403) << r.body;
  auto [id, name, secret] = Create(alice_, body);
  EXPECT_EQ(name, "robot$team+builder");
  const std::string path = "/robots/" + std::to_string(id);
  const std::string list = "/robots?q=Level%3Dproject%2CProjectID%3D" + std::to_string(team_);

  // Members read it (not limited guests), its project admins change it.
  EXPECT_EQ(Body(Call("GET", list, dev_)).size(), 1u);
  EXPECT_EQ(Call("GET", list, lim_).status, 403);
  EXPECT_EQ(Call("GET", "/robots", alice_).status, 403);  // all robots: system admins only
  EXPECT_EQ(Call("GET", path, dev_).status, 200);
  EXPECT_EQ(Call("GET", path, lim_).status, 403);
  EXPECT_EQ(Call("PUT", path, dev_, R"({"description":"x"})").status, 403);
  EXPECT_EQ(Call("PATCH", path, dev_, "{}").status, 403);
  EXPECT_EQ(Call("DELETE", path, dev_).status, 403);
  EXPECT_EQ(Body(Call("GET", "/robots?q=name%3D~build", admin())).size(), 1u);
  EXPECT_EQ(Call("GET", "/robots?q=Level%3Dproject%2CProjectID%3D999", alice_).status, 404);
  EXPECT_EQ(Call("GET", "/robots?q=colour%3Dred", admin()).status, 400);

  // Permissions in another project, or "*", are refused for a project robot.
  body["permissions"] = Perm("other", {{"repository", "pull"}});
  EXPECT_EQ(Call("PUT", path, alice_, body.dump()).status, 400);

  // Deleting the project takes the robot with it.
  ASSERT_EQ(Call("DELETE", "/projects/team", alice_).status, 200);
  EXPECT_EQ(Call("GET", path, admin()).status, 404);
}

TEST_F(RobotsTest, UpdateRefreshDisableDelete) {
  auto [id, name, secret] = Create(admin(), {{"name", "ci"},
                                             {"level", "system"},
                                             {"duration", -1},
                                             {"secret", "Given-secret1"},
                                             {"permissions", Perm("*", {{"repository", "pull"}})}});
  EXPECT_EQ(secret, "Given-secret1");
  const std::string path = "/robots/" + std::to_string(id);
  Caller robot{name, secret};
  EXPECT_EQ(Call("GET", "/projects/other", robot).status, 200);  // "*": every project

  EXPECT_EQ(Call("PUT", path, admin(), R"({"name":"renamed"})").status, 400);
  EXPECT_EQ(Call("PUT", path, admin(), R"({"level":"project"})").status, 400);
  EXPECT_EQ(Call("PUT", path, admin(), R"({"duration":0})").status, 400);
  auto r = Call("PUT", path, admin(),
                json{{"name", "robot$ci"},
                     {"duration", 2},
                     {"description", "two days"},
                     {"permissions", Perm("team", {{"repository", "pull"}})}}
                    .dump());
  ASSERT_EQ(r.status, 200) << r.body;
  auto got = Body(Call("GET", path, admin()));
  EXPECT_EQ(got["description"], "two days");
  EXPECT_EQ(got["duration"], 2);
  EXPECT_NEAR(got["expires_at"].get<int64_t>(), std::time(nullptr) + 2 * 86400, 5);
  EXPECT_EQ(Call("GET", "/projects/other", robot).status, 403);  // the grant changed
  EXPECT_EQ(Call("GET", "/projects/team", robot).status, 200);

  // Disabled: refused at once, with the reason (the caller holds the secret).
  ASSERT_EQ(Call("PUT", path, admin(), R"({"disable":true})").status, 200);
  r = Call("GET", "/projects/team", robot);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("is disabled"), std::string::npos) << r.body;
  ASSERT_EQ(Call("PUT", path, admin(), R"({"disable":false})").status, 200);
  EXPECT_EQ(Call("GET", "/projects/team", robot).status, 200);

  // A new secret: generated, or given; the old one stops working.
  EXPECT_EQ(Call("PATCH", path, admin(), R"({"secret":"weak"})").status, 400);
  r = Call("PATCH", path, admin(), "");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string fresh = Body(r)["secret"];
  EXPECT_TRUE(auth::MeetsPasswordPolicy(fresh));
  EXPECT_EQ(Call("GET", "/projects/team", robot).status, 401);
  EXPECT_EQ(Call("GET", "/projects/team", Caller{name, fresh}).status, 200);
  r = Call("PATCH", path, admin(), R"({"secret":"Chosen-secret2"})");
  EXPECT_EQ(Body(r)["secret"], "Chosen-secret2");
  EXPECT_EQ(Call("GET", "/projects/team", Caller{name, "Chosen-secret2"}).status, 200);

  ASSERT_EQ(Call("DELETE", path, admin()).status, 200);
  EXPECT_EQ(Call("DELETE", path, admin()).status, 404);
  EXPECT_EQ(Call("GET", "/projects/team", Caller{name, "Chosen-secret2"}).status, 401);
  EXPECT_EQ(Call("GET", "/robots/abc", admin()).status, 422);
}

}  // namespace
}  // namespace berth::api::test_support
