#include "remote/auth_challenge.h"

#include <gtest/gtest.h>

#include "remote/url.h"

namespace berth::remote {
namespace {

TEST(ParseChallengesTest, Table) {
  struct Case {
    std::string header;
    std::string scheme;  // of the picked challenge, "" = none
    std::string realm;
    std::string service;
    std::string scope;
  };
  const Case cases[] = {
      {R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io")", "bearer",
       "https://auth.docker.io/token", "registry.docker.io", ""},
      {R"(Bearer realm="https://h/token?a=1,b=2", service="svc", scope="repository:a/b:pull,push")",
       "bearer", "https://h/token?a=1,b=2", "svc", "repository:a/b:pull,push"},
      {R"(Basic realm="basic-realm")", "basic", "basic-realm", "", ""},
      {R"(Basic realm="x", Bearer realm="https://t/tok",service="s")", "bearer", "https://t/tok",
       "s", ""},
      {R"(BEARER Realm=https://t/tok, Service=s)", "bearer", "https://t/tok", "s", ""},
      {R"(Negotiate)", "", "", "", ""},
      {R"(Bearer realm="quote \"inside\"")", "bearer", R"(quote "inside")", "", ""},
      {"", "", "", "", ""},
  };
  for (const Case& c : cases) {
    auto picked = PickChallenge(ParseChallenges(c.header));
    if (c.scheme.empty()) {
      EXPECT_FALSE(picked) << c.header;
      continue;
    }
    ASSERT_TRUE(picked) << c.header;
    EXPECT_EQ(picked->scheme, c.scheme) << c.header;
    EXPECT_EQ(picked->Param("realm"), c.realm) << c.header;
    EXPECT_EQ(picked->Param("service"), c.service) << c.header;
    EXPECT_EQ(picked->Param("scope"), c.scope) << c.header;
  }
}

TEST(ScopesForTest, Table) {
  struct Case {
    std::string method;
    std::string path;
    std::string query;
    std::vector<std::string> scopes;
  };
  const Case cases[] = {
      {"GET", "/v2/", "", {}},
      {"GET", "/v2/_catalog", "n=1000", {"registry:catalog:*"}},
      {"GET", "/v2/library/nginx/manifests/latest", "", {"repository:library/nginx:pull"}},
      {"HEAD", "/v2/a/blobs/sha256:abc", "", {"repository:a:pull"}},
      {"GET", "/v2/a/b/c/tags/list", "n=10", {"repository:a/b/c:pull"}},
      {"GET", "/v2/a/referrers/sha256:abc", "", {"repository:a:pull"}},
      {"PUT", "/v2/a/manifests/v1", "", {"repository:a:pull,push"}},
      {"POST", "/v2/p/r/blobs/uploads/", "", {"repository:p/r:pull,push"}},
      {"PATCH", "/v2/p/r/blobs/uploads/uuid-1", "", {"repository:p/r:pull,push"}},
      {"PUT",
       "/v2/p/r/blobs/uploads/uuid-1",
       "_state=x&digest=sha256%3Aab",
       {"repository:p/r:pull,push"}},
      {"DELETE", "/v2/p/r/manifests/sha256:abc", "", {"repository:p/r:*"}},
      {"POST",
       "/v2/dst/blobs/uploads/",
       "mount=sha256%3Aab&from=src%2Frepo",
       {"repository:dst:pull,push", "repository:src/repo:pull"}},
      {"GET", "/prefix/v2/blobs/blobs/sha256:abc", "", {"repository:blobs:pull"}},
      {"GET", "/v2/a/unknown", "", {}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ScopesFor(c.method, c.path, c.query), c.scopes) << c.method << " " << c.path;
  }
}

TEST(TokenResponseTest, Table) {
  const auto now = Clock::now();
  struct Case {
    std::string body;
    bool ok;
    std::string token;
    std::chrono::seconds lifetime;  // expiry - now, before the skew
  };
  const Case cases[] = {
      {R"({"token":"t1","expires_in":300})", true, "t1", std::chrono::seconds(300)},
      {R"({"access_token":"t2"})", true, "t2", std::chrono::seconds(60)},
      {R"({"token":"","access_token":"t3","expires_in":120})", true, "t3",
       std::chrono::seconds(120)},
      {R"({"token":"t4","expires_in":0})", true, "t4", std::chrono::seconds(60)},
      {R"({"expires_in":300})", false, "", {}},
      {"not json", false, "", {}},
  };
  for (const Case& c : cases) {
    auto token = ParseTokenResponse(c.body, now);
    ASSERT_EQ(token.has_value(), c.ok) << c.body;
    if (!c.ok) continue;
    EXPECT_EQ(token->value, c.token);
    EXPECT_EQ(token->expires, now + c.lifetime - kTokenSkew) << c.body;
  }
}

TEST(TokenResponseTest, IssuedAtCountsWhenClocksAgree) {
  const auto now = Clock::from_time_t(1700000000);  // 2023-11-14T22:13:20Z
  auto token = ParseTokenResponse(
      R"({"token":"t","expires_in":300,"issued_at":"2023-11-14T22:12:20.123Z"})", now);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->expires,
            now - std::chrono::seconds(60) + std::chrono::seconds(300) - kTokenSkew);
  // A far-off issued_at (skewed clock) is ignored.
  token = ParseTokenResponse(R"({"token":"t","expires_in":300,"issued_at":"2001-01-01T00:00:00Z"})",
                             now);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->expires, now + std::chrono::seconds(300) - kTokenSkew);
}

TEST(TokenCacheTest, ExpiryAndEviction) {
  const auto now = Clock::now();
  TokenCache cache(2);
  cache.Put("a", {"ta", now + std::chrono::seconds(100)}, now);
  EXPECT_EQ(cache.Get("a", now), "ta");
  EXPECT_FALSE(cache.Get("a", now + std::chrono::seconds(100)));
  EXPECT_FALSE(cache.Get("b", now));
  cache.Put("expired", {"tx", now - std::chrono::seconds(1)}, now);
  EXPECT_EQ(cache.size(), 1u);
  cache.Put("b", {"tb", now + std::chrono::seconds(50)}, now);
  cache.Put("c", {"tc", now + std::chrono::seconds(200)}, now);  // evicts b (soonest)
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.Get("b", now));
  EXPECT_EQ(cache.Get("c", now), "tc");
  cache.Drop("c");
  EXPECT_FALSE(cache.Get("c", now));
  EXPECT_EQ(ScopeKey({"x", "y"}), "x y");
}

TEST(UrlTest, HostPortAlwaysNamesThePort) {
  EXPECT_EQ(HostPort("https://registry.example.com/v2"), "registry.example.com:443");
  EXPECT_EQ(HostPort("http://127.0.0.1"), "127.0.0.1:80");
  EXPECT_EQ(HostPort("http://127.0.0.1:5001/prefix"), "127.0.0.1:5001");
  EXPECT_EQ(HostPort("https://[::1]:8443"), "[::1]:8443");
}

TEST(UrlTest, ResolveAndOrigins) {
  struct Case {
    std::string base, reference, want;
  };
  const Case cases[] = {
      {"http://h:5000/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/u?_state=s",
       "http://h:5000/v2/a/blobs/uploads/u?_state=s"},
      {"https://h/v2/_catalog?n=1000", "?last=x&n=1000", "https://h/v2/_catalog?last=x&n=1000"},
      {"https://h/v2/x", "https://s3.example/bucket?sig=1", "https://s3.example/bucket?sig=1"},
      {"https://h/v2/x", "//cdn.example/blob", "https://cdn.example/blob"},
      {"https://h/v2/a/tags/list", "list?last=b", "https://h/v2/a/tags/list?last=b"},
  };
  for (const Case& c : cases) EXPECT_EQ(ResolveUrl(c.base, c.reference), c.want) << c.reference;

  EXPECT_TRUE(SameOrigin("https://Reg.example/v2/", "https://reg.example:443/other"));
  EXPECT_FALSE(SameOrigin("https://reg.example/v2/", "http://reg.example/v2/"));
  EXPECT_FALSE(SameOrigin("https://reg.example/v2/", "https://reg.example:5000/v2/"));
  EXPECT_FALSE(SameOrigin("https://reg.example/v2/", "https://s3.example/v2/"));
  Url url;
  ASSERT_TRUE(ParseUrl("https://user:pw@[::1]:8443/p?q=1#frag", url));
  EXPECT_EQ(url.host, "[::1]");
  EXPECT_EQ(url.port, 8443);
  EXPECT_EQ(url.path, "/p");
  EXPECT_EQ(url.query, "q=1");
  EXPECT_EQ(url.str(), "https://[::1]:8443/p?q=1");
  EXPECT_FALSE(ParseUrl("ftp://h/", url));
  EXPECT_FALSE(ParseUrl("http://h:99999/", url));
  EXPECT_EQ(PercentEncode("sha256:ab/c d"), "sha256%3Aab%2Fc%20d");
  EXPECT_EQ(QueryParam("mount=sha256%3Aab&from=a%2Fb", "from"), "a/b");
}

}  // namespace
}  // namespace berth::remote
