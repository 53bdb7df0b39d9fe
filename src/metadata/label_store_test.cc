#include "metadata/label_store.h"

#include <gtest/gtest.h>

#include "metadata/migrate.h"
#include "metadata/sqlite_database.h"
#include "metadata/stores.h"
#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

std::string D(char c) { return "sha256:" + std::string(64, c); }

std::vector<std::string> Names(const std::vector<Label>& labels) {
  std::vector<std::string> out;
  for (const auto& l : labels) out.push_back(l.name);
  return out;
}

class LabelStoreTest : public testing::MigratedDatabaseTest {
 protected:
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    auto project = ProjectStore(*db_).Create(Project{.name = "library"});
    ASSERT_TRUE(project.has_value());
    project_id_ = project->id;
    auto repo = ArtifactStore(*db_).EnsureRepository(project_id_, "library/app");
    ASSERT_TRUE(repo.has_value());
    repo_id_ = repo->id;
  }

  Label MakeLabel(std::string name, std::string scope = "g", int64_t project_id = 0) {
    Label l{.name = std::move(name),
            .description = "d",
            .color = "#112233",
            .scope = std::move(scope),
            .project_id = project_id};
    auto created = LabelStore(*db_).Create(l);
    EXPECT_TRUE(created.has_value());
    return created.value_or(Label{});
  }
  Artifact Put(char c, std::string tag) {
    auto a = ArtifactStore(*db_).PutManifest(
        Artifact{.repository_id = repo_id_, .digest = D(c), .size = 10}, {}, tag);
    EXPECT_TRUE(a.has_value());
    return a.value_or(Artifact{});
  }

  int64_t project_id_ = 0;
  int64_t repo_id_ = 0;
};

TEST_F(LabelStoreTest, CrudRoundTrip) {
  LabelStore store(*db_);
  Label l = MakeLabel("prod");
  EXPECT_GT(l.id, 0);
  EXPECT_EQ(l.scope, "g");
  EXPECT_EQ(l.project_id, 0);
  EXPECT_EQ(l.color, "#112233");
  EXPECT_FALSE(l.creation_time.empty());

  l.name = "production";
  l.description = "ships";
  l.color = "";
  ASSERT_TRUE(store.Update(l).has_value());
  auto got = store.Get(l.id);
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ((*got)->name, "production");
  EXPECT_EQ((*got)->description, "ships");
  EXPECT_EQ((*got)->color, "");

  ASSERT_TRUE(store.Delete(l.id).has_value());
  EXPECT_EQ(store.Delete(l.id).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(store.Get(l.id)->has_value());
  EXPECT_EQ(store.Update(l).error().code, ErrorCode::kNotFound);
}

TEST_F(LabelStoreTest, GlobalLabelsIgnoreTheProject) {
  Label l = MakeLabel("g1", "g", project_id_);
  EXPECT_EQ(l.project_id, 0);
}

TEST_F(LabelStoreTest, ConflictsPerScopeAndProject) {
  LabelStore store(*db_);
  MakeLabel("dup");
  MakeLabel("dup", "p", project_id_);  // same name, other scope
  MakeLabel("dup", "p", project_id_ + 1);
  auto again = store.Create(Label{.name = "dup"});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message, "label dup already exists");
  auto again_p = store.Create(Label{.name = "dup", .scope = "p", .project_id = project_id_});
  EXPECT_EQ(again_p.error().code, ErrorCode::kConflict);

  Label other = MakeLabel("other");
  other.name = "dup";
  EXPECT_EQ(store.Update(other).error().code, ErrorCode::kConflict);
}

TEST_F(LabelStoreTest, ListFiltersAndPages) {
  LabelStore store(*db_);
  MakeLabel("alpha");
  MakeLabel("beta");
  MakeLabel("Alphabet", "p", project_id_);
  MakeLabel("gamma_1", "p", project_id_);
  MakeLabel("alpha", "p", project_id_ + 1);
  struct Case {
    Page page;
    std::string scope;
    int64_t project_id;
    std::string exact;
    std::string like;
    int64_t total;
    std::vector<std::string> names;
  };
  const Case cases[] = {
      {.page = {1, 0}, .total = 5, .names = {"alpha", "beta", "Alphabet", "gamma_1", "alpha"}},
      {.page = {2, 2}, .total = 5, .names = {"Alphabet", "gamma_1"}},
      {.page = {1, 10}, .scope = "g", .total = 2, .names = {"alpha", "beta"}},
      {.page = {1, 10},
       .scope = "p",
       .project_id = project_id_,
       .total = 2,
       .names = {"Alphabet", "gamma_1"}},
      {.page = {1, 10}, .scope = "p", .total = 3, .names = {"Alphabet", "gamma_1", "alpha"}},
      {.page = {1, 10}, .exact = "alpha", .total = 2, .names = {"alpha", "alpha"}},
      {.page = {1, 10}, .scope = "g", .like = "ALP", .total = 1, .names = {"alpha"}},
      {.page = {1, 10}, .like = "a_", .total = 1, .names = {"gamma_1"}},
      {.page = {1, 10}, .like = "ha_", .total = 0, .names = {}},
  };
  for (const auto& c : cases) {
    auto got = store.List(c.page, c.scope, c.project_id, c.exact, c.like);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->total, c.total) << c.scope << "/" << c.exact << "/" << c.like;
    EXPECT_EQ(Names(got->items), c.names) << c.scope << "/" << c.exact << "/" << c.like;
  }
}

TEST_F(LabelStoreTest, AttachDetachAndLabelsOf) {
  LabelStore store(*db_);
  Label prod = MakeLabel("prod");
  Label beta = MakeLabel("beta", "p", project_id_);
  Artifact a = Put('a', "v1");
  Artifact b = Put('b', "v2");

  ASSERT_TRUE(store.Attach(a.id, prod.id).has_value());
  ASSERT_TRUE(store.Attach(a.id, beta.id).has_value());
  ASSERT_TRUE(store.Attach(b.id, prod.id).has_value());
  auto dup = store.Attach(a.id, prod.id);
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  EXPECT_EQ(store.Attach(999, prod.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store.Attach(a.id, 999).error().code, ErrorCode::kNotFound);

  auto of_a = store.LabelsOf(a.id);
  ASSERT_TRUE(of_a.has_value());
  EXPECT_EQ(Names(*of_a), (std::vector<std::string>{"beta", "prod"}));
  EXPECT_EQ((*of_a)[0].scope, "p");
  EXPECT_EQ((*of_a)[0].project_id, project_id_);

  ASSERT_TRUE(store.Detach(a.id, beta.id).has_value());
  EXPECT_EQ(store.Detach(a.id, beta.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Names(*store.LabelsOf(a.id)), (std::vector<std::string>{"prod"}));
  EXPECT_TRUE(store.LabelsOf(999)->empty());
}

TEST_F(LabelStoreTest, LabelNamesInRepository) {
  LabelStore store(*db_);
  Label prod = MakeLabel("prod");
  Label beta = MakeLabel("beta", "p", project_id_);
  Artifact a = Put('a', "v1");
  Artifact b = Put('b', "v2");
  Put('c', "v3");  // unlabelled
  auto other_repo = ArtifactStore(*db_).EnsureRepository(project_id_, "library/other");
  ASSERT_TRUE(other_repo.has_value());
  auto elsewhere = ArtifactStore(*db_).PutManifest(
      Artifact{.repository_id = other_repo->id, .digest = D('a')}, {}, "v1");
  ASSERT_TRUE(elsewhere.has_value());
  ASSERT_TRUE(store.Attach(a.id, prod.id).has_value());
  ASSERT_TRUE(store.Attach(a.id, beta.id).has_value());
  ASSERT_TRUE(store.Attach(b.id, prod.id).has_value());
  ASSERT_TRUE(store.Attach(elsewhere->id, prod.id).has_value());

  auto names = store.LabelNamesInRepository(repo_id_);
  ASSERT_TRUE(names.has_value());
  std::map<int64_t, std::vector<std::string>> want = {{a.id, {"beta", "prod"}}, {b.id, {"prod"}}};
  EXPECT_EQ(*names, want);
  EXPECT_TRUE(store.LabelNamesInRepository(999)->empty());
}

TEST_F(LabelStoreTest, DeletingALabelDetachesIt) {
  LabelStore store(*db_);
  Label prod = MakeLabel("prod");
  Label keep = MakeLabel("keep");
  Artifact a = Put('a', "v1");
  ASSERT_TRUE(store.Attach(a.id, prod.id).has_value());
  ASSERT_TRUE(store.Attach(a.id, keep.id).has_value());
  ASSERT_TRUE(store.Delete(prod.id).has_value());
  EXPECT_EQ(Names(*store.LabelsOf(a.id)), (std::vector<std::string>{"keep"}));
}

TEST_F(LabelStoreTest, DeletingAnArtifactDropsItsAttachments) {
  LabelStore store(*db_);
  Label prod = MakeLabel("prod");
  Artifact a = Put('a', "v1");
  Artifact b = Put('b', "v2");
  ASSERT_TRUE(store.Attach(a.id, prod.id).has_value());
  ASSERT_TRUE(store.Attach(b.id, prod.id).has_value());
  ASSERT_TRUE(ArtifactStore(*db_).DeleteArtifact(repo_id_, a.digest).has_value());
  auto left = db_->QueryOne("SELECT COUNT(*) FROM artifact_labels WHERE artifact_id = ?", {a.id});
  EXPECT_EQ((*left)->Int(0), 0);
  EXPECT_EQ(Names(*store.LabelsOf(b.id)), (std::vector<std::string>{"prod"}));

  // Deleting the repository removes its artifacts and their attachments too.
  ASSERT_TRUE(ArtifactStore(*db_).DeleteRepository(repo_id_).has_value());
  EXPECT_TRUE(store.LabelsOf(b.id)->empty());
  EXPECT_TRUE(store.Get(prod.id)->has_value());
}

}  // namespace
}  // namespace berth::metadata
