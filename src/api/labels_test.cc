// /labels and artifact labels through ApiService::Handle.
#include <set>

#include "api/api_test_fixture.h"
#include "metadata/label_store.h"

namespace berth::api {
namespace {

using test_support::ApiServiceTest;
using test_support::Caller;
using test_support::json;
using test_support::kAnonymous;

class LabelsApiTest : public ApiServiceTest {
 protected:
  void SetUp() override {
    ApiServiceTest::SetUp();
    labels_ = std::make_unique<metadata::LabelStore>(*db_);
    ApiOptions options;
    api_ = std::make_unique<ApiService>(*auth_, *projects_, *artifacts_, *users_, *content_,
                                        options, EndpointDeps{},
                                        ReplicationDeps{nullptr, labels_.get(), nullptr});
  }
  void TearDown() override {
    api_.reset();
    labels_.reset();
    ApiServiceTest::TearDown();
  }

  // Creates a label and returns its id.
  int64_t CreateLabel(const Caller& who, json body) {
    auto r = Call("POST", "/labels", who, body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    auto location = std::string(r.headers.Get("Location").value_or(""));
    EXPECT_TRUE(location.starts_with("/api/v2.0/labels/")) << location;
    return ParseInt(location.substr(location.rfind('/') + 1)).value_or(0);
  }

  void AddMember(int64_t project_id, const std::string& user, int role) {
    auto r = Call("POST", "/projects/" + std::to_string(project_id) + "/members", admin(),
                  json{{"role_id", role}, {"member_user", {{"username", user}}}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }

  std::unique_ptr<metadata::LabelStore> labels_;
};

TEST_F(LabelsApiTest, GlobalLabelCrudAndShape) {
  int64_t id = CreateLabel(
      admin(), {{"name", "prod"}, {"color", "#00FF00"}, {"scope", "g"}, {"description", "ready"}});
  auto r = Call("GET", "/labels/" + std::to_string(id), admin());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["name"], "prod");
  EXPECT_EQ(j["color"], "#00FF00");
  EXPECT_EQ(j["description"], "ready");
  EXPECT_EQ(j["scope"], "g");
  EXPECT_EQ(j["project_id"], 0);
  EXPECT_TRUE(j.contains("creation_time"));
  EXPECT_TRUE(j.contains("update_time"));

  r = Call("PUT", "/labels/" + std::to_string(id), admin(), R"({"description":"shipped"})");
  ASSERT_EQ(r.status, 200) << r.body;
  j = Body(Call("GET", "/labels/" + std::to_string(id), admin()));
  EXPECT_EQ(j["name"], "prod");  // unchanged: not in the body
  EXPECT_EQ(j["description"], "shipped");

  EXPECT_EQ(Call("DELETE", "/labels/" + std::to_string(id), admin()).status, 200);
  EXPECT_EQ(Call("GET", "/labels/" + std::to_string(id), admin()).status, 404);
}

TEST_F(LabelsApiTest, ListFiltersAndPages) {
  int64_t project = MakeProject(admin(), "team", false);
  for (std::string name : {"alpha", "beta", "gamma"}) {
    CreateLabel(admin(), {{"name", name}, {"scope", "g"}});
  }
  CreateLabel(admin(), {{"name", "alpha"}, {"scope", "p"}, {"project_id", project}});

  auto r = Call("GET", "/labels?scope=g&page_size=2", admin());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).size(), 2u);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "3");
  EXPECT_NE(std::string(r.headers.Get("Link").value_or("")).find("rel=\"next\""),
            std::string::npos);

  struct Case {
    std::string query;
    size_t count;
  };
  const std::string p = std::to_string(project);
  const Case cases[] = {
      {"scope=g&name=a", 3},          // fuzzy: alpha, beta, gamma
      {"scope=g&q=name%3Dalpha", 1},  // exact
      {"scope=g&q=name%3D~amm", 1},
      {"scope=p&project_id=" + p, 1},
      {"scope=p&project_id=" + p + "&name=zzz", 0},
      {"", 3},  // scope defaults to global
  };
  for (const auto& c : cases) {
    auto got = Call("GET", "/labels?" + c.query, admin());
    ASSERT_EQ(got.status, 200) << c.query << " " << got.body;
    EXPECT_EQ(Body(got).size(), c.count) << c.query;
  }
  EXPECT_EQ(Call("GET", "/labels?scope=x", admin()).status, 400);
  EXPECT_EQ(Call("GET", "/labels?scope=p", admin()).status, 400);
  EXPECT_EQ(Call("GET", "/labels?scope=p&project_id=999", admin()).status, 404);
  EXPECT_EQ(Call("GET", "/labels?page_size=101", admin()).status, 422);
}

TEST_F(LabelsApiTest, ErrorsTable) {
  int64_t project = MakeProject(admin(), "team", false);
  CreateLabel(admin(), {{"name", "dup"}, {"scope", "g"}});
  struct Case {
    std::string method, target, body;
    int status;
    std::string code;
  };
  const Case cases[] = {
      {"POST", "/labels", R"({"scope":"g"})", 400, "BAD_REQUEST"},
      {"POST", "/labels", R"({"name":"x","scope":"q"})", 400, "BAD_REQUEST"},
      {"POST", "/labels", R"({"name":5})", 400, "BAD_REQUEST"},
      {"POST", "/labels", "not json", 400, "BAD_REQUEST"},
      {"POST", "/labels", R"({"name":"x","scope":"p"})", 400, "BAD_REQUEST"},
      {"POST", "/labels", R"({"name":"x","scope":"p","project_id":999})", 404, "NOT_FOUND"},
      {"POST", "/labels", R"({"name":"dup","scope":"g"})", 409, "CONFLICT"},
      {"POST", "/labels", json{{"name", "dup"}, {"scope", "p"}, {"project_id", project}}.dump(),
       201, ""},
      {"GET", "/labels/999", "", 404, "NOT_FOUND"},
      {"GET", "/labels/abc", "", 422, "UNPROCESSABLE_ENTITY"},
      {"GET", "/labels/0", "", 422, "UNPROCESSABLE_ENTITY"},
      {"PUT", "/labels/999", "{}", 404, "NOT_FOUND"},
      {"DELETE", "/labels/999", "", 404, "NOT_FOUND"},
  };
  for (const auto& c : cases) {
    auto r = Call(c.method, c.target, admin(), c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body << " " << r.body;
    if (r.status >= 400) EXPECT_EQ(ErrorCodeOf(r), c.code) << c.target;
  }
}

TEST_F(LabelsApiTest, Permissions) {
  int64_t project = MakeProject(admin(), "team", false);
  auto owner = MakeUser("olivia");
  auto dev = MakeUser("dave");
  auto stranger = MakeUser("sam");
  AddMember(project, "olivia", 1);  // project admin
  AddMember(project, "dave", 2);    // developer
  const json project_label = {{"name", "team-only"}, {"scope", "p"}, {"project_id", project}};
  const json global_label = {{"name", "global"}, {"scope", "g"}};

  EXPECT_EQ(Call("POST", "/labels", kAnonymous, global_label.dump()).status, 401);
  EXPECT_EQ(Call("POST", "/labels", owner, global_label.dump()).status, 403);
  EXPECT_EQ(Call("POST", "/labels", dev, project_label.dump()).status, 403);
  EXPECT_EQ(Call("POST", "/labels", stranger, project_label.dump()).status, 403);
  int64_t p = CreateLabel(owner, project_label);
  int64_t g = CreateLabel(admin(), global_label);

  const std::string pl = "/labels/" + std::to_string(p), gl = "/labels/" + std::to_string(g);
  EXPECT_EQ(Call("GET", gl, kAnonymous).status, 401);
  EXPECT_EQ(Call("GET", gl, stranger).status, 200);
  EXPECT_EQ(Call("GET", pl, dev).status, 200);
  EXPECT_EQ(Call("GET", pl, stranger).status, 403);
  EXPECT_EQ(Call("GET", "/labels?scope=p&project_id=" + std::to_string(project), stranger).status,
            403);
  EXPECT_EQ(Call("PUT", gl, owner, R"({"color":"#000000"})").status, 403);
  EXPECT_EQ(Call("PUT", pl, dev, R"({"color":"#000000"})").status, 403);
  EXPECT_EQ(Call("PUT", pl, owner, R"({"color":"#000000"})").status, 200);
  EXPECT_EQ(Call("DELETE", pl, dev).status, 403);
  EXPECT_EQ(Call("DELETE", gl, owner).status, 403);
  EXPECT_EQ(Call("DELETE", pl, owner).status, 200);
}

TEST_F(LabelsApiTest, ArtifactLabelsAttachListFilterDetach) {
  int64_t project = MakeProject(admin(), "team", false);
  int64_t other = MakeProject(admin(), "other", false);
  std::string first = PushImage("team/app", "v1", "one");
  PushImage("team/app", "v2", "two");
  int64_t prod = CreateLabel(admin(), {{"name", "prod"}, {"scope", "g"}});
  int64_t mine = CreateLabel(admin(), {{"name", "mine"}, {"scope", "p"}, {"project_id", project}});
  int64_t theirs =
      CreateLabel(admin(), {{"name", "theirs"}, {"scope", "p"}, {"project_id", other}});
  const std::string v1 = "/projects/team/repositories/app/artifacts/v1/labels";

  EXPECT_EQ(Call("POST", v1, admin(), json{{"id", prod}}.dump()).status, 200);
  EXPECT_EQ(Call("POST", v1, admin(), json{{"id", mine}}.dump()).status, 200);
  auto r = Call("POST", v1, admin(), json{{"id", prod}}.dump());
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(Call("POST", v1, admin(), json{{"id", theirs}}.dump()).status, 400);
  EXPECT_EQ(Call("POST", v1, admin(), json{{"id", 999}}.dump()).status, 404);
  EXPECT_EQ(Call("POST", v1, admin(), "{}").status, 400);
  EXPECT_EQ(Call("POST", "/projects/team/repositories/app/artifacts/nope/labels", admin(),
                 json{{"id", prod}}.dump())
                .status,
            404);
  auto reader = MakeUser("rita");
  auto add = Call("POST", "/projects/" + std::to_string(project) + "/members", admin(),
                  json{{"role_id", 3}, {"member_user", {{"username", "rita"}}}}.dump());
  ASSERT_EQ(add.status, 201) << add.body;
  EXPECT_EQ(Call("POST", v1, reader, json{{"id", prod}}.dump()).status, 403);

  // with_label shows them; without, labels stay null.
  r = Call("GET", "/projects/team/repositories/app/artifacts/v1?with_label=true", admin());
  ASSERT_EQ(r.status, 200) << r.body;
  json labels = Body(r)["labels"];
  ASSERT_EQ(labels.size(), 2u) << labels;
  std::set<std::string> names;
  for (const auto& l : labels) names.insert(l["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"mine", "prod"}));
  EXPECT_TRUE(Body(Call("GET", "/projects/team/repositories/app/artifacts/v1", admin()))["labels"]
                  .is_null());

  // q=labels=(...) keeps the artifacts carrying every listed label.
  const std::string list = "/projects/team/repositories/app/artifacts";
  r = Call("GET", list + "?with_label=true&q=labels%3D(" + std::to_string(prod) + ")", admin());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(Body(r).size(), 1u);
  EXPECT_EQ(Body(r)[0]["digest"], first);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "1");
  r = Call("GET",
           list + "?q=labels%3D(" + std::to_string(prod) + "%20" + std::to_string(theirs) + ")",
           admin());
  EXPECT_EQ(Body(r).size(), 0u);
  EXPECT_EQ(Body(Call("GET", list, admin())).size(), 2u);
  EXPECT_EQ(Call("GET", list + "?q=labels%3D(x)", admin()).status, 400);

  EXPECT_EQ(Call("DELETE", v1 + "/" + std::to_string(prod), admin()).status, 200);
  EXPECT_EQ(Call("DELETE", v1 + "/" + std::to_string(prod), admin()).status, 404);
  // Deleting a label detaches it.
  EXPECT_EQ(Call("DELETE", "/labels/" + std::to_string(mine), admin()).status, 200);
  EXPECT_TRUE(Body(Call("GET", list + "/v1?with_label=true", admin()))["labels"].is_null());
}

}  // namespace
}  // namespace berth::api
