#include "endpoints/endpoint_service.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>

#include "endpoints/health_monitor.h"
#include "metadata/migrate.h"
#include "metadata/sqlite_database.h"
#include "metadata/test_util.h"

namespace berth::endpoints {
namespace {

constexpr std::string_view kSecret = "Sup3r-S3cret-Pa55";

// A self-signed CA certificate (openssl req -x509 -newkey ec ... -subj /CN=test-ca).
constexpr std::string_view kCaPem = R"(-----BEGIN CERTIFICATE-----
MIIBfDCCASGgAwIBAgIUHpV5tqtj4XARDvgJKCSje8gxPSEwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjExMjcwNDM3MDRaGA8yMTI2MTEwMzA0
MzcwNFowEjEQMA4GA1UEAwwHdGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABCu8SHb3UlHhVwZ6hJRFBrn0n08yAG0bxElVhrmplI0+9K/KBYmxFK33pYrN
NBlURet+L4h5+JcxKv87EnZ2DnCjUzBRMB0GA1UdDgQWBBRHzoTy+drKsSvcMlpT
a3lS2VUoVjAfBgNVHSMEGDAWgBRHzoTy+drKsSvcMlpTa3lS2VUoVjAPBgNVHRMB
Af8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCJztuXGVOvMznGPryhY/1H43UI
Ev+caNIZwVnc3eRWegIhAMUSRbp0LLx7p33OhpMcBKwL55OScdDbxk0mjhWmIGUL
-----END CERTIFICATE-----
)";

// What the fake provider saw and how it answers.
struct FakeState {
  Status health = Ok();
  adapters::Endpoint last;
  int checks = 0;
};

class FakeAdapter : public adapters::Adapter {
 public:
  FakeAdapter(std::shared_ptr<FakeState> state, adapters::Endpoint e)
      : state_(std::move(state)), endpoint_(std::move(e)) {}
  Status HealthCheck() override {
    state_->last = endpoint_;
    ++state_->checks;
    return state_->health;
  }
  Result<adapters::AdapterInfo> Info() override {
    adapters::AdapterInfo info;
    info.type = "fake";
    info.supported_resource_filters = {{.type = "name", .style = "input"},
                                       {.type = "resource", .style = "radio", .values = {"x"}}};
    return info;
  }
  remote::DistributionClient& Registry() override { std::abort(); }
  Result<std::vector<std::string>> ListRepositories() override {
    return std::vector<std::string>{};
  }
  Status PrepareForPush(const std::vector<std::string>&) override { return Ok(); }

 private:
  std::shared_ptr<FakeState> state_;
  adapters::Endpoint endpoint_;
};

class EndpointServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::SqliteDatabase::Open((dir_.path() / "berth.db").string());
    ASSERT_TRUE(db.has_value());
    db_ = std::move(*db);
    ASSERT_TRUE(metadata::Migrate(*db_).has_value());
    store_ = std::make_unique<metadata::RegistryStore>(*db_);
    SecretBox::Key key;
    key.fill(42);
    box_ = std::make_unique<SecretBox>(key);
    adapters::AdapterRegistration reg;
    reg.info.type = "fake";
    reg.factory = [state = state_](
                      const adapters::Endpoint& e,
                      const adapters::AdapterDeps&) -> Result<std::unique_ptr<adapters::Adapter>> {
      return std::make_unique<FakeAdapter>(state, e);
    };
    reg.validate_credential = [](const adapters::Endpoint& e) -> Status {
      if (e.access_key == "bad key") {
        return Fail(ErrorCode::kBadRequest, "access_key must not contain spaces");
      }
      return Ok();
    };
    ASSERT_TRUE(registry_.Register(std::move(reg)).has_value());
    service_ =
        std::make_unique<EndpointService>(*store_, *box_, registry_, adapters::AdapterDeps{});
  }

  NewRegistry Valid(std::string name = "peer") {
    return NewRegistry{.name = std::move(name),
                       .type = "fake",
                       .url = "https://peer.example.com",
                       .credential_type = "basic",
                       .access_key = "alice",
                       .access_secret = std::string(kSecret)};
  }

  int64_t MustCreate(NewRegistry r) {
    auto created = service_->Create(r);
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created ? created->id : 0;
  }

  metadata::RegistryRecord Row(int64_t id) { return **store_->Get(id); }

  metadata::testing::TempDir dir_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<metadata::RegistryStore> store_;
  std::unique_ptr<SecretBox> box_;
  std::shared_ptr<FakeState> state_ = std::make_shared<FakeState>();
  adapters::AdapterRegistry registry_;
  std::unique_ptr<EndpointService> service_;
};

TEST(NormalizeUrlTest, Table) {
  struct Case {
    std::string in;
    std::string out;  // "" = error
    std::string error = "";
  };
  const Case cases[] = {
      {"https://h.example.com", "https://h.example.com"},
      {"  https://h.example.com/  ", "https://h.example.com"},
      {"https://h.example.com///", "https://h.example.com"},
      {"h.example.com", "https://h.example.com"},
      {"h.example.com:5000", "https://h.example.com:5000"},
      {"http://127.0.0.1:5000", "http://127.0.0.1:5000"},
      {"HTTP://h", "http://h"},
      {"https://h/path/sub/", "https://h/path/sub"},
      {"https://h/path?x=1#frag", "https://h/path"},
      {"https://h?x=1", "https://h"},
      {"https://[::1]:8443/v", "https://[::1]:8443/v"},
      {"", "", "url is required: give the registry's address, e.g. https://registry.example.com"},
      {"   /// ", "",
       "url is required: give the registry's address, e.g. https://registry.example.com"},
      {"ftp://h", "", "invalid HTTP scheme: ftp"},
      {"https://", "", "invalid URL: missing host"},
      {"https://:80", "", "invalid URL: missing host"},
      {"https://h:99999", "", "invalid URL: invalid port \"99999\""},
      {"https://h:x", "", "invalid URL: invalid port \"x\""},
      {"https://127.0.0.%31/", "", "invalid URL: invalid host \"127.0.0.%31\""},
      {"https://u:p@h", "",
       "invalid URL: a user name or password in the URL is not allowed; "
       "use the credential fields"},
      {"https://h/a b", "", "invalid URL: the path holds spaces or control characters"},
  };
  for (const auto& c : cases) {
    auto got = NormalizeUrl(c.in);
    if (c.out.empty()) {
      ASSERT_FALSE(got.has_value()) << c.in << " -> " << *got;
      EXPECT_EQ(got.error().code, ErrorCode::kBadRequest) << c.in;
      EXPECT_EQ(got.error().message, c.error) << c.in;
    } else {
      ASSERT_TRUE(got.has_value()) << c.in << ": " << got.error().message;
      EXPECT_EQ(*got, c.out) << c.in;
    }
  }
}

TEST(NormalizeCaTest, Table) {
  EXPECT_EQ(*NormalizeCaCertificate(""), "");
  std::string crlf;
  for (char c : kCaPem) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  auto good = NormalizeCaCertificate("  " + crlf + std::string(kCaPem));
  ASSERT_TRUE(good.has_value()) << good.error().message;
  EXPECT_EQ(good->find('\r'), std::string::npos);
  EXPECT_EQ(*NormalizeCaCertificate("  \r\n"), "");
  for (std::string bad : {"hello", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
                          "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"}) {
    auto got = NormalizeCaCertificate(bad);
    ASSERT_FALSE(got.has_value()) << bad;
    EXPECT_EQ(got.error().code, ErrorCode::kBadRequest);
    EXPECT_TRUE(got.error().message.starts_with("invalid CA certificate: ")) << got.error().message;
  }
}

TEST_F(EndpointServiceTest, CreateValidationTable) {
  struct Case {
    std::string what;
    std::function<void(NewRegistry&)> change;
    ErrorCode code;
    std::string message;
  };
  const Case cases[] = {
      {"no name", [](NewRegistry& r) { r.name = ""; }, ErrorCode::kBadRequest,
       "name cannot be empty"},
      {"long name", [](NewRegistry& r) { r.name = std::string(65, 'n'); }, ErrorCode::kBadRequest,
       "the max length of name is 64"},
      {"bad url", [](NewRegistry& r) { r.url = "ftp://x"; }, ErrorCode::kBadRequest,
       "invalid HTTP scheme: ftp"},
      {"empty url", [](NewRegistry& r) { r.url = " "; }, ErrorCode::kBadRequest,
       "url is required: give the registry's address, e.g. https://registry.example.com"},
      {"bad ca", [](NewRegistry& r) { r.ca_certificate = "nope"; }, ErrorCode::kBadRequest,
       "invalid CA certificate: no PEM \"CERTIFICATE\" block found"},
      {"bad credential", [](NewRegistry& r) { r.access_key = "bad key"; }, ErrorCode::kBadRequest,
       "access_key must not contain spaces"},
      {"bad credential type", [](NewRegistry& r) { r.credential_type = "secret"; },
       ErrorCode::kBadRequest, "credential.type must be basic or oauth, not \"secret\""},
      {"unknown type", [](NewRegistry& r) { r.type = "nope"; }, ErrorCode::kBadRequest,
       "unsupported registry type \"nope\"; supported types: fake"},
  };
  for (const auto& c : cases) {
    NewRegistry r = Valid();
    c.change(r);
    auto got = service_->Create(r);
    ASSERT_FALSE(got.has_value()) << c.what;
    EXPECT_EQ(got.error().code, c.code) << c.what;
    EXPECT_EQ(got.error().message, c.message) << c.what;
  }
  EXPECT_EQ(state_->checks, 0);  // validation comes before the network
}

TEST_F(EndpointServiceTest, CreateNormalisesAndSealsAtRest) {
  NewRegistry r = Valid();
  r.url = "peer.example.com:5000/";
  r.credential_type = "";
  auto created = service_->Create(r);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(created->url, "https://peer.example.com:5000");
  EXPECT_EQ(created->credential_type, "basic");
  EXPECT_TRUE(created->has_secret);
  EXPECT_EQ(created->status, "healthy");
  EXPECT_EQ(state_->last.access_secret, kSecret);
  auto rows = db_->Query("SELECT * FROM registries");
  ASSERT_TRUE(rows.has_value());
  for (const auto& row : *rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      EXPECT_EQ(row.Text(i).find(kSecret), std::string::npos) << "column " << i;
    }
  }
  EXPECT_TRUE(Row(created->id).access_secret.starts_with(kSealedPrefix));
}

TEST_F(EndpointServiceTest, CredentialWithoutKeyIsDropped) {
  NewRegistry r = Valid();
  r.access_key = "";
  auto created = service_->Create(r);
  ASSERT_TRUE(created.has_value());
  EXPECT_FALSE(created->has_secret);
  EXPECT_EQ(created->credential_type, "");
}

TEST_F(EndpointServiceTest, DuplicateNameConflicts) {
  MustCreate(Valid());
  auto again = service_->Create(Valid());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message, "registry peer already exists");
}

TEST_F(EndpointServiceTest, UnhealthyEndpointIsRefusedWith400) {
  state_->health = Fail(ErrorCode::kInternal, "connection refused by 127.0.0.1:1");
  auto got = service_->Create(Valid());
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(got.error().message, "the registry is unhealthy: connection refused by 127.0.0.1:1");
  EXPECT_EQ(store_->Ids()->size(), 0u);
}

TEST_F(EndpointServiceTest, IdZeroAndMissingAreNotFound) {
  for (int64_t id : {0, 99}) {
    EXPECT_EQ(service_->Get(id).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(service_->Update(id, {}).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(service_->Delete(id).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(service_->Ping(PingRequest{.id = id}).error().code, ErrorCode::kNotFound);
  }
  EXPECT_EQ(service_->Info(99).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(service_->Get(0).error().message, "registry 0 not found");
}

TEST_F(EndpointServiceTest, ConnectBuildsAdapterWithUnsealedSecret) {
  int64_t id = MustCreate(Valid());
  auto adapter = service_->Connect(id);
  ASSERT_TRUE(adapter.has_value()) << adapter.error().message;
  ASSERT_TRUE((*adapter)->HealthCheck().has_value());
  EXPECT_EQ(state_->last.id, id);
  EXPECT_EQ(state_->last.access_key, "alice");
  EXPECT_EQ(state_->last.access_secret, kSecret);
  for (int64_t missing : {0, 99}) {
    auto none = service_->Connect(missing);
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  }
}

TEST_F(EndpointServiceTest, UpdateAbsentKeepsEmptyReplaces) {
  NewRegistry r = Valid();
  r.description = "first";
  r.insecure = true;
  int64_t id = MustCreate(r);
  ASSERT_TRUE(service_->Update(id, RegistryUpdate{}).has_value());
  auto row = Row(id);
  EXPECT_EQ(row.description, "first");
  EXPECT_TRUE(row.insecure);
  EXPECT_EQ(*box_->Open(row.access_secret), kSecret);

  ASSERT_TRUE(service_->Update(id, RegistryUpdate{.description = "", .insecure = false}));
  row = Row(id);
  EXPECT_EQ(row.description, "");
  EXPECT_FALSE(row.insecure);
  EXPECT_EQ(*box_->Open(row.access_secret), kSecret);

  ASSERT_TRUE(service_->Update(id, RegistryUpdate{.access_secret = "new"}));
  EXPECT_EQ(*box_->Open(Row(id).access_secret), "new");
  EXPECT_EQ(state_->last.access_secret, "new");
}

TEST_F(EndpointServiceTest, UpdateUrlChangeClearsSecretUnlessReentered) {
  int64_t id = MustCreate(Valid());
  // Same URL after normalisation: the secret stays.
  ASSERT_TRUE(service_->Update(id, RegistryUpdate{.url = "https://peer.example.com/"}));
  EXPECT_EQ(*box_->Open(Row(id).access_secret), kSecret);
  // New host, no secret: cleared before the health check sees it.
  ASSERT_TRUE(service_->Update(id, RegistryUpdate{.url = "https://other.example.com"}));
  EXPECT_EQ(Row(id).access_secret, "");
  EXPECT_EQ(state_->last.access_secret, "");
  EXPECT_EQ(state_->last.url, "https://other.example.com");
  // New host with the secret re-entered.
  ASSERT_TRUE(service_->Update(
      id, RegistryUpdate{.url = "https://third.example.com", .access_secret = "again"}));
  EXPECT_EQ(*box_->Open(Row(id).access_secret), "again");
}

TEST_F(EndpointServiceTest, UpdateRulesTable) {
  int64_t id = MustCreate(Valid());
  MustCreate(Valid("other"));
  struct Case {
    RegistryUpdate update;
    ErrorCode code;
    std::string message;
  };
  const Case cases[] = {
      {{.name = ""}, ErrorCode::kBadRequest, "name cannot be empty"},
      {{.name = std::string(65, 'x')}, ErrorCode::kBadRequest, "the max length of name is 64"},
      {{.name = "other"}, ErrorCode::kConflict, "registry other already exists"},
      {{.url = "ftp://x"}, ErrorCode::kBadRequest, "invalid HTTP scheme: ftp"},
      {{.ca_certificate = "x"},
       ErrorCode::kBadRequest,
       "invalid CA certificate: no PEM \"CERTIFICATE\" block found"},
      {{.access_key = "bad key"}, ErrorCode::kBadRequest, "access_key must not contain spaces"},
  };
  for (const auto& c : cases) {
    auto got = service_->Update(id, c.update);
    ASSERT_FALSE(got.has_value()) << c.message;
    EXPECT_EQ(got.error().code, c.code);
    EXPECT_EQ(got.error().message, c.message);
  }
  // While the registry is down, what does not change how Berth reaches it is saved
  // without a test; a new URL, credential or TLS setting is tested first.
  state_->health = Fail(ErrorCode::kUnauthorized, "401: wrong user name or password");
  const int checks = state_->checks;
  ASSERT_TRUE(service_->Update(id, RegistryUpdate{.name = "renamed", .description = "x"}));
  EXPECT_EQ(Row(id).description, "x");
  EXPECT_EQ(state_->checks, checks);
  const RegistryUpdate reach[] = {
      {.url = "https://moved.example.com", .access_secret = "s"},
      {.access_secret = "other"},
      {.access_key = "someone-else"},
      {.insecure = true},
  };
  for (const auto& u : reach) {
    auto got = service_->Update(id, u);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, ErrorCode::kBadRequest);
    EXPECT_NE(got.error().message.find("the registry is unhealthy"), std::string::npos);
  }
  EXPECT_EQ(Row(id).url, "https://peer.example.com");
  EXPECT_EQ(*box_->Open(Row(id).access_secret), kSecret);
}

TEST_F(EndpointServiceTest, PingWithIdAppliesTheBodyOverTheStoredEndpoint) {
  NewRegistry r = Valid();
  r.insecure = true;
  const int64_t id = MustCreate(r);
  NewRegistry anonymous = Valid("anonymous");
  anonymous.access_key = "";
  anonymous.access_secret = "";
  const int64_t open_id = MustCreate(anonymous);
  struct Case {
    PingRequest ping;
    std::string error;  // empty: the ping is made, with the values below
    std::string url;
    bool insecure = false;
    std::string secret;
  };
  const std::string kSecretText(kSecret);
  const std::string kPeer = "https://peer.example.com";
  const std::string kAttacker = "https://attacker.example.com";
  const std::string kMoved =
      "url differs from the stored endpoint's, and its stored secret is sent only as stored: "
      "give access_secret to test these settings";
  const Case cases[] = {
      {{.id = id}, "", kPeer, true, kSecretText},
      {{.id = id, .insecure = false}, "", kPeer, false, kSecretText},
      {{.id = id, .access_secret = "typed"}, "", kPeer, true, "typed"},
      {{.id = id, .url = kPeer + "/"}, "", kPeer, true, kSecretText},
      {{.id = id, .url = kAttacker, .access_secret = "typed"}, "", kAttacker, true, "typed"},
      {{.id = open_id, .url = "https://other.example.com", .insecure = true},
       "",
       "https://other.example.com",
       true,
       ""},
      {{.id = id, .url = kAttacker}, kMoved},
      {{.id = id, .url = kAttacker, .access_key = "alice"}, kMoved},
      {{.id = id, .ca_certificate = "junk"},
       "invalid CA certificate: no PEM \"CERTIFICATE\" block found"},
      {{.id = id, .url = "gopher://x"}, "invalid HTTP scheme: gopher"},
  };
  for (const auto& c : cases) {
    state_->last = {};
    auto got = service_->Ping(c.ping);
    if (!c.error.empty()) {
      ASSERT_FALSE(got.has_value()) << c.error;
      EXPECT_EQ(got.error().code, ErrorCode::kBadRequest);
      EXPECT_EQ(got.error().message, c.error);
      EXPECT_EQ(state_->last.url, "") << "nothing is sent: " << c.error;
      continue;
    }
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(state_->last.url, c.url);
    EXPECT_EQ(state_->last.insecure, c.insecure);
    EXPECT_EQ(state_->last.access_secret, c.secret);
  }
  EXPECT_EQ(*box_->Open(Row(id).access_secret), kSecret);  // ping stores nothing
  EXPECT_TRUE(Row(id).insecure);
}

TEST_F(EndpointServiceTest, PingWithIdKeepsTheStoredSecretFromWeakerTls) {
  NewRegistry r = Valid();
  r.ca_certificate = std::string(kCaPem);
  const int64_t id = MustCreate(r);
  r = Valid("verified");
  const int64_t verified = MustCreate(r);
  state_->last = {};
  auto got = service_->Ping(PingRequest{.id = verified, .insecure = true});
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().message,
            "insecure differs from the stored endpoint's, and its stored secret is sent only "
            "as stored: give access_secret to test these settings");
  // Another CA than the stored one would let its holder read the secret; none (the
  // system's roots) or the same one would not.
  EXPECT_TRUE(service_->Ping(PingRequest{.id = id, .ca_certificate = ""}));
  EXPECT_TRUE(service_->Ping(PingRequest{.id = id, .ca_certificate = std::string(kCaPem)}));
  EXPECT_TRUE(service_->Ping(PingRequest{.id = verified, .access_secret = "x", .insecure = true}));
  EXPECT_EQ(state_->last.access_secret, "x");
}

TEST_F(EndpointServiceTest, PingWithoutIdUsesBody) {
  struct Case {
    PingRequest ping;
    bool ok;
    std::string message;
  };
  const Case cases[] = {
      {{.type = "fake", .url = "peer:5000", .access_key = "a", .access_secret = "b"}, true, ""},
      {{.url = "peer"}, false, "type or url cannot be empty"},
      {{.type = "fake"}, false, "type or url cannot be empty"},
      {{.type = "fake", .url = "gopher://x"}, false, "invalid HTTP scheme: gopher"},
      {{.type = "fake", .url = "x", .ca_certificate = "y"},
       false,
       "invalid CA certificate: no PEM \"CERTIFICATE\" block found"},
  };
  for (const auto& c : cases) {
    auto got = service_->Ping(c.ping);
    EXPECT_EQ(got.has_value(), c.ok) << c.message;
    if (!got) {
      EXPECT_EQ(got.error().code, ErrorCode::kBadRequest);
      EXPECT_EQ(got.error().message, c.message);
    }
  }
  EXPECT_EQ(state_->last.url, "https://peer:5000");
  state_->health = Fail(ErrorCode::kInternal, "not a registry");
  auto got = service_->Ping(PingRequest{.type = "fake", .url = "x"});
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(got.error().message, "the registry is unhealthy: not a registry");
}

TEST_F(EndpointServiceTest, DeleteGuardedByPoliciesAndProxyProjects) {
  int64_t id = MustCreate(Valid());
  ASSERT_TRUE(
      db_->Exec("INSERT INTO replication_policies (name, src_registry_id, creation_time, "
                "update_time) VALUES ('pull-nginx', ?, 'now', 'now')",
                {id}));
  ASSERT_TRUE(
      db_->Exec("INSERT INTO replication_policies (name, dest_registry_id, "
                "creation_time, update_time) VALUES ('push-all', ?, 'now', 'now')",
                {id}));
  auto got = service_->Delete(id);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kPrecondition);
  EXPECT_EQ(got.error().message,
            "the registry " + std::to_string(id) +
                " is referenced by replication policies (2): pull-nginx, push-all, cannot "
                "delete it");
  ASSERT_TRUE(db_->Exec("DELETE FROM replication_policies"));
  ASSERT_TRUE(
      db_->Exec("INSERT INTO projects (name, registry_id, creation_time, update_time) "
                "VALUES ('hub-cache', ?, 'now', 'now')",
                {id}));
  got = service_->Delete(id);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kPrecondition);
  EXPECT_EQ(got.error().message, "the registry " + std::to_string(id) +
                                     " is referenced by proxy cache projects (1): hub-cache, "
                                     "cannot delete it");
  // Both kinds at once, and more rules than the message lists.
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(
        db_->Exec("INSERT INTO replication_policies (name, src_registry_id, "
                  "creation_time, update_time) VALUES (?, ?, 'now', 'now')",
                  {fmt::format("rule-{:02}", i), id}));
  }
  got = service_->Delete(id);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().message,
            "the registry " + std::to_string(id) +
                " is referenced by replication policies (12): rule-00, rule-01, rule-02, "
                "rule-03, rule-04, rule-05, rule-06, rule-07, rule-08, rule-09 and 2 more; and "
                "by proxy cache projects (1): hub-cache, cannot delete it");
  ASSERT_TRUE(db_->Exec("DELETE FROM replication_policies"));
  ASSERT_TRUE(db_->Exec("DELETE FROM projects"));
  ASSERT_TRUE(service_->Delete(id).has_value());
  EXPECT_EQ(service_->Get(id).error().code, ErrorCode::kNotFound);
}

TEST_F(EndpointServiceTest, InfoReplacesResourceFilter) {
  int64_t id = MustCreate(Valid());
  auto info = service_->Info(id);
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->supported_resource_filters.size(), 2u);
  EXPECT_EQ(info->supported_resource_filters[0].type, "name");
  const auto& resource = info->supported_resource_filters[1];
  EXPECT_EQ(resource.type, "resource");
  EXPECT_EQ(resource.style, "radio");
  EXPECT_EQ(resource.values, (std::vector<std::string>{"image", "artifact"}));
}

TEST_F(EndpointServiceTest, InfoOfIdZeroIsThisRegistry) {
  auto info = service_->Info(0);
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->type, "harbor");
  EXPECT_EQ(info->supported_triggers,
            (std::vector<std::string>{"manual", "scheduled", "event_based"}));
  std::vector<std::string> filters;
  for (const auto& f : info->supported_resource_filters) filters.push_back(f.type);
  EXPECT_EQ(filters, (std::vector<std::string>{"name", "tag", "label", "resource"}));
  EXPECT_EQ(info->supported_resource_filters.back().values,
            (std::vector<std::string>{"image", "artifact"}));
}

TEST_F(EndpointServiceTest, ListFiltersSortsAndPages) {
  MustCreate(Valid("b-harbor"));
  MustCreate(Valid("a-hub"));
  MustCreate(Valid("c-Harbor2"));
  auto all = service_->List({}, "-name", {1, 10});
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->total, 3);
  EXPECT_EQ(all->items[0].name, "c-Harbor2");
  auto fuzzy = service_->List({{.key = "name", .value = "harbor", .fuzzy = true}}, "name", {1, 1});
  ASSERT_TRUE(fuzzy.has_value());
  EXPECT_EQ(fuzzy->total, 2);
  ASSERT_EQ(fuzzy->items.size(), 1u);
  EXPECT_EQ(fuzzy->items[0].name, "b-harbor");
  auto exact = service_->List({{.key = "name", .value = "a-hub"}, {.key = "bogus", .value = "x"}},
                              "", {1, 10});
  EXPECT_EQ(exact->total, 1);
  auto by_type = service_->List({{.key = "type", .value = "harbor"}}, "", {1, 10});
  EXPECT_EQ(by_type->total, 0);
}

TEST_F(EndpointServiceTest, RecheckRecordsErrorsAsUnhealthyOnlyOnChange) {
  int64_t id = MustCreate(Valid());
  std::string created_checked = Row(id).last_checked;
  state_->health = Fail(ErrorCode::kInternal, "connection refused");
  ASSERT_TRUE(service_->Recheck(id).has_value());
  auto row = Row(id);
  EXPECT_EQ(row.status, "unhealthy");
  EXPECT_EQ(row.last_error, "the registry is unhealthy: connection refused");
  std::string checked = row.last_checked;
  ASSERT_TRUE(db_->Exec("UPDATE registries SET last_checked = 'sentinel' WHERE id = ?", {id}));
  ASSERT_TRUE(service_->Recheck(id).has_value());
  EXPECT_EQ(Row(id).last_checked, "sentinel");  // unchanged → not written
  state_->health = Ok();
  HealthMonitor monitor(*service_, std::chrono::seconds(300), std::chrono::milliseconds(0));
  monitor.RunOnce();
  row = Row(id);
  EXPECT_EQ(row.status, "healthy");
  EXPECT_EQ(row.last_error, "");
  EXPECT_NE(row.last_checked, "sentinel");
}

TEST_F(EndpointServiceTest, MonitorThreadRunsAndStopsPromptly) {
  int64_t id = MustCreate(Valid());
  state_->health = Fail(ErrorCode::kInternal, "down");
  HealthMonitor monitor(*service_, std::chrono::seconds(3600), std::chrono::milliseconds(10));
  monitor.Start();
  for (int i = 0; i < 200 && Row(id).status != "unhealthy"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Row(id).status, "unhealthy");
  auto start = std::chrono::steady_clock::now();
  monitor.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

}  // namespace
}  // namespace berth::endpoints
