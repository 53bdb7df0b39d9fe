#include "api/json_io.h"

#include <gtest/gtest.h>

namespace berth::api {
namespace {

TEST(ParsePageTest, Table) {
  struct Case {
    QueryParams query;
    int64_t page;
    int64_t page_size;
    bool ok = true;
  };
  const Case cases[] = {
      {{}, 1, 10},
      {{{"page", "3"}}, 3, 10},
      {{{"page_size", "100"}}, 1, 100},
      {{{"page", ""}, {"page_size", ""}}, 1, 10},
      {{{"page", "0"}}, 0, 0, false},
      {{{"page", "-1"}}, 0, 0, false},
      {{{"page", "x"}}, 0, 0, false},
      {{{"page_size", "0"}}, 0, 0, false},
      {{{"page_size", "101"}}, 0, 0, false},
      {{{"page_size", "5 "}}, 0, 0, false},
  };
  for (const auto& c : cases) {
    auto page = ParsePage(c.query);
    ASSERT_EQ(page.has_value(), c.ok);
    if (!c.ok) {
      EXPECT_EQ(page.error().code, ErrorCode::kUnprocessable);
      continue;
    }
    EXPECT_EQ(page->page, c.page);
    EXPECT_EQ(page->page_size, c.page_size);
  }
}

TEST(ParseQTest, ExactFuzzyAndQuoted) {
  auto terms = ParseQ("name=~lib,owner=admin,tag=\"v1\"");
  ASSERT_TRUE(terms.has_value());
  ASSERT_EQ(terms->size(), 3u);
  EXPECT_EQ((*terms)[0].key, "name");
  EXPECT_EQ((*terms)[0].value, "lib");
  EXPECT_TRUE((*terms)[0].fuzzy);
  EXPECT_EQ((*terms)[1].value, "admin");
  EXPECT_FALSE((*terms)[1].fuzzy);
  EXPECT_EQ((*terms)[2].value, "v1");

  EXPECT_FALSE(ParseQ("name").has_value());
  EXPECT_FALSE(ParseQ("=x").has_value());
  EXPECT_FALSE(ParseQ("id=[1~5]").has_value());
  EXPECT_TRUE(ParseQ("").has_value());
}

TEST(NameFilterTest, FromNameAndQ) {
  auto f = ParseNameFilter({{"name", "ngi"}});
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(f->Matches("nginx"));
  EXPECT_FALSE(f->Matches("redis"));

  f = ParseNameFilter({{"q", "name=nginx"}});
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(f->Matches("nginx"));
  EXPECT_FALSE(f->Matches("nginx2"));

  f = ParseNameFilter({{"q", "username=~ad"}}, "username");
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(f->Matches("admin"));

  f = ParseNameFilter({});
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(f->Matches("anything"));
}

TEST(LinkHeaderTest, PrevAndNext) {
  struct Case {
    int64_t page;
    int64_t size;
    int64_t total;
    std::string want;
  };
  const Case cases[] = {
      {1, 10, 0, ""},
      {1, 10, 10, ""},
      {1, 10, 11, "</api/v2.0/projects?name=a%20b&page=2&page_size=10>; rel=\"next\""},
      {2, 10, 11, "</api/v2.0/projects?name=a%20b&page=1&page_size=10>; rel=\"prev\""},
      {2, 5, 11,
       "</api/v2.0/projects?name=a%20b&page=1&page_size=5>; rel=\"prev\" , "
       "</api/v2.0/projects?name=a%20b&page=3&page_size=5>; rel=\"next\""},
      {3, 5, 11, "</api/v2.0/projects?name=a%20b&page=2&page_size=5>; rel=\"prev\""},
      {5, 10, 11, ""},  // past the end: the previous page is empty too
      {2, 10, 10, ""},
  };
  for (const auto& c : cases) {
    QueryParams query = {{"page", std::to_string(c.page)}, {"name", "a b"}};
    EXPECT_EQ(LinkHeader("/api/v2.0/projects", query, {c.page, c.size}, c.total), c.want);
  }
}

TEST(SetPagingHeadersTest, SetsTotalCount) {
  http::Response response;
  SetPagingHeaders(response, "/api/v2.0/users", {}, {1, 1}, 2);
  EXPECT_EQ(response.headers.Get("X-Total-Count"), "2");
  EXPECT_TRUE(response.headers.Get("Link").has_value());
}

TEST(SliceTest, Pages) {
  std::vector<int> v = {1, 2, 3, 4, 5};
  EXPECT_EQ(Slice(v, {1, 2}), (std::vector<int>{1, 2}));
  EXPECT_EQ(Slice(v, {3, 2}), (std::vector<int>{5}));
  EXPECT_EQ(Slice(v, {4, 2}), (std::vector<int>{}));
}

TEST(ToErrorResponseTest, EnvelopeAndChallenge) {
  auto r = ToErrorResponse(MakeError(ErrorCode::kUnauthorized));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.Get("WWW-Authenticate"), "Basic realm=\"harbor\"");
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["errors"][0]["code"], "UNAUTHORIZED");

  r = ToErrorResponse(MakeError(ErrorCode::kNotFound, "project x not found"));
  EXPECT_EQ(r.status, 404);
  EXPECT_FALSE(r.headers.Get("WWW-Authenticate").has_value());
  body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["errors"][0]["message"], "project x not found");
}

TEST(ParseJsonObjectTest, RejectsNonObjects) {
  EXPECT_TRUE(ParseJsonObject("{\"a\":1}").has_value());
  EXPECT_EQ(ParseJsonObject("[1]").error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(ParseJsonObject("{").error().code, ErrorCode::kBadRequest);
}

TEST(NowRfc3339Test, Shape) {
  std::string now = NowRfc3339();
  ASSERT_EQ(now.size(), 24u);
  EXPECT_EQ(now[10], 'T');
  EXPECT_EQ(now.back(), 'Z');
}

}  // namespace
}  // namespace berth::api
