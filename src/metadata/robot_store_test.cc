#include "metadata/robot_store.h"

#include <gtest/gtest.h>

#include "metadata/stores.h"
#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

class RobotStoreTest : public testing::MigratedDatabaseTest {
 protected:
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    auto project = ProjectStore(*db_).Create(Project{.name = "team"});
    ASSERT_TRUE(project.has_value());
    team_ = project->id;
  }
  Robot Make(std::string name, std::string level, int64_t project_id,
             std::vector<RobotGrant> grants) {
    auto r = robots().Create(Robot{.name = std::move(name),
                                   .secret_hash = "hash",
                                   .level = std::move(level),
                                   .project_id = project_id,
                                   .permissions = R"([{"kind":"project"}])"},
                             grants);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r.value_or(Robot{});
  }
  RobotStore robots() { return RobotStore(*db_); }
  int64_t team_ = 0;
};

TEST_F(RobotStoreTest, CreateGetListUpdateDelete) {
  Robot ci = Make("robot$team+ci", "project", team_, {{team_, "pull"}, {team_, "push"}});
  Robot all = Make("robot$mirror", "system", 0, {{0, "pull"}});
  EXPECT_EQ(ci.level, "project");
  EXPECT_EQ(ci.expires_at, -1);
  EXPECT_FALSE(ci.disabled);
  EXPECT_FALSE(ci.creation_time.empty());
  EXPECT_EQ(robots().Create(ci, {}).error().code, ErrorCode::kConflict);

  EXPECT_EQ((*robots().GetByName("robot$team+ci"))->id, ci.id);
  EXPECT_EQ(*robots().GetByName("robot$none"), std::nullopt);
  EXPECT_EQ((*robots().Grants(ci.id)), (std::vector<RobotGrant>{{team_, "pull"}, {team_, "push"}}));

  auto page = robots().List(Page{1, 10}, "project", team_);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 1);
  EXPECT_EQ(robots().List(Page{1, 10}, "", 0)->total, 2);
  EXPECT_EQ(robots().List(Page{1, 10}, "", 0, "mirr")->items[0].id, all.id);

  ci.description = "the pipeline";
  ci.disabled = true;
  ASSERT_TRUE(robots().Update(ci, {{team_, "pull"}}));
  auto got = *robots().Get(ci.id);
  EXPECT_EQ(got->description, "the pipeline");
  EXPECT_TRUE(got->disabled);
  EXPECT_EQ(*robots().Grants(ci.id), (std::vector<RobotGrant>{{team_, "pull"}}));
  ASSERT_TRUE(robots().SetSecret(ci.id, "new-hash"));
  EXPECT_EQ((*robots().Get(ci.id))->secret_hash, "new-hash");

  ASSERT_TRUE(robots().Delete(all.id));
  EXPECT_EQ(robots().Delete(all.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(robots().SetSecret(all.id, "x").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(robots().Grants(all.id)->empty());
}

TEST_F(RobotStoreTest, DeletingAProjectTakesItsRobotsAndGrants) {
  Robot ci = Make("robot$team+ci", "project", team_, {{team_, "pull"}});
  Robot sys = Make("robot$sys", "system", 0, {{team_, "push"}, {0, "pull"}});
  ASSERT_TRUE(ProjectStore(*db_).Delete(team_));
  EXPECT_EQ(*robots().Get(ci.id), std::nullopt);
  ASSERT_TRUE(robots().Get(sys.id)->has_value());
  EXPECT_EQ(*robots().Grants(sys.id), (std::vector<RobotGrant>{{0, "pull"}}));
}

}  // namespace
}  // namespace berth::metadata
