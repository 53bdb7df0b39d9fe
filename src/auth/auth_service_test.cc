#include "auth/auth_service.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "auth/jwt.h"
#include "common/digest.h"
#include "metadata/migrate.h"
#include "metadata/sqlite_database.h"

namespace berth::auth {
namespace {

using metadata::Role;
using nlohmann::json;

std::string Basic(std::string_view user, std::string_view password) {
  std::string raw = std::string(user) + ":" + std::string(password);
  // Standard base64 = base64url with the two alphabet differences, plus padding.
  std::string b64 = Base64UrlEncode(raw);
  for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b64.size() % 4 != 0) b64 += '=';
  return "Basic " + b64;
}

class StringBody : public http::BodyReader {
 public:
  explicit StringBody(std::string data) : data_(std::move(data)) {}
  http::Task<Result<size_t>> ReadSome(std::span<char> buf) override {
    size_t n = std::min(buf.size(), data_.size() - offset_);
    std::copy_n(data_.data() + offset_, n, buf.data());
    offset_ += n;
    co_return n;
  }
  std::optional<uint64_t> declared_length() const override { return data_.size(); }

 private:
  std::string data_;
  size_t offset_ = 0;
};

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("berth-auth-" + RandomHex(6));
    auto db = metadata::SqliteDatabase::Open(":memory:");
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    auto migrated = metadata::Migrate(*db_);
    ASSERT_TRUE(migrated) << migrated.error().message;
    users_ = std::make_unique<metadata::UserStore>(*db_);
    projects_ = std::make_unique<metadata::ProjectStore>(*db_);
    service_ =
        std::make_unique<AuthService>(AuthOptions{.data_dir = dir_.string()}, *users_, *projects_);
    auto init = service_->Init();
    ASSERT_TRUE(init) << init.error().message;
    auto admin = service_->BootstrapAdmin(std::string("Harbor12345"));
    ASSERT_TRUE(admin) << admin.error().message;
    ASSERT_EQ(admin->value_or(""), "Harbor12345");
    admin_id_ = users_->GetByName("admin").value()->id;

    for (const char* name : {"dev", "guest", "maint", "stranger"}) {
      metadata::User u;
      u.username = name;
      u.email = std::string(name) + "@example.com";
      u.password_hash = HashPassword(std::string(name) + "-pw");
      auto created = users_->Create(u);
      ASSERT_TRUE(created) << created.error().message;
      ids_[name] = created->id;
    }
    for (auto [name, is_public] : {std::pair{"pub", true}, std::pair{"priv", false}}) {
      metadata::Project p;
      p.name = name;
      p.is_public = is_public;
      p.owner_id = admin_id_;
      auto created = projects_->Create(p);
      ASSERT_TRUE(created) << created.error().message;
      project_ids_[name] = created->id;
    }
    ASSERT_TRUE(users_->SetMember(project_ids_["priv"], ids_["dev"], Role::kDeveloper));
    ASSERT_TRUE(users_->SetMember(project_ids_["priv"], ids_["guest"], Role::kGuest));
    ASSERT_TRUE(users_->SetMember(project_ids_["priv"], ids_["maint"], Role::kMaintainer));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  http::Request MakeRequest(std::string method, std::string authorization = {}) {
    http::Request r;
    r.method = std::move(method);
    r.path = "/service/token";
    r.target = "/service/token";
    r.headers.Set("Host", "registry.test:5000");
    if (!authorization.empty()) r.headers.Set("Authorization", std::move(authorization));
    return r;
  }

  http::Response RunToken(http::Request& request) {
    boost::asio::io_context io;
    std::optional<http::Response> out;
    boost::asio::co_spawn(
        io, [&]() -> http::Task<void> { out = co_await service_->HandleToken(request); },
        boost::asio::detached);
    io.run();
    EXPECT_TRUE(out.has_value());
    return out ? std::move(*out) : http::Response{};
  }

  // GETs a token for `scopes` and returns the decoded response body.
  json GetToken(const std::string& authorization, std::vector<std::string> scopes,
                int* status = nullptr) {
    http::Request r = MakeRequest("GET", authorization);
    r.query.emplace_back("service", "berth");
    for (auto& s : scopes) r.query.emplace_back("scope", s);
    http::Response resp = RunToken(r);
    if (status) *status = resp.status;
    return json::parse(resp.body, nullptr, false);
  }

  // The access claim of a token, as "type:name:actions" strings.
  std::vector<std::string> AccessOf(const std::string& token) {
    auto key = SigningKey::LoadOrCreate((dir_ / "token").string(), "x");
    auto claims = DecodeJwt(*key, token, "berth", "berth-token-issuer", std::time(nullptr));
    EXPECT_TRUE(claims) << claims.error().message;
    std::vector<std::string> out;
    if (claims) {
      for (const auto& s : claims->access) out.push_back(FormatScope(s));
    }
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<metadata::SqliteDatabase> db_;
  std::unique_ptr<metadata::UserStore> users_;
  std::unique_ptr<metadata::ProjectStore> projects_;
  std::unique_ptr<AuthService> service_;
  int64_t admin_id_ = 0;
  std::map<std::string, int64_t> ids_;
  std::map<std::string, int64_t> project_ids_;
};

TEST_F(AuthServiceTest, InitWritesKeyAndCertificate) {
  EXPECT_TRUE(std::filesystem::exists(dir_ / "token" / "key.pem"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "token" / "cert.pem"));
  EXPECT_TRUE(service_->SigningCertificatePem().starts_with("-----BEGIN CERTIFICATE-----"));
}

TEST_F(AuthServiceTest, BootstrapAdminOnlyOnce) {
  auto again = service_->BootstrapAdmin(std::nullopt);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
  auto admin = users_->GetByName("admin");
  ASSERT_TRUE(admin && admin->has_value());
  EXPECT_TRUE((*admin)->sysadmin);
}

TEST_F(AuthServiceTest, BootstrapAdminGeneratesPassword) {
  ASSERT_TRUE(users_->Delete(admin_id_));
  auto generated = service_->BootstrapAdmin(std::nullopt);
  ASSERT_TRUE(generated && generated->has_value());
  EXPECT_GE((*generated)->size(), 16u);
  http::Request r = MakeRequest("GET", Basic("admin", **generated));
  auto who = service_->Authenticate(r);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_TRUE(who->sysadmin);
}

TEST_F(AuthServiceTest, AuthenticateTable) {
  Identity dev;
  dev.user_id = ids_["dev"];
  dev.username = "dev";
  auto token = service_->IssueToken(dev, {*ParseScope("repository:priv/app:pull")});
  ASSERT_TRUE(token);
  struct Case {
    std::string name;
    std::string authorization;
    bool ok;
    std::string username;
    bool from_token;
  } cases[] = {
      {"none", "", true, "", false},
      {"admin basic", Basic("admin", "Harbor12345"), true, "admin", false},
      {"admin basic again (cached)", Basic("admin", "Harbor12345"), true, "admin", false},
      {"lower-case scheme", "basic " + Basic("dev", "dev-pw").substr(6), true, "dev", false},
      {"tab after the scheme", "Basic\t" + Basic("dev", "dev-pw").substr(6), true, "dev", false},
      {"wrong password", Basic("admin", "nope"), false, "", false},
      {"unknown user", Basic("ghost", "x"), false, "", false},
      {"no colon", "Basic " + Base64UrlEncode("admin"), false, "", false},
      {"not base64", "Basic !!!", false, "", false},
      {"bearer", "Bearer " + token->token, true, "dev", true},
      {"bad bearer", "Bearer abc.def.ghi", false, "", false},
      {"other scheme", "Digest x", false, "", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    http::Request r = MakeRequest("GET", c.authorization);
    auto who = service_->Authenticate(r);
    ASSERT_EQ(who.has_value(), c.ok) << (who ? "" : who.error().message);
    if (!c.ok) {
      EXPECT_EQ(who.error().code, ErrorCode::kUnauthorized);
      continue;
    }
    EXPECT_EQ(who->username, c.username);
    EXPECT_EQ(who->from_token, c.from_token);
  }
  http::Request r = MakeRequest("GET", "Bearer " + token->token);
  auto who = service_->Authenticate(r);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->user_id, ids_["dev"]);
  EXPECT_TRUE(service_->Authorize(*who, "priv/app", Action::kPull));
  EXPECT_EQ(service_->Authorize(*who, "priv/app", Action::kPush).error().code,
            ErrorCode::kUnauthorized);
}

TEST_F(AuthServiceTest, AuthorizeAgainstStores) {
  auto id = [&](const std::string& name) {
    Identity who;
    if (name.empty()) return who;
    who.user_id = name == "admin" ? admin_id_ : ids_[name];
    who.username = name;
    who.sysadmin = name == "admin";
    return who;
  };
  struct Case {
    std::string user;
    std::string repo;
    Action action;
    std::optional<ErrorCode> error;
  } cases[] = {
      {"admin", "priv/app", Action::kDelete, std::nullopt},
      {"dev", "priv/app", Action::kPush, std::nullopt},
      {"dev", "priv/app", Action::kDelete, ErrorCode::kDenied},
      {"maint", "priv/app", Action::kDelete, std::nullopt},
      {"guest", "priv/app", Action::kPull, std::nullopt},
      {"guest", "priv/app", Action::kPush, ErrorCode::kDenied},
      {"stranger", "priv/app", Action::kPull, ErrorCode::kDenied},
      {"stranger", "pub/app", Action::kPull, std::nullopt},
      {"stranger", "pub/app", Action::kPush, ErrorCode::kDenied},
      {"", "pub/a/b", Action::kPull, std::nullopt},
      {"", "priv/app", Action::kPull, ErrorCode::kUnauthorized},
      {"dev", "ghost/app", Action::kPull, ErrorCode::kNameUnknown},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.user + " " + c.repo + " " + std::string(ActionName(c.action)));
    Status s = service_->Authorize(id(c.user), c.repo, c.action);
    if (!c.error) {
      EXPECT_TRUE(s) << s.error().message;
    } else {
      ASSERT_FALSE(s);
      EXPECT_EQ(s.error().code, *c.error) << s.error().message;
    }
  }
}

TEST_F(AuthServiceTest, Challenge) {
  http::Request r = MakeRequest("GET");
  EXPECT_EQ(service_->Challenge(r, "repository:pub/app:pull,push"),
            "Bearer realm=\"http://registry.test:5000/service/token\",service=\"berth\","
            "scope=\"repository:pub/app:pull,push\"");
  EXPECT_EQ(service_->Challenge(r, ""),
            "Bearer realm=\"http://registry.test:5000/service/token\",service=\"berth\"");
  EXPECT_EQ(service_->Challenge(r, "registry:catalog:*", "insufficient_scope"),
            "Bearer realm=\"http://registry.test:5000/service/token\",service=\"berth\","
            "scope=\"registry:catalog:*\",error=\"insufficient_scope\"");

  // A forged Host cannot break the header; a proxy's scheme is kept.
  struct Case {
    std::string host, proto, realm;
  } cases[] = {
      {"evil\"quote", "", "http://evilquote/service/token"},
      {"a.example, b.example", "", "http://a.example/service/token"},
      {"[::1]:5000", "https", "https://[::1]:5000/service/token"},
      {"", "javascript", "http://localhost/service/token"},
  };
  for (const auto& c : cases) {
    http::Request q = MakeRequest("GET");
    q.headers.Set("Host", c.host);
    if (!c.proto.empty()) q.headers.Set("X-Forwarded-Proto", c.proto);
    EXPECT_EQ(service_->Challenge(q, ""), "Bearer realm=\"" + c.realm + "\",service=\"berth\"")
        << c.host;
  }

  // With external_url set (Berth behind a proxy that rewrites Host), the realm uses it.
  AuthService external(
      AuthOptions{.data_dir = dir_.string(), .external_url = "https://registry.example.com/"},
      *users_, *projects_);
  EXPECT_EQ(external.Challenge(r, ""),
            "Bearer realm=\"https://registry.example.com/service/token\",service=\"berth\"");
}

TEST_F(AuthServiceTest, TokenGrantsTable) {
  struct Case {
    std::string name;
    std::string authorization;
    std::vector<std::string> scopes;
    std::vector<std::string> granted;
  } cases[] = {
      {"anonymous public pull", "", {"repository:pub/app:pull,push"}, {"repository:pub/app:pull"}},
      {"anonymous private", "", {"repository:priv/app:pull"}, {}},
      {"developer",
       Basic("dev", "dev-pw"),
       {"repository:priv/app:pull,push,delete"},
       {"repository:priv/app:pull,push"}},
      {"guest",
       Basic("guest", "guest-pw"),
       {"repository:priv/app:pull,push"},
       {"repository:priv/app:pull"}},
      {"several scopes",
       Basic("dev", "dev-pw"),
       {"repository:priv/app:push", "repository:pub/base:pull repository:ghost/x:pull"},
       {"repository:priv/app:push", "repository:pub/base:pull"}},
      {"merge repeats",
       Basic("dev", "dev-pw"),
       {"repository:priv/app:pull", "repository:priv/app:push"},
       {"repository:priv/app:pull,push"}},
      {"admin catalog",
       Basic("admin", "Harbor12345"),
       {"registry:catalog:*"},
       {"registry:catalog:*"}},
      {"dev catalog", Basic("dev", "dev-pw"), {"registry:catalog:*"}, {}},
      {"malformed skipped",
       Basic("dev", "dev-pw"),
       {"garbage", "repository:priv/app:pull"},
       {"repository:priv/app:pull"}},
      {"invalid name skipped", Basic("admin", "Harbor12345"), {"repository:Priv/App:pull"}, {}},
      {"no scope", Basic("dev", "dev-pw"), {}, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    int status = 0;
    json body = GetToken(c.authorization, c.scopes, &status);
    ASSERT_EQ(status, 200) << body.dump();
    ASSERT_TRUE(body.is_object());
    ASSERT_TRUE(body["token"].is_string());
    EXPECT_EQ(body["access_token"], body["token"]);
    EXPECT_EQ(body["expires_in"], 1800);
    EXPECT_TRUE(body["issued_at"].is_string());
    EXPECT_EQ(AccessOf(body["token"]), c.granted);
  }
}

TEST_F(AuthServiceTest, UnsupportedSchemeNeverEchoesCredentials) {
  http::Request r = MakeRequest("GET", "Basic" + Basic("dev", "dev-pw").substr(6));
  auto who = service_->Authenticate(r);
  ASSERT_FALSE(who);
  EXPECT_EQ(who.error().message, "unsupported authorization scheme; use Basic or Bearer");
  r = MakeRequest("GET", "Digest x");
  EXPECT_EQ(service_->Authenticate(r).error().message,
            "unsupported authorization scheme \"Digest\"; use Basic or Bearer");
}

TEST_F(AuthServiceTest, TokenForAnotherServiceIs400) {
  int status = 0;
  http::Request r = MakeRequest("GET", Basic("dev", "dev-pw"));
  r.query.emplace_back("service", "harbor-registry");
  r.query.emplace_back("scope", "repository:priv/app:pull");
  http::Response resp = RunToken(r);
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("unable to handle service"), std::string::npos) << resp.body;
  // Asked for this service by name, it is issued.
  json body = GetToken(Basic("dev", "dev-pw"), {"repository:priv/app:pull"}, &status);
  EXPECT_EQ(status, 200);
  (void)body;
}

TEST_F(AuthServiceTest, TokenWrongPasswordIs401Envelope) {
  int status = 0;
  json body = GetToken(Basic("dev", "wrong"), {"repository:priv/app:pull"}, &status);
  EXPECT_EQ(status, 401);
  ASSERT_TRUE(body.contains("errors"));
  EXPECT_EQ(body["errors"][0]["code"], "UNAUTHORIZED");
  EXPECT_EQ(body["errors"][0]["message"], "invalid username or password");
}

TEST_F(AuthServiceTest, TokenRefusesBearer) {
  auto token = service_->IssueToken(Identity{}, {});
  ASSERT_TRUE(token);
  int status = 0;
  GetToken("Bearer " + token->token, {}, &status);
  EXPECT_EQ(status, 401);
}

TEST_F(AuthServiceTest, TokenPostPasswordGrant) {
  struct Case {
    std::string name;
    std::string form;
    int status;
  } cases[] = {
      {"ok",
       "grant_type=password&username=dev&password=dev-pw&service=berth&client_id=docker&"
       "scope=repository%3Apriv%2Fapp%3Apull%2Cpush",
       200},
      {"plus as space in scope list",
       "grant_type=password&username=dev&password=dev-pw&scope=repository:priv/app:pull+"
       "repository:pub/x:pull",
       200},
      {"wrong password", "grant_type=password&username=dev&password=bad", 401},
      {"missing password", "grant_type=password&username=dev", 400},
      {"refresh token", "grant_type=refresh_token&refresh_token=abc", 400},
      {"no grant type", "username=dev&password=dev-pw", 400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    http::Request r = MakeRequest("POST");
    StringBody body(c.form);
    r.body = &body;
    http::Response resp = RunToken(r);
    EXPECT_EQ(resp.status, c.status) << resp.body;
    if (c.status != 200) continue;
    json j = json::parse(resp.body);
    EXPECT_TRUE(j["access_token"].is_string());
    EXPECT_TRUE(j["scope"].is_string());
    EXPECT_EQ(j["expires_in"], 1800);
  }
}

TEST_F(AuthServiceTest, AdminTokenCarriesOnlyItsGrant) {
  json body = GetToken(Basic("admin", "Harbor12345"), {"repository:priv/app:pull"});
  http::Request r = MakeRequest("GET", "Bearer " + body["token"].get<std::string>());
  auto who = service_->Authenticate(r);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->user_id, admin_id_);
  EXPECT_FALSE(who->sysadmin);
  EXPECT_TRUE(service_->Authorize(*who, "priv/app", Action::kPull));
  EXPECT_EQ(service_->Authorize(*who, "priv/app", Action::kDelete).error().code,
            ErrorCode::kUnauthorized);
  EXPECT_EQ(service_->AuthorizeCatalog(*who).error().code, ErrorCode::kUnauthorized);
}

TEST_F(AuthServiceTest, IssuedTokenAuthorizesOnlyItsGrant) {
  json body = GetToken(Basic("maint", "maint-pw"), {"repository:priv/app:pull,delete"});
  http::Request r = MakeRequest("GET", "Bearer " + body["token"].get<std::string>());
  auto who = service_->Authenticate(r);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_TRUE(service_->Authorize(*who, "priv/app", Action::kDelete));
  EXPECT_FALSE(service_->Authorize(*who, "priv/app", Action::kPush));
  EXPECT_FALSE(service_->Authorize(*who, "priv/other", Action::kPull));
}

class RobotAuthTest : public AuthServiceTest {
 protected:
  void SetUp() override {
    AuthServiceTest::SetUp();
    robots_ = std::make_unique<metadata::RobotStore>(*db_);
    service_->SetRobots(robots_.get());
  }
  int64_t MakeRobot(std::string name, std::vector<metadata::RobotGrant> grants,
                    bool disabled = false, int64_t expires_at = -1) {
    auto r = robots_->Create(metadata::Robot{.name = std::move(name),
                                             .secret_hash = HashPassword("Robot-secret1"),
                                             .level = "system",
                                             .disabled = disabled,
                                             .expires_at = expires_at},
                             grants);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->id : 0;
  }
  std::unique_ptr<metadata::RobotStore> robots_;
};

TEST_F(RobotAuthTest, BasicSignInAndAccess) {
  int64_t priv = project_ids_["priv"];
  MakeRobot("robot$ci", {{priv, "pull"}, {priv, "push"}});
  MakeRobot("robot$all", {{0, "pull"}});
  MakeRobot("robot$off", {{0, "pull"}}, /*disabled=*/true);
  MakeRobot("robot$old", {{0, "pull"}}, false, std::time(nullptr) - 10);

  struct Case {
    std::string what, user, secret;
    std::string error;  // "" = signs in
  } cases[] = {
      {"good", "robot$ci", "Robot-secret1", ""},
      {"wrong secret", "robot$ci", "nope", "invalid username or password"},
      {"unknown robot", "robot$ghost", "Robot-secret1", "invalid username or password"},
      {"disabled", "robot$off", "Robot-secret1", "is disabled"},
      {"disabled, wrong secret", "robot$off", "x", "invalid username or password"},
      {"expired", "robot$old", "Robot-secret1", "has expired"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    http::Request r = MakeRequest("GET", Basic(c.user, c.secret));
    auto who = service_->Authenticate(r);
    if (c.error.empty()) {
      ASSERT_TRUE(who) << who.error().message;
      EXPECT_TRUE(who->robot);
      EXPECT_FALSE(who->anonymous());
      EXPECT_FALSE(who->sysadmin);
    } else {
      ASSERT_FALSE(who);
      EXPECT_EQ(who.error().code, ErrorCode::kUnauthorized);
      EXPECT_NE(who.error().message.find(c.error), std::string::npos) << who.error().message;
    }
  }

  http::Request r = MakeRequest("GET", Basic("robot$ci", "Robot-secret1"));
  auto ci = service_->Authenticate(r);
  ASSERT_TRUE(ci);
  EXPECT_TRUE(service_->Authorize(*ci, "priv/app", Action::kPull));
  EXPECT_TRUE(service_->Authorize(*ci, "priv/app", Action::kPush));
  auto denied = service_->Authorize(*ci, "priv/app", Action::kDelete);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kDenied);
  EXPECT_NE(denied.error().message.find("robot account \"robot$ci\" has no delete permission"),
            std::string::npos)
      << denied.error().message;
  EXPECT_TRUE(service_->Authorize(*ci, "pub/app", Action::kPull));  // public
  EXPECT_FALSE(service_->Authorize(*ci, "pub/app", Action::kPush));
  r = MakeRequest("GET", Basic("robot$all", "Robot-secret1"));
  auto all = service_->Authenticate(r);
  ASSERT_TRUE(all);
  EXPECT_TRUE(service_->Authorize(*all, "priv/app", Action::kPull));
  EXPECT_FALSE(service_->Authorize(*all, "priv/app", Action::kPush));
  EXPECT_FALSE(service_->AuthorizeCatalog(*all));
}

TEST_F(RobotAuthTest, TokensForRobots) {
  int64_t priv = project_ids_["priv"];
  int64_t id = MakeRobot("robot$ci", {{priv, "pull"}, {priv, "push"}});
  json body = GetToken(
      Basic("robot$ci", "Robot-secret1"),
      {"repository:priv/app:pull,push,delete", "repository:pub/x:pull,push", "registry:catalog:*"});
  ASSERT_TRUE(body["token"].is_string()) << body.dump();
  EXPECT_EQ(AccessOf(body["token"]),
            (std::vector<std::string>{"repository:priv/app:pull,push", "repository:pub/x:pull"}));
  http::Request r = MakeRequest("GET", "Bearer " + body["token"].get<std::string>());
  auto who = service_->Authenticate(r);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_TRUE(who->robot);
  EXPECT_EQ(who->username, "robot$ci");
  EXPECT_TRUE(service_->Authorize(*who, "priv/app", Action::kPush));

  // Disabled or deleted, its tokens stop working at once.
  auto robot = *robots_->Get(id);
  robot->disabled = true;
  ASSERT_TRUE(robots_->Update(*robot, {}));
  auto off = service_->Authenticate(r);
  ASSERT_FALSE(off);
  EXPECT_NE(off.error().message.find("is disabled"), std::string::npos);
  ASSERT_TRUE(robots_->Delete(id));
  auto gone = service_->Authenticate(r);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(gone.error().message.find("no longer exists"), std::string::npos);
}

}  // namespace
}  // namespace berth::auth
