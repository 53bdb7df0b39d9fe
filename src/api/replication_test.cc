// /replication/policies and /replication/executions through ApiService::Handle, with the
// real ReplicationService pushing to a CNCF `docker-registry`.
#include <chrono>
#include <thread>

#include "adapters/adapter.h"
#include "api/api_test_fixture.h"
#include "endpoints/endpoint_service.h"
#include "endpoints/secret_box.h"
#include "metadata/label_store.h"
#include "metadata/registry_store.h"
#include "metadata/replication_store.h"
#include "remote/test_servers.h"
#include "replication/replication_service.h"

namespace berth::api {
namespace {

using namespace std::chrono_literals;
using test_support::ApiServiceTest;
using test_support::json;
using test_support::kAnonymous;

class ReplicationApiTest : public ApiServiceTest {
 protected:
  void SetUp() override {
    ApiServiceTest::SetUp();
    std::string error;
    peer_ = remote::testing::RegistryProcess::Start({}, &error);
    if (!peer_) GTEST_SKIP() << "docker-registry unavailable: " << error;
    ASSERT_TRUE(adapters::RegisterBuiltinAdapters(adapters_).has_value());
    registries_ = std::make_unique<metadata::RegistryStore>(*db_);
    endpoints::SecretBox::Key key;
    key.fill(5);
    box_ = std::make_unique<endpoints::SecretBox>(key);
    endpoints_ = std::make_unique<endpoints::EndpointService>(*registries_, *box_, adapters_,
                                                              adapters::AdapterDeps{});
    auto peer = endpoints_->Create(
        endpoints::NewRegistry{.name = "peer", .type = "docker-registry", .url = peer_->url()});
    ASSERT_TRUE(peer.has_value()) << peer.error().message;
    peer_id_ = peer->id;
    store_ = std::make_unique<metadata::ReplicationStore>(*db_);
    labels_ = std::make_unique<metadata::LabelStore>(*db_);
    replication::ReplicationOptions options;
    options.log_dir = root_ / "replication-logs";
    options.workers = 2;
    options.retries = 1;
    options.backoff = 10ms;
    replication::LocalStores local{.content = content_,
                                   .blobs = blobs_,
                                   .artifacts = artifacts_,
                                   .projects = projects_,
                                   .labels = labels_.get(),
                                   .owner_id = 1};
    service_ =
        std::make_unique<replication::ReplicationService>(*store_, *endpoints_, local, options);
    ASSERT_TRUE(service_->Start().has_value());
    pool_ = std::make_unique<http::BlockingPool>(2);
    ApiOptions api_options;
    api_options.external_url = "https://berth.example.com";
    api_ =
        std::make_unique<ApiService>(*auth_, *projects_, *artifacts_, *users_, *content_,
                                     api_options, EndpointDeps{endpoints_.get(), pool_.get()},
                                     ReplicationDeps{service_.get(), labels_.get(), pool_.get()});
  }

  void TearDown() override {
    api_.reset();
    if (service_) service_->Shutdown();
    service_.reset();
    pool_.reset();
    ApiServiceTest::TearDown();
  }

  json PushPolicy(const std::string& name) {
    return {{"name", name},
            {"dest_registry", {{"id", peer_id_}}},
            {"dest_namespace", "mirror"},
            {"dest_namespace_replace_count", 1},
            {"trigger", {{"type", "manual"}}},
            {"filters", json::array({{{"type", "name"}, {"value", "src/**"}}})},
            {"override", true},
            {"enabled", true}};
  }

  // Creates a policy and returns its id.
  int64_t CreatePolicy(const json& body) {
    auto r = Call("POST", "/replication/policies", admin(), body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    auto location = std::string(r.headers.Get("Location").value_or(""));
    EXPECT_TRUE(location.starts_with("/api/v2.0/replication/policies/")) << location;
    return ParseInt(location.substr(location.rfind('/') + 1)).value_or(0);
  }

  int64_t Start(int64_t policy) {
    auto r = Call("POST", "/replication/executions", admin(), json{{"policy_id", policy}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    auto location = std::string(r.headers.Get("Location").value_or(""));
    EXPECT_TRUE(location.starts_with("/api/v2.0/replication/executions/")) << location;
    return ParseInt(location.substr(location.rfind('/') + 1)).value_or(0);
  }

  json WaitFinished(int64_t execution) {
    json e;
    for (int i = 0; i < 600; ++i) {
      auto r = Call("GET", "/replication/executions/" + std::to_string(execution), admin());
      EXPECT_EQ(r.status, 200) << r.body;
      e = Body(r);
      if (e["status"] != "InProgress") return e;
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "execution " << execution << " still running: " << e;
    return e;
  }

  std::unique_ptr<remote::testing::RegistryProcess> peer_;
  int64_t peer_id_ = 0;
  adapters::AdapterRegistry adapters_;
  std::unique_ptr<metadata::RegistryStore> registries_;
  std::unique_ptr<endpoints::SecretBox> box_;
  std::unique_ptr<endpoints::EndpointService> endpoints_;
  std::unique_ptr<metadata::ReplicationStore> store_;
  std::unique_ptr<metadata::LabelStore> labels_;
  std::unique_ptr<replication::ReplicationService> service_;
  std::unique_ptr<http::BlockingPool> pool_;
};

TEST_F(ReplicationApiTest, PolicyCrudAndShape) {
  int64_t id = CreatePolicy(PushPolicy("to-peer"));
  auto r = Call("GET", "/replication/policies/" + std::to_string(id), admin());
  ASSERT_EQ(r.status, 200) << r.body;
  json p = Body(r);
  EXPECT_EQ(p["id"], id);
  EXPECT_EQ(p["name"], "to-peer");
  EXPECT_EQ(p["src_registry"]["id"], 0);
  EXPECT_EQ(p["src_registry"]["name"], "Local");
  EXPECT_EQ(p["src_registry"]["type"], "harbor");
  EXPECT_EQ(p["src_registry"]["url"], "https://berth.example.com");
  EXPECT_EQ(p["dest_registry"]["id"], peer_id_);
  EXPECT_EQ(p["dest_registry"]["name"], "peer");
  EXPECT_EQ(p["dest_registry"]["type"], "docker-registry");
  EXPECT_EQ(p["dest_registry"]["url"], peer_->url());
  EXPECT_EQ(p["dest_namespace"], "mirror");
  EXPECT_EQ(p["dest_namespace_replace_count"], 1);
  EXPECT_EQ(p["trigger"]["type"], "manual");
  EXPECT_EQ(p["filters"][0]["value"], "src/**");
  EXPECT_EQ(p["override"], true);

  // PUT replaces the whole policy.
  json update = PushPolicy("to-peer-2");
  update["filters"] = json::array();
  update["deletion"] = true;
  r = Call("PUT", "/replication/policies/" + std::to_string(id), admin(), update.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  p = Body(Call("GET", "/replication/policies/" + std::to_string(id), admin()));
  EXPECT_EQ(p["name"], "to-peer-2");
  EXPECT_TRUE(p["filters"].empty());
  EXPECT_EQ(p["replicate_deletion"], true);

  CreatePolicy(PushPolicy("another"));
  CreatePolicy(PushPolicy("third"));
  r = Call("GET", "/replication/policies?page_size=2", admin());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).size(), 2u);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "3");
  EXPECT_NE(std::string(r.headers.Get("Link").value_or("")).find("rel=\"next\""),
            std::string::npos);
  EXPECT_EQ(Body(r)[0]["dest_registry"]["name"], "peer");
  struct Case {
    std::string query;
    size_t count;
  };
  const Case cases[] = {
      {"q=name%3Dthird", 1}, {"q=name%3D~peer", 1}, {"name=t", 3}, {"q=name%3Dthir", 0}};
  for (const auto& c : cases) {
    r = Call("GET", "/replication/policies?" + c.query, admin());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Body(r).size(), c.count) << c.query;
  }

  EXPECT_EQ(Call("DELETE", "/replication/policies/" + std::to_string(id), admin()).status, 200);
  EXPECT_EQ(Call("GET", "/replication/policies/" + std::to_string(id), admin()).status, 404);
}

TEST_F(ReplicationApiTest, ErrorsTable) {
  int64_t id = CreatePolicy(PushPolicy("taken"));
  json both = PushPolicy("both");
  both["src_registry"] = {{"id", peer_id_}};
  json unknown = PushPolicy("unknown");
  unknown["dest_registry"] = {{"id", 999}};
  struct Case {
    std::string method, target, body;
    int status;
    std::string code;
  };
  const std::string path = "/replication/policies/" + std::to_string(id);
  const Case cases[] = {
      {"POST", "/replication/policies", R"({"dest_registry":{"id":1}})", 400, "BAD_REQUEST"},
      {"POST", "/replication/policies", both.dump(), 400, "BAD_REQUEST"},
      {"POST", "/replication/policies", unknown.dump(), 404, "NOT_FOUND"},
      {"POST", "/replication/policies", PushPolicy("taken").dump(), 409, "CONFLICT"},
      {"POST", "/replication/policies", "[1]", 400, "BAD_REQUEST"},
      {"GET", "/replication/policies/999", "", 404, "NOT_FOUND"},
      {"GET", "/replication/policies/x", "", 422, "UNPROCESSABLE_ENTITY"},
      {"PUT", "/replication/policies/999", PushPolicy("n").dump(), 404, "NOT_FOUND"},
      {"DELETE", "/replication/policies/999", "", 404, "NOT_FOUND"},
      {"GET", "/replication/policies?page_size=101", "", 422, "UNPROCESSABLE_ENTITY"},
      {"POST", "/replication/executions", "{}", 400, "BAD_REQUEST"},
      {"POST", "/replication/executions", R"({"policy_id":999})", 404, "NOT_FOUND"},
      {"GET", "/replication/executions/999", "", 404, "NOT_FOUND"},
      {"PUT", "/replication/executions/999", "", 404, "NOT_FOUND"},
      {"GET", "/replication/executions/999/tasks", "", 404, "NOT_FOUND"},
      {"GET", "/replication/executions/999/tasks/1/log", "", 404, "NOT_FOUND"},
      {"GET", "/replication/executions?policy_id=x", "", 422, "UNPROCESSABLE_ENTITY"},
      {"PATCH", path, "{}", 405, "METHOD_NOT_ALLOWED"},
  };
  for (const auto& c : cases) {
    auto r = Call(c.method, c.target, admin(), c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << r.body;
    if (r.status >= 400) EXPECT_EQ(ErrorCodeOf(r), c.code) << c.target;
  }
  // A disabled policy does not start.
  json disabled = PushPolicy("off");
  disabled["enabled"] = false;
  int64_t off = CreatePolicy(disabled);
  auto r = Call("POST", "/replication/executions", admin(), json{{"policy_id", off}}.dump());
  EXPECT_EQ(r.status, 412) << r.body;
}

TEST_F(ReplicationApiTest, SysadminOnly) {
  int64_t id = CreatePolicy(PushPolicy("p"));
  auto user = MakeUser("bob");
  const std::string targets[] = {
      "/replication/policies",           "/replication/policies/" + std::to_string(id),
      "/replication/executions",         "/replication/executions/1",
      "/replication/executions/1/tasks", "/replication/executions/1/tasks/1/log"};
  for (const auto& target : targets) {
    EXPECT_EQ(Call("GET", target, kAnonymous).status, 401) << target;
    EXPECT_EQ(Call("GET", target, user).status, 403) << target;
  }
  EXPECT_EQ(Call("POST", "/replication/policies", user, PushPolicy("x").dump()).status, 403);
  EXPECT_EQ(Call("POST", "/replication/executions", user, json{{"policy_id", id}}.dump()).status,
            403);
  EXPECT_EQ(Call("DELETE", "/replication/policies/" + std::to_string(id), user).status, 403);
}

TEST_F(ReplicationApiTest, ExecutionTasksAndLog) {
  MakeProject(admin(), "src", false);
  PushImage("src/app", "v1", "one");
  PushImage("src/app", "v2", "two");
  int64_t policy = CreatePolicy(PushPolicy("run"));
  int64_t execution = Start(policy);
  json e = WaitFinished(execution);
  EXPECT_EQ(e["status"], "Succeed") << e;
  EXPECT_EQ(e["policy_id"], policy);
  EXPECT_EQ(e["trigger"], "manual");
  EXPECT_EQ(e["total"], 1);
  EXPECT_EQ(e["succeed"], 1);
  EXPECT_TRUE(e.contains("status_text"));

  auto r = Call("GET", "/replication/executions?policy_id=" + std::to_string(policy), admin());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(Body(r).size(), 1u);
  EXPECT_EQ(Body(r)[0]["id"], execution);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "1");
  EXPECT_EQ(Body(Call("GET", "/replication/executions?policy_id=999", admin())).size(), 0u);
  EXPECT_EQ(Body(Call("GET", "/replication/executions?status=Failed", admin())).size(), 0u);

  const std::string tasks = "/replication/executions/" + std::to_string(execution) + "/tasks";
  r = Call("GET", tasks, admin());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(Body(r).size(), 1u);
  json t = Body(r)[0];
  EXPECT_EQ(t["status"], "Succeed");
  EXPECT_EQ(t["operation"], "copy");
  EXPECT_EQ(t["resource_type"], "image");
  EXPECT_EQ(t["artifacts_total"], 2);
  EXPECT_EQ(t["artifacts_done"], 2);
  EXPECT_GT(t["bytes"].get<int64_t>(), 0);
  EXPECT_NE(t["dst_resource"].get<std::string>().find("mirror/app"), std::string::npos) << t;
  EXPECT_EQ(Body(Call("GET", tasks + "?status=Failed", admin())).size(), 0u);

  r = Call("GET", tasks + "/" + std::to_string(t["id"].get<int64_t>()) + "/log", admin());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(std::string(r.headers.Get("Content-Type").value_or("")).starts_with("text/plain"));
  EXPECT_FALSE(r.body.empty());

  // Stopping a finished execution is harmless.
  EXPECT_EQ(Call("PUT", "/replication/executions/" + std::to_string(execution), admin()).status,
            200);
}

TEST_F(ReplicationApiTest, DeleteWhileRunningIs412ThenStop) {
  MakeProject(admin(), "src", false);
  auto repo = content_->ResolveRepository("src/big", true);
  ASSERT_TRUE(repo.has_value());
  // A 256 KiB layer at 64 kb/s takes half a minute: long enough to act while it runs.
  std::string layer(256 << 10, 'x');
  for (size_t i = 0; i < layer.size(); i += 7) layer[i] = static_cast<char>(i * 31);
  std::string config = R"({"architecture":"amd64"})";
  Digest c = PushBlob(*repo, config);
  Digest l = PushBlob(*repo, layer);
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config",
                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                     {"digest", c.str()},
                     {"size", config.size()}}},
                   {"layers", json::array({{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                                            {"digest", l.str()},
                                            {"size", layer.size()}}})}};
  ASSERT_TRUE(content_
                  ->PutManifest(*repo, Reference{"v1", false}, manifest.dump(),
                                "application/vnd.oci.image.manifest.v1+json")
                  .has_value());
  json body = PushPolicy("slow");
  body["speed"] = 64;
  int64_t policy = CreatePolicy(body);
  int64_t execution = Start(policy);
  auto r = Call("DELETE", "/replication/policies/" + std::to_string(policy), admin());
  EXPECT_EQ(r.status, 412) << r.body;
  EXPECT_EQ(ErrorCodeOf(r), "PRECONDITION");

  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(Call("PUT", "/replication/executions/" + std::to_string(execution), admin()).status,
            200);
  json e = WaitFinished(execution);
  EXPECT_EQ(e["status"], "Stopped") << e;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_EQ(Call("DELETE", "/replication/policies/" + std::to_string(policy), admin()).status, 200);
}

}  // namespace
}  // namespace berth::api
