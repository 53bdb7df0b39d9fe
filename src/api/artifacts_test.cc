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
  MakeProject(admin(), "lib", false);
  AddMember("lib", "dev", 2);
  AddMember("lib", "maint", 4);
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

TEST_F(ApiServiceTest, BooleanQueryParametersAreReadAsHarborReadsThem) {
  MakeProject(admin(), "lib", true);
  PushImage("lib/flags", "v1", "flags");
  const std::string list = "/projects/lib/repositories/flags/artifacts";
  auto r = Call("GET", list + "?with_tag=0", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Body(r)[0]["tags"].is_null());
  r = Call("GET", list + "?with_label=1", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r), Body(Call("GET", list + "?with_label=true", kAnonymous)));
  for (const char* bad : {"?with_tag=maybe", "?with_label=2"}) {
    r = Call("GET", list + bad, kAnonymous);
    EXPECT_EQ(r.status, 422) << bad;
    EXPECT_NE(r.body.find("must be of type bool"), std::string::npos) << r.body;
  }
  EXPECT_EQ(Call("GET", "/projects?public=yes", kAnonymous).status, 200);
  EXPECT_EQ(Call("GET", "/projects?public=abc", kAnonymous).status, 422);
}

TEST_F(ApiServiceTest, ImageSizeCountsConfigAndLayers) {
  MakeProject(admin(), "lib", true);
  std::string digest = PushImage("lib/sized", "v1", "sized");
  auto repo = content_->ResolveRepository("lib/sized", false);
  ASSERT_TRUE(repo.has_value());
  auto manifest = content_->GetManifest(*repo, Reference{digest, true});
  ASSERT_TRUE(manifest.has_value());
  // As Harbor: the manifest's bytes, then its config and layer (PushImage's contents).
  const int64_t want = static_cast<int64_t>(manifest->bytes.size()) +
                       std::string(R"({"architecture":"amd64","seed":"sized"})").size() +
                       std::string("layer-sized").size();
  auto r = Call("GET", "/projects/lib/repositories/sized/artifacts/v1", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["size"], want);
}

class IndexApiTest : public ApiServiceTest {
 protected:
  // Pushes an OCI index of `children` (amd64, then arm64) to `repository` as `tag`.
  std::string PushIndex(const std::string& repository, const std::string& tag,
                        const std::vector<std::string>& children) {
    auto repo = content_->ResolveRepository(repository, false);
    EXPECT_TRUE(repo.has_value());
    json manifests = json::array();
    const char* arch[] = {"amd64", "arm64"};
    for (size_t i = 0; i < children.size(); ++i) {
      // Descriptor sizes must match the stored children.
      auto stat = content_->StatManifest(*repo, Reference{children[i], true});
      EXPECT_TRUE(stat.has_value());
      manifests.push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                           {"digest", children[i]},
                           {"size", stat ? stat->size : 0},
                           {"platform", {{"architecture", arch[i % 2]}, {"os", "linux"}}}});
    }
    json index = {{"schemaVersion", 2},
                  {"mediaType", "application/vnd.oci.image.index.v1+json"},
                  {"manifests", manifests},
                  {"annotations", {{"org.opencontainers.image.title", tag}}}};
    auto put = content_->PutManifest(*repo, Reference{tag, false}, index.dump(),
                                     "application/vnd.oci.image.index.v1+json");
    EXPECT_TRUE(put.has_value()) << put.error().message;
    return put ? put->digest.str() : "";
  }
};

TEST_F(IndexApiTest, IndexArtifactHasReferences) {
  MakeProject(admin(), "lib", true);
  std::string amd = PushImage("lib/multi", "amd", "amd");
  std::string arm = PushImage("lib/multi", "arm", "arm");
  PushIndex("lib/multi", "multi", {amd, arm});

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

TEST_F(IndexApiTest, ChildrenStayWithTheirIndexAndGoWithIt) {
  MakeProject(admin(), "lib", true);
  const std::string repo = "/projects/lib/repositories/multi";
  std::string amd = PushImage("lib/multi", "amd", "amd");
  std::string arm = PushImage("lib/multi", "arm", "arm");
  std::string shared = PushImage("lib/multi", "shared", "shared");
  std::string index = PushIndex("lib/multi", "multi", {amd, arm});
  PushIndex("lib/multi", "other", {shared});
  // Untag the children: amd and arm are now reachable only through "multi".
  for (const char* tag : {"amd", "arm", "shared"}) {
    auto r = Call("DELETE", repo + "/artifacts/" + tag + "/tags/" + tag, admin());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  auto digests = [&](const std::string& query) {
    auto r = Call("GET", repo + "/artifacts" + query, admin());
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    for (const auto& a : Body(r)) out.push_back(a["digest"]);
    std::sort(out.begin(), out.end());
    return std::pair{out, std::string(r.headers.Get("X-Total-Count").value_or(""))};
  };
  // As Harbor lists them: untagged children are left out unless q=base=* asks for all.
  EXPECT_EQ(digests("").first.size(), 2u);
  EXPECT_EQ(digests("").second, "2");
  EXPECT_EQ(digests("?q=base%3D*").first.size(), 5u);
  EXPECT_EQ(Body(Call("GET", repo, admin()))["artifact_count"], 2);

  // A child cannot go while its index is there.
  auto r = Call("DELETE", repo + "/artifacts/" + amd, admin());
  EXPECT_EQ(r.status, 412);
  EXPECT_NE(r.body.find("referenced by an index"), std::string::npos) << r.body;
  EXPECT_EQ(Call("GET", repo + "/artifacts/" + amd, admin()).status, 200);

  // The index goes with its untagged children; another index's child stays.
  EXPECT_EQ(Call("DELETE", repo + "/artifacts/" + index, admin()).status, 200);
  for (const auto& gone : {index, amd, arm}) {
    EXPECT_EQ(Call("GET", repo + "/artifacts/" + gone, admin()).status, 404) << gone;
  }
  EXPECT_EQ(Call("GET", repo + "/artifacts/" + shared, admin()).status, 200);
  EXPECT_EQ(digests("?q=base%3D*").first.size(), 2u);
}

TEST_F(ApiServiceTest, CreateTagAsHarborDoes) {
  Caller dev = MakeUser("dev");
  Caller guest = MakeUser("guest");
  MakeProject(admin(), "lib", false);
  AddMember("lib", "dev", 2);
  AddMember("lib", "guest", 3);
  std::string d1 = PushImage("lib/app", "v1", "one");
  PushImage("lib/app", "v2", "two");
  const std::string tags = "/projects/lib/repositories/app/artifacts/" + d1 + "/tags";

  struct Case {
    const char* what;
    Caller who;
    std::string body;
    int status;
    std::string code;
  };
  const Case cases[] = {
      {"anonymous", kAnonymous, R"({"name":"x"})", 401, "UNAUTHORIZED"},
      {"guest cannot push", guest, R"({"name":"x"})", 403, "FORBIDDEN"},
      {"no name", dev, R"({})", 400, "BAD_REQUEST"},
      {"name not a string", dev, R"({"name":7})", 400, "BAD_REQUEST"},
      {"bad tag grammar", dev, R"({"name":".hidden"})", 400, "BAD_REQUEST"},
      {"too long", dev, json{{"name", std::string(129, 'a')}}.dump(), 400, "BAD_REQUEST"},
      {"tag on another artifact", dev, R"({"name":"v2"})", 409, "CONFLICT"},
      {"tag already here", dev, R"({"name":"v1"})", 409, "CONFLICT"},
      {"not JSON", dev, "name=x", 400, "BAD_REQUEST"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto r = Call("POST", tags, c.who, c.body);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(ErrorCodeOf(r), c.code);
  }
  // Nothing moved: v2 is still on its own artifact.
  EXPECT_NE(Body(Call("GET", "/projects/lib/repositories/app/artifacts/v2", dev))["digest"], d1);

  auto r = Call("POST", tags, dev, R"({"name":"stable"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.headers.Get("Location").value_or(""),
            "/api/v2.0/projects/lib/repositories/app/artifacts/" + d1 + "/tags/stable");
  auto art = Body(Call("GET", "/projects/lib/repositories/app/artifacts/stable", dev));
  EXPECT_EQ(art["digest"], d1);
  std::vector<std::string> names;
  for (const auto& t : art["tags"]) names.push_back(t["name"].get<std::string>());
  EXPECT_EQ(names, (std::vector<std::string>{"stable", "v1"}));
  // The registry serves the new tag: the same manifest bytes.
  auto repo = content_->ResolveRepository("lib/app", false);
  ASSERT_TRUE(repo);
  auto m = content_->GetManifest(*repo, Reference{"stable", false});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->digest.str(), d1);

  EXPECT_EQ(
      Call("POST", "/projects/lib/repositories/app/artifacts/nope/tags", dev, R"({"name":"x"})")
          .status,
      404);
}

TEST_F(ApiServiceTest, RepositoryDescription) {
  Caller dev = MakeUser("dev");
  Caller guest = MakeUser("guest");
  MakeProject(admin(), "lib", true);
  AddMember("lib", "dev", 2);
  PushImage("lib/app", "v1", "one");
  const std::string repo = "/projects/lib/repositories/app";

  EXPECT_EQ(Call("PUT", repo, kAnonymous, R"({"description":"x"})").status, 401);
  EXPECT_EQ(Call("PUT", repo, guest, R"({"description":"x"})").status, 403);
  EXPECT_EQ(Call("PUT", "/projects/lib/repositories/none", dev, R"({"description":"x"})").status,
            404);
  auto r = Call("PUT", repo, dev, R"({"description":7})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("description must be a string"), std::string::npos) << r.body;
  EXPECT_EQ(Body(Call("GET", repo, kAnonymous))["description"], "");

  // The other Repository fields are read-only and ignored.
  r = Call("PUT", repo, dev,
           R"({"description":"nightly builds","name":"lib/other","pull_count":9})");
  EXPECT_EQ(r.status, 200) << r.body;
  auto got = Body(Call("GET", repo, kAnonymous));
  EXPECT_EQ(got["description"], "nightly builds");
  EXPECT_EQ(got["name"], "lib/app");
  EXPECT_EQ(got["pull_count"], 0);
  // As Harbor: a body without description clears it.
  EXPECT_EQ(Call("PUT", repo, dev, "{}").status, 200);
  EXPECT_EQ(Body(Call("GET", repo, kAnonymous))["description"], "");
}

TEST_F(ApiServiceTest, ArtifactsOfAProject) {
  MakeProject(admin(), "lib", true);
  MakeProject(admin(), "team", false);
  std::string a1 = PushImage("lib/a", "v1", "a1");
  std::string a2 = PushImage("lib/a", "v2", "a2");
  std::string b1 = PushImage("lib/b", "v1", "b1");
  PushImage("team/c", "v1", "c1");
  // A Helm chart: an artifact with its own config media type.
  auto repo = content_->ResolveRepository("lib/charts", true);
  ASSERT_TRUE(repo);
  std::string chart_config = R"({"name":"web","version":"1.0.0"})";
  Digest cfg = PushBlob(*repo, chart_config);
  Digest layer = PushBlob(*repo, "chart-tgz");
  json chart = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.cncf.helm.config.v1+json"},
        {"digest", cfg.str()},
        {"size", chart_config.size()}}},
      {"layers", json::array({{{"mediaType", "application/vnd.cncf.helm.chart.content.v1.tar+gzip"},
                               {"digest", layer.str()},
                               {"size", 9}}})}};
  auto put = content_->PutManifest(*repo, Reference{"1.0.0", false}, chart.dump(),
                                   "application/vnd.oci.image.manifest.v1+json");
  ASSERT_TRUE(put) << put.error().message;
  const std::string c1 = put->digest.str();

  auto digests = [&](const std::string& query, const Caller& who = kAnonymous) {
    auto r = Call("GET", "/projects/lib/artifacts" + query, who);
    EXPECT_EQ(r.status, 200) << query << " " << r.body;
    std::vector<std::string> out;
    if (r.status == 200) {
      for (const auto& a : Body(r)) out.push_back(a["digest"].get<std::string>());
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(digests(""), (V{c1, b1, a2, a1}));  // newest first, across repositories
  EXPECT_EQ(digests("?q=artifact_type%3Dapplication/vnd.cncf.helm.config.v1%2Bjson"), V{c1});
  EXPECT_EQ(digests("?q=media_type%3D~helm"), V{c1});
  EXPECT_EQ(digests("?q=digest%3D" + a1), V{a1});
  EXPECT_EQ(digests("?q=artifact_type%3D~image.config&latest_in_repository=true"), (V{b1, a2}));
  // latest_in_repository without a type term changes nothing, as in Harbor.
  EXPECT_EQ(digests("?latest_in_repository=true").size(), 4u);

  auto r = Call("GET", "/projects/lib/artifacts?page=2&page_size=3", kAnonymous);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "4");
  auto page = Body(r);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0]["repository_name"], "lib/a");
  EXPECT_EQ(page[0]["tags"][0]["name"], "v1");
  r = Call("GET", "/projects/lib/artifacts?with_tag=false&page_size=1", kAnonymous);
  EXPECT_TRUE(Body(r)[0]["tags"].is_null());

  r = Call("GET", "/projects/lib/artifacts?q=size%3D3", kAnonymous);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("use media_type, artifact_type"), std::string::npos) << r.body;
  EXPECT_EQ(Call("GET", "/projects/team/artifacts", kAnonymous).status, 401);
  EXPECT_EQ(Call("GET", "/projects/nope/artifacts", admin()).status, 404);
  EXPECT_EQ(Call("GET", "/projects/team/artifacts", admin()).status, 200);
}

// As Harbor: media_type is the config's media type; artifact_type is artifactType.
TEST_F(ApiServiceTest, MediaTypeIsTheConfigsAndArtifactTypeTheManifests) {
  MakeProject(admin(), "lib", true);
  auto repo = content_->ResolveRepository("lib/art", true);
  ASSERT_TRUE(repo);
  Digest empty = PushBlob(*repo, "{}");
  Digest layer = PushBlob(*repo, "payload");
  json manifest = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"artifactType", "application/vnd.example.thing"},
      {"config",
       {{"mediaType", "application/vnd.oci.empty.v1+json"}, {"digest", empty.str()}, {"size", 2}}},
      {"layers",
       json::array(
           {{{"mediaType", "application/octet-stream"}, {"digest", layer.str()}, {"size", 7}}})}};
  ASSERT_TRUE(content_->PutManifest(*repo, Reference{"a1", false}, manifest.dump(),
                                    "application/vnd.oci.image.manifest.v1+json"));
  auto a = Body(Call("GET", "/projects/lib/repositories/art/artifacts/a1", kAnonymous));
  EXPECT_EQ(a["media_type"], "application/vnd.oci.empty.v1+json");
  EXPECT_EQ(a["artifact_type"], "application/vnd.example.thing");
  EXPECT_EQ(a["manifest_media_type"], "application/vnd.oci.image.manifest.v1+json");
  auto list =
      Body(Call("GET", "/projects/lib/artifacts?q=media_type%3Dapplication/vnd.oci.empty.v1%2Bjson",
                kAnonymous));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["digest"], a["digest"]);
}

}  // namespace
}  // namespace berth::api::test_support
