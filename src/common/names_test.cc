#include "common/names.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(RepositoryName, Grammar) {
  struct Case {
    std::string name;
    bool ok;
  } cases[] = {
      {"library/nginx", true},
      {"a/b/c", true},
      {"a__b/c-d--e/f.g", true},
      {"a", true},
      {"Library/nginx", false},
      {"library/..", false},
      {"library/a..b", false},
      {"library//a", false},
      {"/a", false},
      {"a/", false},
      {"a___b", false},
      {"a-", false},
      {"", false},
      {std::string(256, 'a'), false},
      {std::string(255, 'a'), true},
  };
  for (const auto& c : cases) {
    auto r = ValidateRepositoryName(c.name);
    EXPECT_EQ(r.has_value(), c.ok) << c.name;
    if (!r) {
      EXPECT_EQ(r.error().wire(), "NAME_INVALID");
    }
  }
}

TEST(Reference, TagsAndDigests) {
  EXPECT_TRUE(ParseReference("latest"));
  EXPECT_TRUE(ParseReference("v1.2_3-x"));
  EXPECT_FALSE(ParseReference(".hidden"));
  EXPECT_FALSE(ParseReference(std::string(129, 'a')));
  auto d = ParseReference("sha256:" + std::string(64, 'a'));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->is_digest);
  EXPECT_FALSE(ParseReference("sha256:abc"));
}

TEST(ProjectOf, FirstComponent) {
  EXPECT_EQ(ProjectOf("library/nginx"), "library");
  EXPECT_EQ(ProjectOf("a/b/c"), "a");
  EXPECT_EQ(ProjectOf("solo"), "");
}

}  // namespace
}  // namespace berth
