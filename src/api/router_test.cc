#include "api/router.h"

#include <gtest/gtest.h>

namespace berth::api {
namespace {

TEST(SplitPathTest, DecodesEachSegmentOnce) {
  struct Case {
    std::string raw;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"", {}},
      {"/", {}},
      {"projects", {"projects"}},
      {"/projects/", {"projects"}},
      {"projects//library", {"projects", "library"}},
      {"projects/a%2Fb/x", {"projects", "a/b", "x"}},
      {"projects/a%252Fb", {"projects", "a%2Fb"}},
      {"tags/v1%2B2", {"tags", "v1+2"}},
      {"bad/%zz/%4", {"bad", "%zz", "%4"}},
  };
  for (const auto& c : cases) EXPECT_EQ(SplitPath(c.raw), c.want) << c.raw;
}

TEST(MatchPatternTest, Table) {
  struct Case {
    std::string pattern;
    std::vector<std::string> segments;
    std::optional<PathParams> want;
  };
  const Case cases[] = {
      {"ping", {"ping"}, PathParams{}},
      {"ping", {"pong"}, std::nullopt},
      {"projects", {"projects", "x"}, std::nullopt},
      {"projects/{id}", {"projects"}, std::nullopt},
      {"projects/{id}", {"projects", "7"}, PathParams{{"id", "7"}}},
      {"projects/{p}/repositories/{r}",
       {"projects", "lib", "repositories", "a/b"},
       PathParams{{"p", "lib"}, {"r", "a/b"}}},
      {"projects/{p}/members/{m}", {"projects", "lib", "repositories", "1"}, std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(MatchPattern(c.pattern, c.segments), c.want) << c.pattern;
}

TEST(DecodeRepositoryParamTest, AcceptsSingleAndDoubleEncoding) {
  EXPECT_EQ(DecodeRepositoryParam("nginx"), "nginx");
  EXPECT_EQ(DecodeRepositoryParam("a/b"), "a/b");
  EXPECT_EQ(DecodeRepositoryParam("a%2Fb"), "a/b");
  EXPECT_EQ(DecodeRepositoryParam("a%2fb%2Fc"), "a/b/c");
}

TEST(PercentEncodeTest, RoundTrips) {
  EXPECT_EQ(PercentEncode("name=~a b/c"), "name%3D~a%20b%2Fc");
  EXPECT_EQ(PercentDecode(PercentEncode("x,y=\"z\"")), "x,y=\"z\"");
}

TEST(RouteTableTest, FindsByMethodAndPattern) {
  RouteTable<int> table;
  table.Add("GET", "projects", 1);
  table.Add("POST", "projects", 2);
  table.Add("HEAD", "projects", 3);
  table.Add("GET", "projects/{id}", 4);
  table.Add("DELETE", "projects/{id}", 5);

  struct Case {
    std::string method;
    std::vector<std::string> segments;
    int want_handler;  // 0 = error
    ErrorCode want_error = ErrorCode::kInternal;
    bool head_as_get = false;
  };
  const Case cases[] = {
      {"GET", {"projects"}, 1},
      {"POST", {"projects"}, 2},
      {"HEAD", {"projects"}, 3},
      {"GET", {"projects", "9"}, 4},
      {"HEAD", {"projects", "9"}, 4, ErrorCode::kInternal, true},
      {"DELETE", {"projects", "9"}, 5},
      {"PUT", {"projects"}, 0, ErrorCode::kMethodNotAllowed},
      {"PATCH", {"projects", "9"}, 0, ErrorCode::kMethodNotAllowed},
      {"GET", {"nothing"}, 0, ErrorCode::kNotFound},
      {"GET", {"projects", "9", "x"}, 0, ErrorCode::kNotFound},
  };
  for (const auto& c : cases) {
    auto match = table.Find(c.method, c.segments);
    if (c.want_handler == 0) {
      ASSERT_FALSE(match.has_value()) << c.method;
      EXPECT_EQ(match.error().code, c.want_error);
    } else {
      ASSERT_TRUE(match.has_value()) << c.method;
      EXPECT_EQ(*match->handler, c.want_handler);
      EXPECT_EQ(match->head_as_get, c.head_as_get);
    }
  }
}

}  // namespace
}  // namespace berth::api
