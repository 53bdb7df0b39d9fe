#include <gtest/gtest.h>

#include <algorithm>

#include "api/api_test_fixture.h"

namespace berth::api::test_support {
namespace {

using nlohmann::json;

TEST_F(ApiServiceTest, PingSystemInfoHealth) {
  auto r = Call("GET", "/ping", kAnonymous);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Pong");
  EXPECT_EQ(r.headers.Get("Content-Type").value_or("").substr(0, 10), "text/plain");

  r = Call("GET", "/systeminfo", kAnonymous);
  ASSERT_EQ(r.status, 200);
  auto info = Body(r);
  EXPECT_EQ(info["harbor_version"], "v9.9.9-test");
  EXPECT_EQ(info["auth_mode"], "db_auth");
  EXPECT_EQ(info["registry_url"], "registry.test:5000");
  EXPECT_EQ(info["project_creation_restriction"], "everyone");
  EXPECT_EQ(info["self_registration"], false);
  EXPECT_EQ(info["has_ca_root"], false);
  EXPECT_EQ(info["read_only"], false);

  r = Call("GET", "/health", kAnonymous);
  ASSERT_EQ(r.status, 200);
  auto health = Body(r);
  EXPECT_EQ(health["status"], "healthy");
  ASSERT_TRUE(health["components"].is_array());
  EXPECT_EQ(health["components"][0]["name"], "core");
}

TEST_F(ApiServiceTest, UnknownPathAndWrongMethod) {
  auto r = Call("GET", "/nothing/here", kAnonymous);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCodeOf(r), "NOT_FOUND");
  r = Call("PATCH", "/projects", admin());
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(ErrorCodeOf(r), "METHOD_NOT_ALLOWED");
}

TEST_F(ApiServiceTest, CreateGetHeadProject) {
  int64_t id = MakeProject(admin(), "team-a", false);
  ASSERT_GT(id, 0);

  auto r = Call("GET", "/projects/" + std::to_string(id), admin());
  ASSERT_EQ(r.status, 200) << r.body;
  auto p = Body(r);
  EXPECT_EQ(p["project_id"], id);
  EXPECT_EQ(p["name"], "team-a");
  EXPECT_EQ(p["owner_name"], "admin");
  EXPECT_EQ(p["repo_count"], 0);
  EXPECT_EQ(p["metadata"]["public"], "false");
  EXPECT_EQ(p["registry_id"], 0);
  EXPECT_EQ(p["current_user_role_id"], 1);
  for (const char* field : {"owner_id", "creation_time", "update_time"}) {
    EXPECT_TRUE(p.contains(field)) << field;
  }

  r = Call("GET", "/projects/team-a", admin());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["project_id"], id);

  // A numeric name is an id unless X-Is-Resource-Name says otherwise.
  MakeProject(admin(), "123", true);
  r = Call("GET", "/projects/123", admin(), {}, {{"X-Is-Resource-Name", "true"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["name"], "123");

  EXPECT_EQ(Call("HEAD", "/projects?project_name=team-a", kAnonymous).status, 200);
  EXPECT_EQ(Call("HEAD", "/projects?project_name=nope", kAnonymous).status, 404);
  r = Call("GET", "/projects/nope", admin());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCodeOf(r), "NOT_FOUND");
}

TEST_F(ApiServiceTest, CreateProjectErrors) {
  struct Case {
    Caller who;
    std::string body;
    int status;
    std::string code;
  };
  MakeProject(admin(), "taken", false);
  const Case cases[] = {
      {kAnonymous, R"({"project_name":"x"})", 401, "UNAUTHORIZED"},
      {admin(), R"({"project_name":"Upper"})", 400, "BAD_REQUEST"},
      {admin(), R"({"project_name":"a/b"})", 400, "BAD_REQUEST"},
      {admin(), R"({"project_name":""})", 400, "BAD_REQUEST"},
      {admin(), R"({"project_name":"-x"})", 400, "BAD_REQUEST"},
      {admin(), std::string(R"({"project_name":")") + std::string(256, 'a') + "\"}", 400,
       "BAD_REQUEST"},
      {admin(), R"({})", 400, "BAD_REQUEST"},
      {admin(), R"(not json)", 400, "BAD_REQUEST"},
      {admin(), R"({"project_name":"ok","metadata":{"public":"maybe"}})", 400, "BAD_REQUEST"},
      {admin(), R"({"project_name":"taken"})", 409, "CONFLICT"},
  };
  for (const auto& c : cases) {
    auto r = Call("POST", "/projects", c.who, c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    if (r.status == c.status) {
      EXPECT_EQ(ErrorCodeOf(r), c.code) << c.body;
    }
  }
  auto r = Call("POST", "/projects", admin(), R"({"project_name":"Upper"})");
  EXPECT_NE(Body(r)["errors"][0]["message"].get<std::string>().find("Upper"), std::string::npos);
}

TEST_F(ApiServiceTest, ListProjectsVisibilityAndPaging) {
  Caller alice = MakeUser("alice");
  Caller bob = MakeUser("bob");
  MakeProject(admin(), "pub1", true);
  MakeProject(admin(), "pub2", true);
  MakeProject(admin(), "secret", false);
  MakeProject(alice, "alices", false);

  auto names = [&](const Caller& who, const std::string& query) {
    auto r = Call("GET", "/projects" + query, who);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    for (const auto& p : Body(r)) out.push_back(p["name"]);
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(kAnonymous, ""), (V{"pub1", "pub2"}));
  EXPECT_EQ(names(bob, ""), (V{"pub1", "pub2"}));
  EXPECT_EQ(names(alice, ""), (V{"alices", "pub1", "pub2"}));
  EXPECT_EQ(names(admin(), ""), (V{"alices", "pub1", "pub2", "secret"}));
  EXPECT_EQ(names(admin(), "?name=pub"), (V{"pub1", "pub2"}));
  EXPECT_EQ(names(admin(), "?q=name%3Dpub1"), (V{"pub1"}));
  EXPECT_EQ(names(admin(), "?q=name%3D~ecr"), (V{"secret"}));
  EXPECT_EQ(names(admin(), "?public=false"), (V{"alices", "secret"}));

  auto r = Call("GET", "/projects?page=1&page_size=3", admin());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r).size(), 3u);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "4");
  EXPECT_EQ(r.headers.Get("Link"), "</api/v2.0/projects?page=2&page_size=3>; rel=\"next\"");
  r = Call("GET", "/projects?page=2&page_size=3", admin());
  EXPECT_EQ(Body(r).size(), 1u);
  EXPECT_EQ(r.headers.Get("Link"), "</api/v2.0/projects?page=1&page_size=3>; rel=\"prev\"");

  EXPECT_EQ(Call("GET", "/projects?page_size=101", admin()).status, 422);
  EXPECT_EQ(Call("GET", "/projects?page=0", admin()).status, 422);
}

TEST_F(ApiServiceTest, PrivateProjectAccess) {
  Caller alice = MakeUser("alice");
  int64_t id = MakeProject(admin(), "secret", false);
  std::string path = "/projects/" + std::to_string(id);
  EXPECT_EQ(Call("GET", path, kAnonymous).status, 401);
  auto r = Call("GET", path, alice);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorCodeOf(r), "FORBIDDEN");
  EXPECT_EQ(Call("PUT", path, alice, R"({"metadata":{"public":"true"}})").status, 403);
  EXPECT_EQ(Call("DELETE", path, alice).status, 403);
}

TEST_F(ApiServiceTest, UpdateAndDeleteProject) {
  int64_t id = MakeProject(admin(), "proj", false);
  std::string path = "/projects/" + std::to_string(id);
  auto r = Call("PUT", path, admin(), R"({"metadata":{"public":"true"}})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(Call("GET", path, kAnonymous))["metadata"]["public"], "true");

  PushImage("proj/app", "v1", "a");
  r = Call("DELETE", path, admin());
  EXPECT_EQ(r.status, 412);
  EXPECT_EQ(ErrorCodeOf(r), "PRECONDITION");
  EXPECT_NE(Body(r)["errors"][0]["message"].get<std::string>().find("repositor"),
            std::string::npos);

  EXPECT_EQ(Call("DELETE", "/projects/proj/repositories/app", admin()).status, 200);
  EXPECT_EQ(Call("DELETE", path, admin()).status, 200);
  EXPECT_EQ(Call("GET", path, admin()).status, 404);
}

TEST_F(ApiServiceTest, Members) {
  Caller alice = MakeUser("alice");
  Caller bob = MakeUser("bob");
  int64_t id = MakeProject(alice, "team", false);
  std::string members = "/projects/" + std::to_string(id) + "/members";

  auto r = Call("GET", members, alice);
  ASSERT_EQ(r.status, 200) << r.body;
  auto list = Body(r);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["entity_name"], "alice");
  EXPECT_EQ(list[0]["role_id"], 1);
  EXPECT_EQ(list[0]["role_name"], "projectAdmin");
  EXPECT_EQ(list[0]["entity_type"], "u");
  EXPECT_EQ(list[0]["project_id"], id);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "1");

  EXPECT_EQ(Call("POST", members, bob, R"({"role_id":2,"member_user":{"username":"bob"}})").status,
            403);
  r = Call("POST", members, alice, R"({"role_id":2,"member_user":{"username":"bob"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string location(r.headers.Get("Location").value_or(""));
  EXPECT_TRUE(location.starts_with("/api/v2.0" + members + "/")) << location;
  EXPECT_EQ(
      Call("POST", members, alice, R"({"role_id":2,"member_user":{"username":"bob"}})").status,
      409);
  EXPECT_EQ(
      Call("POST", members, alice, R"({"role_id":9,"member_user":{"username":"bob"}})").status,
      400);
  EXPECT_EQ(
      Call("POST", members, alice, R"({"role_id":2,"member_user":{"username":"zed"}})").status,
      404);

  // bob now sees the private project, as a developer.
  r = Call("GET", "/projects/team", bob);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["current_user_role_id"], 2);

  std::string mid = location.substr(location.rfind('/') + 1);
  EXPECT_EQ(Call("DELETE", members + "/" + mid, alice).status, 200);
  EXPECT_EQ(Call("GET", "/projects/team", bob).status, 403);
  EXPECT_EQ(Call("DELETE", members + "/" + mid, alice).status, 404);
}

TEST_F(ApiServiceTest, ProjectDeletable) {
  MakeProject(admin(), "lib", false);
  auto r = Call("GET", "/projects/lib/_deletable", admin());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["deletable"], true);
  PushImage("lib/app", "v1", "z");
  r = Call("GET", "/projects/lib/_deletable", admin());
  EXPECT_EQ(Body(r)["deletable"], false);
  EXPECT_TRUE(Body(r).contains("message"));
}

}  // namespace
}  // namespace berth::api::test_support
