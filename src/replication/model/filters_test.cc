#include "replication/model/filters.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace berth::replication {
namespace {

TEST(GlobMatch, Doublestar) {
  struct Case {
    std::string pattern;
    std::string text;
    bool want;
  } cases[] = {
      {"library/**", "library/nginx", true},
      {"library/**", "library/a/b/c", true},
      {"library/**", "other/nginx", false},
      {"library/**", "libraryx/nginx", false},
      {"**/nginx", "library/nginx", true},
      {"**/nginx", "a/b/nginx", true},
      {"**/nginx", "nginx", true},
      {"**/nginx", "library/nginx2", false},
      {"**", "a/b/c", true},
      {"**", "", true},
      {"a/**/z", "a/z", true},
      {"a/**/z", "a/b/c/z", true},
      {"*", "nginx", true},
      {"*", "library/nginx", false},
      {"*", "", true},
      {"library/*", "library/nginx", true},
      {"library/*", "library/a/nginx", false},
      {"*/*", "library/nginx", true},
      {"lib*/ng*x", "library/nginx", true},
      {"?", "a", true},
      {"?", "ab", false},
      {"?", "/", false},
      {"v?.0", "v1.0", true},
      {"[a-z]", "q", true},
      {"[a-z]", "Q", false},
      {"[a-z]", "5", false},
      {"[abc]x", "bx", true},
      {"[!a]", "b", true},
      {"[!a]", "a", false},
      {"[^a]", "a", false},
      {"{a,b}", "a", true},
      {"{a,b}", "b", true},
      {"{a,b}", "c", false},
      {"proj/{a,b}", "proj/b", true},
      {"{library,base}/**", "base/x/y", true},
      {"v{1,2}.{0,1}", "v2.1", true},
      {"v{1,{2,3}}", "v3", true},
      {"{library/nginx,other/x}", "other/x", true},
      {"v1.*", "v1.2", true},
      {"v1.*", "v1.2.3", true},
      {"v1.*", "v10", false},
      {"v1.*", "v1.", true},
      {"v*", "", false},
      {"", "anything/at/all", true},
      {"", "", true},
      {"latest", "latest", true},
      {"latest", "latest2", false},
      {"a\\*", "a*", true},
      {"a\\*", "ab", false},
      {"*-alpine", "3.19-alpine", true},
      {"*a*b*c", "xaybzc", true},
      {"*a*b*c", "xaybz", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.text), c.want)
        << "pattern \"" << c.pattern << "\" text \"" << c.text << "\"";
  }
}

TEST(ValidateGlob, Malformed) {
  EXPECT_TRUE(ValidateGlob("library/**"));
  EXPECT_TRUE(ValidateGlob("{a,b}/[a-z]*"));
  EXPECT_TRUE(ValidateGlob(""));
  EXPECT_TRUE(ValidateGlob("[]a]"));
  std::string huge;
  for (int i = 0; i < 11; ++i) huge += "{a,b}";
  EXPECT_TRUE(GlobMatch(huge.substr(0, 5 * 9), std::string(9, 'b')));
  for (std::string bad : {"[ab", "a/[b/c]", "{a,b", "a}", "x\\", huge.c_str()}) {
    auto status = ValidateGlob(bad);
    ASSERT_FALSE(status) << bad;
    EXPECT_EQ(status.error().code, ErrorCode::kBadRequest);
    EXPECT_FALSE(status.error().message.empty());
  }
}

TEST(RepositorySelected, NameFiltersCombineWithAnd) {
  std::vector<Filter> filters = {{"name", {"library/**"}, ""}, {"tag", {"v*"}, ""}};
  EXPECT_TRUE(RepositorySelected(filters, "library/nginx"));
  EXPECT_FALSE(RepositorySelected(filters, "other/nginx"));
  filters.push_back({"name", {"**/nginx"}, ""});
  EXPECT_TRUE(RepositorySelected(filters, "library/nginx"));
  EXPECT_FALSE(RepositorySelected(filters, "library/redis"));
  EXPECT_TRUE(RepositorySelected({}, "anything"));
  EXPECT_TRUE(RepositorySelected({{"name", {""}, ""}}, "anything"));
}

std::vector<ArtifactRef> Sample() {
  return {
      {"sha256:1", "", {"latest", "v1.0", "v1.1"}, {"prod"}},
      {"sha256:2", "", {"dev"}, {"prod", "ok"}},
      {"sha256:3", "", {}, {}},
  };
}

std::vector<std::string> Digests(const std::vector<ArtifactRef>& artifacts) {
  std::vector<std::string> out;
  for (const auto& a : artifacts) out.push_back(a.digest);
  return out;
}

TEST(SelectArtifacts, TagMatchesNarrowsTags) {
  auto got = SelectArtifacts({{"tag", {"v1.*"}, "matches"}}, Sample());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].digest, "sha256:1");
  EXPECT_EQ(got[0].tags, (std::vector<std::string>{"v1.0", "v1.1"}));
  // An empty decoration means matches.
  EXPECT_EQ(Digests(SelectArtifacts({{"tag", {"v1.*"}, ""}}, Sample())),
            (std::vector<std::string>{"sha256:1"}));
}

TEST(SelectArtifacts, TagExcludesKeepsTheOthers) {
  auto got = SelectArtifacts({{"tag", {"v*"}, "excludes"}}, Sample());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].tags, (std::vector<std::string>{"latest"}));
  EXPECT_EQ(got[1].tags, (std::vector<std::string>{"dev"}));
  EXPECT_TRUE(got[2].tags.empty());
  // An artifact whose every tag is excluded drops out.
  EXPECT_EQ(Digests(SelectArtifacts({{"tag", {"dev"}, "excludes"}}, Sample())),
            (std::vector<std::string>{"sha256:1", "sha256:3"}));
}

TEST(SelectArtifacts, UntaggedArtifactsMatchAsTheEmptyTag) {
  struct Case {
    Filter filter;
    bool untagged_kept;
  } cases[] = {
      {{"tag", {"**"}, "matches"}, true},  {{"tag", {"*"}, "matches"}, true},
      {{"tag", {""}, "matches"}, true},    {{"tag", {"v*"}, "matches"}, false},
      {{"tag", {"v*"}, "excludes"}, true}, {{"tag", {"*"}, "excludes"}, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.filter.values[0] + " " + c.filter.decoration);
    auto got = Digests(SelectArtifacts({c.filter}, Sample()));
    bool kept = std::ranges::find(got, "sha256:3") != got.end();
    EXPECT_EQ(kept, c.untagged_kept);
  }
}

TEST(SelectArtifacts, Labels) {
  EXPECT_EQ(Digests(SelectArtifacts({{"label", {"prod"}, "matches"}}, Sample())),
            (std::vector<std::string>{"sha256:1", "sha256:2"}));
  EXPECT_EQ(Digests(SelectArtifacts({{"label", {"prod", "ok"}, ""}}, Sample())),
            (std::vector<std::string>{"sha256:2"}));
  EXPECT_EQ(Digests(SelectArtifacts({{"label", {"prod", "ok"}, "excludes"}}, Sample())),
            (std::vector<std::string>{"sha256:1", "sha256:3"}));
  EXPECT_EQ(SelectArtifacts({{"label", {}, "matches"}}, Sample()).size(), 3u);
}

TEST(SelectArtifacts, FiltersCombineAndOthersKeepEverything) {
  std::vector<Filter> filters = {
      {"name", {"nothing/**"}, ""}, {"resource", {"image"}, ""}, {"resource", {"artifact"}, ""}};
  EXPECT_EQ(SelectArtifacts(filters, Sample()).size(), 3u);
  filters.push_back({"label", {"prod"}, "matches"});
  filters.push_back({"tag", {"{latest,dev}"}, "matches"});
  filters.push_back({"tag", {"dev"}, "excludes"});
  auto got = SelectArtifacts(filters, Sample());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].digest, "sha256:1");
  EXPECT_EQ(got[0].tags, (std::vector<std::string>{"latest"}));
  EXPECT_EQ(got[0].labels, (std::vector<std::string>{"prod"}));
}

}  // namespace
}  // namespace berth::replication
