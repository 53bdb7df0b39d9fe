#include "registry/route.h"

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

TEST(ParseRoute, Table) {
  struct Case {
    std::string path;
    bool ok;
    RouteKind kind;
    std::string name, arg;
  } cases[] = {
      {"/v2/", true, RouteKind::kBase, "", ""},
      {"/v2", true, RouteKind::kBase, "", ""},
      {"/v2/_catalog", true, RouteKind::kCatalog, "", ""},
      {"/v2/library/a/tags/list", true, RouteKind::kTags, "library/a", ""},
      {"/v2/library/a/manifests/latest", true, RouteKind::kManifest, "library/a", "latest"},
      {"/v2/a/b/c/manifests/sha256:ab", true, RouteKind::kManifest, "a/b/c", "sha256:ab"},
      {"/v2/library/a/blobs/sha256:ab", true, RouteKind::kBlob, "library/a", "sha256:ab"},
      {"/v2/library/a/blobs/uploads/", true, RouteKind::kUploadStart, "library/a", ""},
      {"/v2/library/a/blobs/uploads", true, RouteKind::kUploadStart, "library/a", ""},
      {"/v2/library/a/blobs/uploads/abc", true, RouteKind::kUpload, "library/a", "abc"},
      {"/v2/library/a/referrers/sha256:ab", true, RouteKind::kReferrers, "library/a", "sha256:ab"},
      {"/v2/library/manifests/x/manifests/y", true, RouteKind::kManifest, "library/manifests/x",
       "y"},
      {"/v2/library/a/manifests/", false, RouteKind::kBase, "", ""},
      {"/v2/library/a", false, RouteKind::kBase, "", ""},
      {"/v1/x", false, RouteKind::kBase, "", ""},
  };
  for (const auto& c : cases) {
    auto r = ParseRoute(c.path);
    ASSERT_EQ(r.has_value(), c.ok) << c.path;
    if (!r) continue;
    EXPECT_EQ(r->kind, c.kind) << c.path;
    EXPECT_EQ(r->name, c.name) << c.path;
    EXPECT_EQ(r->arg, c.arg) << c.path;
  }
}

}  // namespace
}  // namespace berth::registry
