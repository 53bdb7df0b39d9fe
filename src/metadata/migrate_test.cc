#include "metadata/migrate.h"

#include <gtest/gtest.h>

#include "metadata/sqlite_database.h"
#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

std::unique_ptr<SqliteDatabase> OpenDb(const testing::TempDir& dir) {
  return std::move(*SqliteDatabase::Open((dir.path() / "m.db").string()));
}

TEST(Migrate, EmbeddedMigrationsAreOrdered) {
  auto all = EmbeddedMigrations();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all[0].version, 1);
  EXPECT_EQ(all[0].name, "init");
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].version, all[i].version);
}

TEST(Migrate, AppliesOnceAndCreatesTables) {
  testing::TempDir dir;
  auto db = OpenDb(dir);
  auto first = Migrate(*db);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, static_cast<int>(EmbeddedMigrations().size()));
  auto second = Migrate(*db);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, 0);
  EXPECT_EQ(*SchemaVersion(*db), EmbeddedMigrations().back().version);
  for (const char* table :
       {"projects", "repositories", "artifacts", "artifact_references", "tags", "blob_links",
        "users", "project_members", "uploads", "registries", "replication_policies"}) {
    auto row =
        db->QueryOne("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {table});
    ASSERT_TRUE(row);
    EXPECT_TRUE(row->has_value()) << table;
  }
}

TEST(Migrate, FailedMigrationLeavesPreviousVersion) {
  testing::TempDir dir;
  auto db = OpenDb(dir);
  const Migration migrations[] = {
      {1, "one", "CREATE TABLE a (x INTEGER);"},
      {2, "broken", "CREATE TABLE b (x INTEGER); THIS IS NOT SQL;"},
  };
  auto r = Migrate(*db, migrations);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("broken"), std::string::npos);
  EXPECT_EQ(*SchemaVersion(*db), 1);
  auto b = db->QueryOne("SELECT 1 FROM sqlite_master WHERE name = 'b'");
  EXPECT_FALSE(*b);  // rolled back with its migration
  const Migration fixed[] = {
      {1, "one", "CREATE TABLE a (x INTEGER);"},
      {2, "fixed", "CREATE TABLE b (x INTEGER);"},
  };
  auto again = Migrate(*db, fixed);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 1);
  EXPECT_EQ(*SchemaVersion(*db), 2);
}

}  // namespace
}  // namespace berth::metadata
