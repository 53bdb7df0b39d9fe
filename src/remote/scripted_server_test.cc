// DistributionClient against scripted servers: Bearer token flow and cache, 401 retry,
// credentials kept from redirect targets, Link paging.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "remote/distribution_client.h"
#include "remote/test_servers.h"

namespace berth::remote {
namespace {

using testing::MiniHttpServer;
using testing::MiniRequest;
using Reply = MiniHttpServer::Reply;

ClientOptions Options(const std::string& url) {
  ClientOptions options;
  options.base_url = url;
  options.network.connect_timeout = std::chrono::seconds(3);
  options.network.timeout = std::chrono::seconds(10);
  return options;
}

const std::pair<std::string, std::string> kApiVersion{"Docker-Distribution-API-Version",
                                                      "registry/2.0"};

class CountingCredentials : public CredentialProvider {
 public:
  CountingCredentials(std::string user, std::string password) : user_(user), password_(password) {}
  Result<BasicCredential> Get() override { return BasicCredential{user_, password_}; }
  void Invalidate() override { ++invalidations; }
  std::atomic<int> invalidations{0};

 private:
  std::string user_, password_;
};

// A registry whose /token endpoint issues "tok-N" to bob:pw (Basic "Ym9iOnB3").
class BearerServer {
 public:
  BearerServer() : server_([this](const MiniRequest& r) { return Handle(r); }) {}
  std::string url() const { return server_.url(); }
  int fetches() const { return fetches_; }
  std::string last_token_query() {
    std::lock_guard lock(mutex_);
    return last_query_;
  }
  void Revoke() {
    std::lock_guard lock(mutex_);
    valid_ = "revoked";
  }

 private:
  Reply Handle(const MiniRequest& r) {
    std::lock_guard lock(mutex_);
    if (r.target.starts_with("/token")) {
      last_query_ = r.target.substr(r.target.find('?') + 1);
      if (r.Header("authorization") != "Basic Ym9iOnB3") {
        return Reply{401, {}, R"({"errors":[{"code":"UNAUTHORIZED","message":"bad login"}]})"};
      }
      valid_ = "tok-" + std::to_string(++fetches_);
      return Reply{200,
                   {{"Content-Type", "application/json"}},
                   nlohmann::json{{"token", valid_}, {"expires_in", 300}}.dump()};
    }
    if (r.Header("authorization") != "Bearer " + valid_) {
      return Reply{
          401,
          {{"WWW-Authenticate", "Bearer realm=\"" + server_.url() + "/token\",service=\"mini\""},
           kApiVersion},
          R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})"};
    }
    if (r.target == "/v2/") return Reply{200, {kApiVersion}, "{}"};
    if (r.target == "/v2/app/x/tags/list") {
      return Reply{200, {kApiVersion}, R"({"name":"app/x","tags":["1.0","2.0"]})"};
    }
    return Reply{404, {kApiVersion}, R"({"errors":[{"code":"NAME_UNKNOWN","message":"no"}]})"};
  }

  std::mutex mutex_;
  int fetches_ = 0;
  std::string valid_ = "none-yet";
  std::string last_query_;
  MiniHttpServer server_;
};

TEST(BearerAuthTest, TokenFetchCacheAndRetry) {
  BearerServer server;
  auto credentials = std::make_shared<CountingCredentials>("bob", "pw");
  DistributionClient client(Options(server.url()), credentials);
  ASSERT_TRUE(client.Ping()) << client.Ping().error().message;
  int after_ping = server.fetches();
  EXPECT_GE(after_ping, 1);

  auto tags = client.ListTags("app/x");
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, (std::vector<std::string>{"1.0", "2.0"}));
  EXPECT_EQ(server.fetches(), after_ping + 1);
  EXPECT_EQ(server.last_token_query(), "service=mini&scope=repository%3Aapp%2Fx%3Apull");

  ASSERT_TRUE(client.ListTags("app/x"));  // cached token
  EXPECT_EQ(server.fetches(), after_ping + 1);

  server.Revoke();  // the next request gets a 401: drop the token, fetch anew, retry once
  ASSERT_TRUE(client.ListTags("app/x"));
  EXPECT_EQ(server.fetches(), after_ping + 2);
  EXPECT_EQ(credentials->invalidations, 1);

  auto missing = client.ListTags("app/none");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNameUnknown);
  EXPECT_NE(missing.error().message.find("NAME_UNKNOWN"), std::string::npos);
}

TEST(BearerAuthTest, WrongAndAnonymousCredentials) {
  BearerServer server;
  DistributionClient wrong(Options(server.url()), StaticCredentials("bob", "nope-secret"));
  auto st = wrong.Ping();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(st.error().message.find("token service"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("rejected the credentials"), std::string::npos);
  EXPECT_EQ(st.error().message.find("nope-secret"), std::string::npos);

  DistributionClient anonymous(Options(server.url()), nullptr);
  EXPECT_TRUE(anonymous.Ping());  // reachable; the realm wants a login
  auto tags = anonymous.ListTags("app/x");
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(tags.error().message.find("anonymous"), std::string::npos) << tags.error().message;
}

TEST(RedirectTest, StorageRedirectGetsNoCredentials) {
  std::mutex mutex;
  std::vector<std::string> storage_auth;
  MiniHttpServer storage([&](const MiniRequest& r) {
    std::lock_guard lock(mutex);
    storage_auth.push_back(r.Header("authorization"));
    return Reply{200, {}, "blob-bytes-from-storage"};
  });
  MiniHttpServer registry([&](const MiniRequest& r) {
    if (r.Header("authorization") != "Basic Ym9iOnB3") {
      return Reply{401, {{"WWW-Authenticate", "Basic realm=\"r\""}}, ""};
    }
    if (r.target == "/v2/") return Reply{200, {kApiVersion}, "{}"};
    return Reply{307, {{"Location", storage.url() + "/bucket/blob?sig=1"}}, ""};
  });
  DistributionClient client(Options(registry.url()), StaticCredentials("bob", "pw"));
  std::string received;
  auto st = client.GetBlob("a", "sha256:00", [&](std::span<const char> bytes) -> Status {
    received.append(bytes.data(), bytes.size());
    return Ok();
  });
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(received, "blob-bytes-from-storage");
  std::lock_guard lock(mutex);
  ASSERT_EQ(storage_auth.size(), 1u);
  EXPECT_EQ(storage_auth[0], "");
}

TEST(PagingTest, CatalogAndTagsFollowLinks) {
  std::string self;
  MiniHttpServer server([&](const MiniRequest& r) {
    if (r.target == "/v2/") return Reply{200, {kApiVersion}, "{}"};
    if (r.target == "/v2/_catalog?n=1000") {
      return Reply{200,
                   {kApiVersion, {"Link", "</v2/_catalog?last=b&n=1000>; rel=\"next\""}},
                   R"({"repositories":["a","b"]})"};
    }
    if (r.target == "/v2/_catalog?last=b&n=1000") {
      return Reply{200, {kApiVersion}, R"({"repositories":["c"]})"};
    }
    if (r.target == "/v2/a/tags/list") {
      return Reply{200,
                   {kApiVersion, {"Link", "<" + self + "/v2/a/tags/list?last=t1>; rel=\"next\""}},
                   R"({"name":"a","tags":["t1"]})"};
    }
    if (r.target == "/v2/a/tags/list?last=t1") {
      return Reply{200, {kApiVersion}, R"({"name":"a","tags":null})"};
    }
    return Reply{404, {}, ""};
  });
  self = server.url();
  DistributionClient client(Options(server.url() + "/"), nullptr);
  auto catalog = client.Catalog();
  ASSERT_TRUE(catalog) << catalog.error().message;
  EXPECT_EQ(*catalog, (std::vector<std::string>{"a", "b", "c"}));
  auto tags = client.ListTags("a");
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, (std::vector<std::string>{"t1"}));
}

TEST(TimeoutTest, SilentServerTimesOut) {
  MiniHttpServer slow([](const MiniRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return Reply{200, {kApiVersion}, "{}"};
  });
  ClientOptions options = Options(slow.url());
  options.network.timeout = std::chrono::seconds(1);
  options.network.retry.attempts = 2;  // a timeout is retried; one retry keeps this short
  options.network.retry.base_delay = std::chrono::milliseconds(10);
  DistributionClient client(options, nullptr);
  auto st = client.Ping();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(st.error().message,
            "127.0.0.1:" + std::to_string(slow.port()) + " did not answer within 1 s");
}

}  // namespace
}  // namespace berth::remote
