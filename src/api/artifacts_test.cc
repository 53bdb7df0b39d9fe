#include <gtest/gtest.h>

#include <algorithm>

#include "api/api_test_fixture.h"

namespace berth::api::test_support {
namespace {

using nlohmann::json;

TEST_F(ApiServiceTest, RepositoriesAndArtifacts) {
  MakeProject(admin(), "lib", true);
  std::string d1 = PushImage("lib/nginx", "v1", "one");
  std::string d2 = PushImage("lib/team/app", "latest", "two");
  ASSERT_FALSE(d1.empty());

  auto r = Call("GET", "/projects/lib/repositories", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  auto repos = Body(r);
  ASSERT_EQ(repos.size(), 2u);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "2");
  for (const auto& repo : repos) {
    for (const char* f : {"id", "project_id", "name", "description", "artifact_count", "pull_count",
                          "creation_time", "update_time"}) {
      EXPECT_TRUE(repo.contains(f)) << f;
    }
    EXPECT_EQ(repo["artifact_count"], 1);
  }

  // Both single and double encoding of the slash.
  for (std::string name : {"team%2Fapp", "team%252Fapp"}) {
    r = Call("GET", "/projects/lib/repositories/" + name, kAnonymous);
    ASSERT_EQ(r.status, 200) << name << r.body;
    EXPECT_EQ(Body(r)["name"], "lib/team/app");
  }
  EXPECT_EQ(Call("GET", "/projects/lib/repositories/missing", kAnonymous).status, 404);

  r = Call("GET", "/projects/lib/repositories/nginx/artifacts", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  auto arts = Body(r);
  ASSERT_EQ(arts.size(), 1u);
  auto a = arts[0];
  EXPECT_EQ(a["digest"], d1);
  EXPECT_EQ(a["type"], "IMAGE");
  EXPECT_EQ(a["manifest_media_type"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(a["media_type"], "application/vnd.oci.image.config.v1+json");
  EXPECT_TRUE(a["extra_attrs"].is_object());
  ASSERT_EQ(a["tags"].size(), 1u);
  EXPECT_EQ(a["tags"][0]["name"], "v1");
  EXPECT_EQ(a["tags"][0]["immutable"], false);
  EXPECT_EQ(a["tags"][0]["artifact_id"], a["id"]);
  for (const char* f : {"id", "project_id", "repository_id", "size", "push_time"}) {
    EXPECT_TRUE(a.contains(f)) << f;
  }

  r = Call("GET", "/projects/lib/repositories/nginx/artifacts/v1", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["digest"], d1);
  r = Call("GET", "/projects/lib/repositories/nginx/artifacts/" + d1, kAnonymous);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["tags"][0]["name"], "v1");
  r = Call("GET", "/projects/lib/repositories/nginx/artifacts/v2", kAnonymous);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCodeOf(r), "NOT_FOUND");

  r = Call("GET", "/projects/lib/repositories/nginx/artifacts/v1/tags", kAnonymous);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)[0]["name"], "v1");

  r = Call("GET", "/repositories", admin());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "2");
}

TEST_F(ApiServiceTest, DeletingArtifactsNeedsMaintainer) {
  Caller dev = MakeUser("dev");
  Caller maint = MakeUser("maint");
  int64_t id = MakeProject(admin(), "lib", false);
  std::string members = "/projects/" + std::to_string(id) + "/members";
  ASSERT_EQ(
      Call("POST", members, admin(), R"({"role_id":2,"member_user":{"username":"dev"}})").status,
      201);
  ASSERT_EQ(
      Call("POST", members, admin(), R"({"role_id":4,"member_user":{"username":"maint"}})").status,
      201);
  std::string digest = PushImage("lib/app", "v1", "x");
  PushImage("lib/app", "v2", "y");
  std::string base = "/projects/lib/repositories/app/artifacts";

  EXPECT_EQ(Call("DELETE", base + "/v1", kAnonymous).status, 401);
  auto r = Call("DELETE", base + "/v1", dev);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorCodeOf(r), "FORBIDDEN");

  EXPECT_EQ(Call("DELETE", base + "/v2/tags/nope", maint).status, 404);
  EXPECT_EQ(Call("DELETE", base + "/v2/tags/v2", maint).status, 200);
  EXPECT_EQ(Call("GET", base + "/v2", maint).status, 404);

  EXPECT_EQ(Call("DELETE", base + "/v1", maint).status, 200);
  EXPECT_EQ(Call("GET", base + "/" + digest, maint).status, 404);
}

TEST_F(ApiServiceTest, IndexArtifactHasReferences) {
  MakeProject(admin(), "lib", true);
  std::string amd = PushImage("lib/multi", "amd", "amd");
  std::string arm = PushImage("lib/multi", "arm", "arm");
  json index = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.index.v1+json"},
      {"manifests", json::array({{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                  {"digest", amd},
                                  {"size", 1},
                                  {"platform", {{"architecture", "amd64"}, {"os", "linux"}}}},
                                 {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                  {"digest", arm},
                                  {"size", 1},
                                  {"platform", {{"architecture", "arm64"}, {"os", "linux"}}}}})},
      {"annotations", {{"org.opencontainers.image.title", "multi"}}}};
  auto repo = content_->ResolveRepository("lib/multi", false);
  ASSERT_TRUE(repo.has_value());
  // Descriptor sizes must match the stored children.
  for (auto& child : index["manifests"]) {
    auto stat = content_->StatManifest(*repo, Reference{child["digest"], true});
    ASSERT_TRUE(stat.has_value());
    child["size"] = stat->size;
  }
  auto put = content_->PutManifest(*repo, Reference{"multi", false}, index.dump(),
                                   "application/vnd.oci.image.index.v1+json");
  ASSERT_TRUE(put.has_value()) << put.error().message;

  auto r = Call("GET", "/projects/lib/repositories/multi/artifacts/multi", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  auto a = Body(r);
  EXPECT_EQ(a["type"], "IMAGE");
  EXPECT_EQ(a["manifest_media_type"], "application/vnd.oci.image.index.v1+json");
  EXPECT_EQ(a["annotations"]["org.opencontainers.image.title"], "multi");
  ASSERT_EQ(a["references"].size(), 2u);
  EXPECT_EQ(a["references"][0]["child_digest"], amd);
  EXPECT_EQ(a["references"][0]["parent_id"], a["id"]);
  EXPECT_GT(a["references"][0]["child_id"].get<int64_t>(), 0);
  EXPECT_EQ(a["references"][1]["platform"]["architecture"], "arm64");
}

}  // namespace
}  // namespace berth::api::test_support
