#include <gtest/gtest.h>

#include <algorithm>

#include "api/api_test_fixture.h"
#include "endpoints/endpoint_service.h"
#include "metadata/registry_store.h"

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
  EXPECT_EQ(info["proxy_cache_providers"],
            json(std::vector<std::string>{"harbor", "docker-hub", "aws-ecr", "azure-acr",
                                          "google-gcr", "quay"}));

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

  // team-a is private: only those who may read it learn that it exists.
  EXPECT_EQ(Call("HEAD", "/projects?project_name=team-a", admin()).status, 200);
  EXPECT_EQ(Call("HEAD", "/projects?project_name=team-a", kAnonymous).status, 401);
  EXPECT_EQ(Call("HEAD", "/projects?project_name=123", kAnonymous).status, 200);  // public
  EXPECT_EQ(Call("HEAD", "/projects?project_name=nope", admin()).status, 404);
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
      {admin(), R"({"project_name":"a--b"})", 400, "BAD_REQUEST"},
      {admin(), R"({"project_name":"a__b"})", 400, "BAD_REQUEST"},
      {admin(), R"({"project_name":"a.-b"})", 400, "BAD_REQUEST"},
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
  // A field of the wrong type is named as such.
  const std::pair<const char*, const char*> typed[] = {
      {R"({"project_name":123})", "project_name must be a string"},
      {R"({"project_name":"meta","metadata":"x"})", "metadata must be an object"},
  };
  for (const auto& [body, says] : typed) {
    r = Call("POST", "/projects", admin(), body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(r.body.find(says), std::string::npos) << r.body;
  }
  EXPECT_EQ(Call("POST", "/projects", admin(), R"({"project_name":"a-b.c_d"})").status, 201);
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
  // Location names the project as the request did.
  MakeUser("carl");
  r = Call("POST", "/projects/team/members", alice,
           R"({"role_id":3,"member_user":{"username":"carl"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(r.headers.Get("Location").value_or("").starts_with("/api/v2.0/projects/team/"));
  EXPECT_EQ(Call("GET", members + "/abc", alice).status, 422);
  EXPECT_EQ(
      Call("POST", members, alice, R"({"role_id":2,"member_user":{"username":"bob"}})").status,
      409);
  EXPECT_EQ(
      Call("POST", members, alice, R"({"role_id":9,"member_user":{"username":"bob"}})").status,
      400);
  r = Call("POST", members, alice, R"({"role_id":"2","member_user":{"username":"bob"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("role_id must be an integer"), std::string::npos) << r.body;
  r = Call("POST", members, alice, R"({"role_id":2,"member_user":{"user_id":"5"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("member_user.user_id must be an integer"), std::string::npos) << r.body;
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

TEST_F(ApiServiceTest, LimitedGuestPullsButDoesNotSeeMembers) {
  Caller lim = MakeUser("lim");
  Caller outsider = MakeUser("outsider");
  int64_t id = MakeProject(admin(), "team", false);
  std::string members = "/projects/" + std::to_string(id) + "/members";
  std::string mid = std::to_string(AddMember("team", "lim", 5));
  auto list = Body(Call("GET", members, admin()));
  auto it = std::find_if(list.begin(), list.end(),
                         [](const json& m) { return m["entity_name"] == "lim"; });
  ASSERT_NE(it, list.end());
  EXPECT_EQ((*it)["role_id"], 5);
  EXPECT_EQ((*it)["role_name"], "limitedGuest");
  PushImage("team/app", "v1", "x");

  // Reads the project, its repositories and artifacts, and may pull.
  auto r = Call("GET", "/projects/team", lim);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["current_user_role_id"], 5);
  EXPECT_EQ(Call("GET", "/projects/team/repositories", lim).status, 200);
  EXPECT_EQ(Call("GET", "/projects/team/repositories/app/artifacts/v1", lim).status, 200);
  // Neither the member list nor one member, neither pushing nor deleting.
  for (const auto& path : {members, members + "/" + mid}) {
    r = Call("GET", path, lim);
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_NE(r.body.find("other than limited guests"), std::string::npos) << r.body;
    EXPECT_EQ(Call("GET", path, outsider).status, 403) << path;
  }
  EXPECT_EQ(
      Call("POST", "/projects/team/repositories/app/artifacts/v1/tags", lim, R"({"name":"v2"})")
          .status,
      403);
  EXPECT_EQ(Call("DELETE", "/projects/team/repositories/app/artifacts/v1", lim).status, 403);
  r = Call("POST", members, admin(), R"({"role_id":6,"member_user":{"username":"outsider"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("5 limitedGuest"), std::string::npos) << r.body;
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

// An adapter that answers every health check; proxy-cache project rules only look at
// the endpoint's type.
class HealthyAdapter : public adapters::Adapter {
 public:
  explicit HealthyAdapter(adapters::Endpoint e) : e_(std::move(e)) {}
  Status HealthCheck() override { return Ok(); }
  Result<adapters::AdapterInfo> Info() override {
    adapters::AdapterInfo info;
    info.type = e_.type;
    return info;
  }
  remote::DistributionClient& Registry() override { std::abort(); }
  Result<std::vector<std::string>> ListRepositories() override {
    return std::vector<std::string>{};
  }
  Status PrepareForPush(const std::vector<std::string>&) override { return Ok(); }

 private:
  adapters::Endpoint e_;
};

class ProxyProjectsTest : public ApiServiceTest {
 protected:
  void SetUp() override {
    ApiServiceTest::SetUp();
    for (std::string type : {"harbor", "docker-registry"}) {
      adapters::AdapterRegistration reg;
      reg.info.type = type;
      reg.factory = [](const adapters::Endpoint& e,
                       const adapters::AdapterDeps&) -> Result<std::unique_ptr<adapters::Adapter>> {
        return std::make_unique<HealthyAdapter>(e);
      };
      ASSERT_TRUE(adapters_.Register(std::move(reg)).has_value());
    }
    store_ = std::make_unique<metadata::RegistryStore>(*db_);
    endpoints::SecretBox::Key key;
    key.fill(5);
    box_ = std::make_unique<endpoints::SecretBox>(key);
    service_ = std::make_unique<endpoints::EndpointService>(*store_, *box_, adapters_,
                                                            adapters::AdapterDeps{});
    pool_ = std::make_unique<http::BlockingPool>(1);
    ApiOptions options;
    options.proxy_cache_providers = {"harbor", "quay"};
    api_ = std::make_unique<ApiService>(*auth_, *projects_, *artifacts_, *users_, *content_,
                                        options, EndpointDeps{service_.get(), pool_.get()});
    harbor_id_ = NewEndpoint("upstream-harbor", "harbor");
    plain_id_ = NewEndpoint("upstream-plain", "docker-registry");
  }
  void TearDown() override {
    api_.reset();
    pool_.reset();
    ApiServiceTest::TearDown();
  }

  int64_t NewEndpoint(const std::string& name, const std::string& type) {
    auto created = service_->Create(
        endpoints::NewRegistry{.name = name, .type = type, .url = "https://" + name + ".test"});
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created ? created->id : 0;
  }

  static std::string ProxyReq(const std::string& name, int64_t registry_id,
                              json metadata = json::object()) {
    return json{{"project_name", name}, {"registry_id", registry_id}, {"metadata", metadata}}
        .dump();
  }
  static std::string Message(const http::Response& r) {
    return Body(r)["errors"][0]["message"].get<std::string>();
  }

  adapters::AdapterRegistry adapters_;
  std::unique_ptr<metadata::RegistryStore> store_;
  std::unique_ptr<endpoints::SecretBox> box_;
  std::unique_ptr<endpoints::EndpointService> service_;
  std::unique_ptr<http::BlockingPool> pool_;
  int64_t harbor_id_ = 0;
  int64_t plain_id_ = 0;
};

TEST_F(ProxyProjectsTest, CreateShowsRegistryAndLimits) {
  auto r =
      Call("POST", "/projects", admin(),
           ProxyReq("cache", harbor_id_,
                    {{"public", "true"}, {"proxy_speed_kb", "2048"}, {"max_upstream_conn", 4}}));
  ASSERT_EQ(r.status, 201) << r.body;
  r = Call("GET", "/projects/cache", admin());
  ASSERT_EQ(r.status, 200) << r.body;
  auto p = Body(r);
  EXPECT_EQ(p["registry_id"], harbor_id_);
  EXPECT_EQ(p["metadata"]["public"], "true");
  EXPECT_EQ(p["metadata"]["proxy_speed_kb"], "2048");
  EXPECT_EQ(p["metadata"]["max_upstream_conn"], "4");

  // Defaults are unlimited; a normal project shows neither key and ignores them.
  ASSERT_EQ(Call("POST", "/projects", admin(), ProxyReq("cache2", harbor_id_)).status, 201);
  p = Body(Call("GET", "/projects/cache2", admin()));
  EXPECT_EQ(p["metadata"]["proxy_speed_kb"], "-1");
  EXPECT_EQ(p["metadata"]["max_upstream_conn"], "-1");
  r = Call("POST", "/projects", admin(),
           json{{"project_name", "plain"}, {"metadata", {{"proxy_speed_kb", "10"}}}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  p = Body(Call("GET", "/projects/plain", admin()));
  EXPECT_EQ(p["registry_id"], 0);
  EXPECT_FALSE(p["metadata"].contains("proxy_speed_kb"));
  ASSERT_EQ(Call("POST", "/projects", admin(), ProxyReq("zero", 0)).status, 201);
  EXPECT_EQ(Body(Call("GET", "/projects/zero", admin()))["registry_id"], 0);

  // The summary names the endpoint, without its credential, to any reader.
  auto summary = Body(Call("GET", "/projects/cache/summary", kAnonymous));
  EXPECT_EQ(summary["registry"]["id"], harbor_id_);
  EXPECT_EQ(summary["registry"]["name"], "upstream-harbor");
  EXPECT_EQ(summary["registry"]["url"], "https://upstream-harbor.test");
  EXPECT_FALSE(summary["registry"].contains("credential"));
  EXPECT_FALSE(Body(Call("GET", "/projects/plain/summary", admin())).contains("registry"));
}

TEST_F(ProxyProjectsTest, CreateRules) {
  Caller alice = MakeUser("alice");
  struct Case {
    std::string name;
    Caller who;
    std::string body;
    int status;
    std::string code;
    std::vector<std::string> message_has;
  };
  const Case cases[] = {
      {"non-admin",
       alice,
       ProxyReq("p1", harbor_id_),
       403,
       "FORBIDDEN",
       {"only system administrators can create proxy-cache projects"}},
      {"anonymous", kAnonymous, ProxyReq("p1", harbor_id_), 401, "UNAUTHORIZED", {}},
      {"unknown endpoint", admin(), ProxyReq("p1", 9999), 404, "NOT_FOUND", {"registry 9999"}},
      {"disallowed type",
       admin(),
       ProxyReq("p1", plain_id_),
       400,
       "BAD_REQUEST",
       {"docker-registry", "harbor, quay"}},
      {"negative id", admin(), ProxyReq("p1", -3), 400, "BAD_REQUEST", {"registry_id"}},
      {"string id",
       admin(),
       R"({"project_name":"p1","registry_id":"1"})",
       400,
       "BAD_REQUEST",
       {"registry_id"}},
      {"speed not a number",
       admin(),
       ProxyReq("p1", harbor_id_, {{"proxy_speed_kb", "fast"}}),
       400,
       "BAD_REQUEST",
       {"proxy_speed_kb"}},
      {"conn out of int32",
       admin(),
       ProxyReq("p1", harbor_id_, {{"max_upstream_conn", 4294967296}}),
       400,
       "BAD_REQUEST",
       {"max_upstream_conn"}},
  };
  for (const auto& c : cases) {
    auto r = Call("POST", "/projects", c.who, c.body);
    ASSERT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_EQ(ErrorCodeOf(r), c.code) << c.name;
    for (const auto& part : c.message_has) {
      EXPECT_NE(Message(r).find(part), std::string::npos) << c.name << ": " << r.body;
    }
  }
  EXPECT_EQ(Call("GET", "/projects/p1", admin()).status, 404);
  // A non-admin still creates normal projects.
  EXPECT_EQ(Call("POST", "/projects", alice, R"({"project_name":"mine"})").status, 201);
}

TEST_F(ProxyProjectsTest, UpdateKeepsRegistryAndChangesLimits) {
  ASSERT_EQ(Call("POST", "/projects", admin(), ProxyReq("cache", harbor_id_)).status, 201);
  auto r = Call("PUT", "/projects/cache", admin(), json{{"registry_id", plain_id_}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(Message(r).find("registry_id"), std::string::npos);
  r = Call("PUT", "/projects/cache", admin(), json{{"registry_id", 0}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  // Echoing the same id, or null, is fine.
  r = Call("PUT", "/projects/cache", admin(),
           json{{"registry_id", harbor_id_},
                {"metadata", {{"proxy_speed_kb", "512"}, {"max_upstream_conn", "2"}}}}
               .dump());
  EXPECT_EQ(r.status, 200) << r.body;
  r = Call("PUT", "/projects/cache", admin(), json{{"registry_id", nullptr}}.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  auto p = Body(Call("GET", "/projects/cache", admin()));
  EXPECT_EQ(p["registry_id"], harbor_id_);
  EXPECT_EQ(p["metadata"]["proxy_speed_kb"], "512");
  EXPECT_EQ(p["metadata"]["max_upstream_conn"], "2");
  r = Call("PUT", "/projects/cache", admin(), json{{"metadata", {{"proxy_speed_kb", "x"}}}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;

  // A normal project cannot become a proxy cache.
  MakeProject(admin(), "plain", false);
  r = Call("PUT", "/projects/plain", admin(), json{{"registry_id", harbor_id_}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(ProxyProjectsTest, EndpointInUseCannotBeDeleted) {
  ASSERT_EQ(Call("POST", "/projects", admin(), ProxyReq("cache", harbor_id_)).status, 201);
  auto r = Call("DELETE", "/registries/" + std::to_string(harbor_id_), admin());
  EXPECT_EQ(r.status, 412) << r.body;
  EXPECT_EQ(ErrorCodeOf(r), "PRECONDITION");
  EXPECT_NE(Message(r).find("cache"), std::string::npos) << r.body;
  ASSERT_EQ(Call("DELETE", "/projects/cache", admin()).status, 200);
  EXPECT_EQ(Call("DELETE", "/registries/" + std::to_string(harbor_id_), admin()).status, 200);
}

}  // namespace
}  // namespace berth::api::test_support
