// /registries and /replication/adapter* through ApiService::Handle, with a fake provider.
#include <thread>

#include "api/api_test_fixture.h"
#include "endpoints/endpoint_service.h"
#include "metadata/registry_store.h"

namespace berth::api {
namespace {

using test_support::ApiServiceTest;
using test_support::json;

constexpr std::string_view kSecret = "Very-Secret-Token-42";

struct FakeState {
  Status health = Ok();
  std::string last_url;
  std::string last_secret;
  std::thread::id checked_on;
};

class FakeAdapter : public adapters::Adapter {
 public:
  FakeAdapter(FakeState& state, adapters::Endpoint e) : state_(state), e_(std::move(e)) {}
  Status HealthCheck() override {
    state_.last_url = e_.url;
    state_.last_secret = e_.access_secret;
    state_.checked_on = std::this_thread::get_id();
    return state_.health;
  }
  Result<adapters::AdapterInfo> Info() override {
    adapters::AdapterInfo info;
    info.type = e_.type;
    info.supported_resource_filters = {{.type = "name", .style = "input", .values = {}}};
    info.supported_copy_by_chunk = true;
    return info;
  }
  remote::DistributionClient& Registry() override { std::abort(); }
  Result<std::vector<std::string>> ListRepositories() override {
    return std::vector<std::string>{};
  }
  Status PrepareForPush(const std::vector<std::string>&) override { return Ok(); }

 private:
  FakeState& state_;
  adapters::Endpoint e_;
};

class RegistriesApiTest : public ApiServiceTest {
 protected:
  void SetUp() override {
    ApiServiceTest::SetUp();
    for (std::string type : {"fake", "fixed"}) {
      adapters::AdapterRegistration reg;
      reg.info.type = type;
      if (type == "fixed") {
        reg.info.endpoint_pattern = adapters::EndpointPattern{
            "EndpointPatternTypeFix", {{"fixed.example.com", "https://fixed.example.com"}}};
        reg.info.credential_pattern = adapters::CredentialPattern{
            "AccessKeyTypeFix", "_json_key", "AccessSecretTypeFile", "No Change"};
      }
      reg.factory =
          [this](const adapters::Endpoint& e,
                 const adapters::AdapterDeps&) -> Result<std::unique_ptr<adapters::Adapter>> {
        return std::make_unique<FakeAdapter>(state_, e);
      };
      ASSERT_TRUE(adapters_.Register(std::move(reg)).has_value());
    }
    store_ = std::make_unique<metadata::RegistryStore>(*db_);
    endpoints::SecretBox::Key key;
    key.fill(3);
    box_ = std::make_unique<endpoints::SecretBox>(key);
    service_ = std::make_unique<endpoints::EndpointService>(*store_, *box_, adapters_,
                                                            adapters::AdapterDeps{});
    pool_ = std::make_unique<http::BlockingPool>(1);
    ApiOptions options;
    api_ = std::make_unique<ApiService>(*auth_, *projects_, *artifacts_, *users_, *content_,
                                        options, EndpointDeps{service_.get(), pool_.get()});
  }
  void TearDown() override {
    api_.reset();
    pool_.reset();
    ApiServiceTest::TearDown();
  }

  // Creates an endpoint and returns its id.
  int64_t Create(const std::string& name, std::string secret = std::string(kSecret)) {
    auto r = Call("POST", "/registries", admin(),
                  json{{"name", name},
                       {"type", "fake"},
                       {"url", "peer.example.com/"},
                       {"credential",
                        {{"type", "basic"}, {"access_key", "alice"}, {"access_secret", secret}}}}
                      .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    auto location = std::string(r.headers.Get("Location").value_or(""));
    EXPECT_TRUE(location.starts_with("/api/v2.0/registries/")) << location;
    return ParseInt(location.substr(location.rfind('/') + 1)).value_or(0);
  }

  // Every response is checked for the secret in its body and headers.
  http::Response Call(std::string method, std::string target, const test_support::Caller& who,
                      std::string body = {}) {
    auto r = ApiServiceTest::Call(std::move(method), std::move(target), who, std::move(body));
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << r.body;
    for (const auto& [k, v] : r.headers.all()) EXPECT_EQ(v.find(kSecret), std::string::npos);
    return r;
  }

  FakeState state_;
  adapters::AdapterRegistry adapters_;
  std::unique_ptr<metadata::RegistryStore> store_;
  std::unique_ptr<endpoints::SecretBox> box_;
  std::unique_ptr<endpoints::EndpointService> service_;
  std::unique_ptr<http::BlockingPool> pool_;
};

TEST_F(RegistriesApiTest, CreateGetShapeAndMask) {
  int64_t id = Create("peer");
  EXPECT_NE(state_.checked_on, std::this_thread::get_id());  // ran on the pool
  EXPECT_EQ(state_.last_url, "https://peer.example.com");
  auto r = Call("GET", "/registries/" + std::to_string(id), admin());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["name"], "peer");
  EXPECT_EQ(j["url"], "https://peer.example.com");
  EXPECT_EQ(j["type"], "fake");
  EXPECT_EQ(j["status"], "healthy");
  EXPECT_EQ(j["credential"],
            (json{{"type", "basic"}, {"access_key", "alice"}, {"access_secret", "*****"}}));
  EXPECT_FALSE(j.contains("insecure"));  // omitempty
  EXPECT_FALSE(j.contains("description"));
  EXPECT_FALSE(j.contains("last_error"));
  EXPECT_TRUE(j.contains("creation_time"));
  EXPECT_TRUE(j.contains("last_checked"));
}

TEST_F(RegistriesApiTest, ErrorCodesTable) {
  int64_t id = Create("peer");
  std::string path = "/registries/" + std::to_string(id);
  struct Case {
    std::string method, target, body;
    int status;
    std::string code, message;
  };
  const Case cases[] = {
      {"POST", "/registries", R"({"type":"fake","url":"x"})", 400, "BAD_REQUEST",
       "name cannot be empty"},
      {"POST", "/registries", R"({"name":"peer","type":"fake","url":"x"})", 409, "CONFLICT",
       "registry peer already exists"},
      {"POST", "/registries", R"({"name":5})", 400, "BAD_REQUEST", "name must be a string"},
      {"POST", "/registries",
       R"({"name":"n","type":"fake","url":"x","credential":{"access_key":1}})", 400, "BAD_REQUEST",
       "credential.access_key must be a string"},
      {"POST", "/registries", "not json", 400, "BAD_REQUEST", ""},
      {"GET", "/registries/0", "", 404, "NOT_FOUND", "registry 0 not found"},
      {"GET", "/registries/77", "", 404, "NOT_FOUND", "registry 77 not found"},
      {"PUT", "/registries/0", "{}", 404, "NOT_FOUND", "registry 0 not found"},
      {"DELETE", "/registries/0", "", 404, "NOT_FOUND", "registry 0 not found"},
      {"GET", "/registries/abc", "", 422, "UNPROCESSABLE_ENTITY",
       "registry id in path must be of type int64: \"abc\""},
      {"GET", "/registries/abc/info", "", 422, "UNPROCESSABLE_ENTITY", ""},
      {"GET", "/registries/0/info", "", 200, "", ""},
      {"PUT", path, R"({"url":"ftp://x"})", 400, "BAD_REQUEST", "invalid HTTP scheme: ftp"},
      {"PUT", path, R"({"insecure":"yes"})", 400, "BAD_REQUEST", "insecure must be a boolean"},
      {"POST", "/registries/ping", R"({"url":"x"})", 400, "BAD_REQUEST",
       "type or url cannot be empty"},
      {"POST", "/registries/ping", R"({"id":999})", 404, "NOT_FOUND", "registry 999 not found"},
      {"GET", "/registries?page_size=101", "", 422, "UNPROCESSABLE_ENTITY", ""},
      {"PATCH", path, "{}", 405, "METHOD_NOT_ALLOWED", ""},
  };
  for (const auto& c : cases) {
    auto r = Call(c.method, c.target, admin(), c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << r.body;
    if (r.status >= 400) {
      EXPECT_EQ(ErrorCodeOf(r), c.code) << c.target;
      if (!c.message.empty()) {
        EXPECT_EQ(Body(r)["errors"][0]["message"], c.message) << c.target;
      }
    }
  }
  auto r = Call("PATCH", "/registries", admin(), "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.Get("Allow").value_or(""), "GET, HEAD, POST");
  r = Call("POST", path, admin(), "{}");
  EXPECT_EQ(r.headers.Get("Allow").value_or(""), "GET, HEAD, PUT, DELETE");
}

TEST_F(RegistriesApiTest, SysadminOnly) {
  int64_t id = Create("peer");
  auto user = MakeUser("bob");
  for (const std::string& target :
       std::vector<std::string>{"/registries", "/registries/" + std::to_string(id),
                                "/replication/adapters", "/replication/adapterinfos"}) {
    EXPECT_EQ(Call("GET", target, test_support::kAnonymous).status, 401) << target;
    EXPECT_EQ(Call("GET", target, user).status, 403) << target;
  }
  EXPECT_EQ(Call("POST", "/registries/ping", user, R"({"id":1})").status, 403);
  EXPECT_EQ(Call("DELETE", "/registries/" + std::to_string(id), user).status, 403);
}

TEST_F(RegistriesApiTest, UnhealthyCreateIs400WithReason) {
  state_.health = Fail(ErrorCode::kInternal, "connection refused (127.0.0.1:1)");
  auto r = Call("POST", "/registries", admin(),
                json{{"name", "down"}, {"type", "fake"}, {"url", "http://127.0.0.1:1"}}.dump());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["errors"][0]["message"],
            "the registry is unhealthy: connection refused (127.0.0.1:1)");
}

TEST_F(RegistriesApiTest, UpdateAbsentVsEmptyAndUrlChangeClearsSecret) {
  int64_t id = Create("peer");
  std::string path = "/registries/" + std::to_string(id);
  ASSERT_EQ(Call("PUT", path, admin(), R"({"description":"d","insecure":true})").status, 200);
  json j = Body(Call("GET", path, admin()));
  EXPECT_EQ(j["description"], "d");
  EXPECT_EQ(j["insecure"], true);
  EXPECT_EQ(j["credential"]["access_secret"], "*****");
  ASSERT_EQ(Call("PUT", path, admin(), R"({"description":""})").status, 200);
  j = Body(Call("GET", path, admin()));
  EXPECT_FALSE(j.contains("description"));
  EXPECT_EQ(j["insecure"], true);
  ASSERT_EQ(Call("PUT", path, admin(), R"({"url":"https://elsewhere.example.com"})").status, 200);
  EXPECT_EQ(state_.last_secret, "");
  j = Body(Call("GET", path, admin()));
  EXPECT_EQ(j["url"], "https://elsewhere.example.com");
  EXPECT_FALSE(j["credential"].contains("access_secret"));
}

TEST_F(RegistriesApiTest, PingWithIdSendsTheStoredSecretOnlyToTheStoredUrl) {
  int64_t id = Create("peer");
  state_.last_url.clear();
  auto r = Call("POST", "/registries/ping", admin(),
                json{{"id", id}, {"url", "https://evil.example.com"}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorCodeOf(r), "BAD_REQUEST");
  EXPECT_NE(r.body.find("give access_secret to test these settings"), std::string::npos) << r.body;
  EXPECT_EQ(state_.last_url, "");  // nothing was sent
  r = Call(
      "POST", "/registries/ping", admin(),
      json{{"id", id}, {"url", "https://evil.example.com"}, {"access_secret", "typed"}}.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(state_.last_url, "https://evil.example.com");
  EXPECT_EQ(state_.last_secret, "typed");
  r = Call("POST", "/registries/ping", admin(), json{{"id", id}}.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(state_.last_url, "https://peer.example.com");
  EXPECT_EQ(state_.last_secret, kSecret);
  r = Call("POST", "/registries/ping", admin(),
           json{{"type", "fake"}, {"url", "http://other:5000"}}.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(state_.last_url, "http://other:5000");
}

TEST_F(RegistriesApiTest, DeleteGuardAnd412) {
  int64_t id = Create("peer");
  ASSERT_TRUE(
      db_->Exec("INSERT INTO replication_policies (name, src_registry_id, creation_time, "
                "update_time) VALUES ('p', ?, 'n', 'n')",
                {id}));
  auto r = Call("DELETE", "/registries/" + std::to_string(id), admin());
  EXPECT_EQ(r.status, 412);
  EXPECT_EQ(ErrorCodeOf(r), "PRECONDITION");
  ASSERT_TRUE(db_->Exec("DELETE FROM replication_policies"));
  EXPECT_EQ(Call("DELETE", "/registries/" + std::to_string(id), admin()).status, 200);
  EXPECT_EQ(Call("GET", "/registries/" + std::to_string(id), admin()).status, 404);
}

TEST_F(RegistriesApiTest, ListQueryPagingAndHeaders) {
  Create("harbor-a");
  Create("hub");
  Create("harbor-b");
  auto r = Call("GET", "/registries?q=name%3D~harbor&page_size=1&sort=-name", admin());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "2");
  EXPECT_NE(std::string(r.headers.Get("Link").value_or("")).find("rel=\"next\""),
            std::string::npos);
  json j = Body(r);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["name"], "harbor-b");
  r = Call("GET", "/registries?name=hu", admin());
  EXPECT_EQ(Body(r).size(), 1u);
  r = Call("GET", "/registries?q=type%3Dfake", admin());
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "3");
}

TEST_F(RegistriesApiTest, InfoAndAdapters) {
  int64_t id = Create("peer");
  auto r = Call("GET", "/registries/" + std::to_string(id) + "/info", admin());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  EXPECT_EQ(j["type"], "fake");
  EXPECT_EQ(j["supported_copy_by_chunk"], true);
  ASSERT_EQ(j["supported_resource_filters"].size(), 2u);
  EXPECT_EQ(j["supported_resource_filters"][0], (json{{"type", "name"}, {"style", "input"}}));
  EXPECT_EQ(j["supported_resource_filters"][1],
            (json{{"type", "resource"}, {"style", "radio"}, {"values", {"image", "artifact"}}}));
  EXPECT_EQ(j["supported_triggers"], (json{"manual", "scheduled"}));

  EXPECT_EQ(Body(Call("GET", "/replication/adapters", admin())), (json{"fake", "fixed"}));
  json infos = Body(Call("GET", "/replication/adapterinfos", admin()));
  EXPECT_FALSE(infos.contains("fake"));
  EXPECT_EQ(infos["fixed"]["endpoint_pattern"]["endpoint_type"], "EndpointPatternTypeFix");
  EXPECT_EQ(infos["fixed"]["endpoint_pattern"]["endpoints"][0]["value"],
            "https://fixed.example.com");
  EXPECT_EQ(infos["fixed"]["credential_pattern"]["access_key_data"], "_json_key");
}

}  // namespace
}  // namespace berth::api
