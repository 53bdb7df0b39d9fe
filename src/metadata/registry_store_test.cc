#include "metadata/registry_store.h"

#include <gtest/gtest.h>

#include "metadata/migrate.h"
#include "metadata/sqlite_database.h"
#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

class RegistryStoreTest : public testing::MigratedDatabaseTest {
 protected:
  RegistryRecord Make(std::string name, std::string type = "harbor") {
    RegistryRecord r;
    r.name = std::move(name);
    r.type = std::move(type);
    r.url = "https://" + r.name + ".example.com";
    auto created = RegistryStore(*db_).Create(r);
    EXPECT_TRUE(created.has_value());
    return created.value_or(RegistryRecord{});
  }
};

TEST_F(RegistryStoreTest, CrudRoundTrip) {
  RegistryStore store(*db_);
  RegistryRecord r = Make("h1");
  EXPECT_GT(r.id, 0);
  EXPECT_FALSE(r.creation_time.empty());
  r.description = "d";
  r.insecure = true;
  r.access_secret = "<enc-v2>x";
  ASSERT_TRUE(store.Update(r).has_value());
  auto got = store.Get(r.id);
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ((*got)->description, "d");
  EXPECT_TRUE((*got)->insecure);
  EXPECT_EQ((*got)->access_secret, "<enc-v2>x");
  ASSERT_TRUE(store.SetHealth(r.id, "unhealthy", "refused", "t1").has_value());
  got = store.GetByName("h1");
  EXPECT_EQ((*got)->status, "unhealthy");
  EXPECT_EQ((*got)->last_error, "refused");
  EXPECT_EQ((*got)->last_checked, "t1");
  ASSERT_TRUE(store.Delete(r.id).has_value());
  EXPECT_EQ(store.Delete(r.id).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(store.Get(r.id)->has_value());
}

TEST_F(RegistryStoreTest, DuplicateNameIsConflict) {
  RegistryStore store(*db_);
  Make("dup");
  RegistryRecord r;
  r.name = "dup";
  auto again = store.Create(r);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message, "registry dup already exists");
  RegistryRecord other = Make("other");
  other.name = "dup";
  EXPECT_EQ(store.Update(other).error().code, ErrorCode::kConflict);
}

TEST_F(RegistryStoreTest, ListFiltersSortAndPage) {
  RegistryStore store(*db_);
  Make("alpha", "harbor");
  Make("Beta", "docker-hub");
  Make("gamma-harbor", "harbor");
  struct Case {
    std::vector<RegistryFilter> filters;
    std::string sort;
    Page page;
    int64_t total;
    std::vector<std::string> names;
  };
  const Case cases[] = {
      {{}, "", {1, 10}, 3, {"alpha", "Beta", "gamma-harbor"}},
      {{}, "-id", {1, 2}, 3, {"gamma-harbor", "Beta"}},
      {{}, "-id", {2, 2}, 3, {"alpha"}},
      {{{"type", "harbor", false}}, "", {1, 10}, 2, {"alpha", "gamma-harbor"}},
      {{{"name", "BETA", true}}, "", {1, 10}, 1, {"Beta"}},
      {{{"name", "beta", false}}, "", {1, 10}, 0, {}},
      {{{"url", "alpha", true}}, "", {1, 10}, 1, {"alpha"}},
      {{{"unknown", "x", false}}, "bogus,-name", {1, 10}, 3, {"gamma-harbor", "alpha", "Beta"}},
  };
  for (const auto& c : cases) {
    auto got = store.List(c.filters, c.sort, c.page);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(got->total, c.total);
    std::vector<std::string> names;
    for (const auto& r : got->items) names.push_back(r.name);
    EXPECT_EQ(names, c.names) << c.sort;
  }
  EXPECT_EQ(store.Ids()->size(), 3u);
}

TEST_F(RegistryStoreTest, References) {
  RegistryStore store(*db_);
  RegistryRecord r = Make("peer");
  EXPECT_EQ(store.PolicyReferences(r.id)->count, 0);
  ASSERT_TRUE(
      db_->Exec("INSERT INTO replication_policies (name, src_registry_id, creation_time, "
                "update_time) VALUES ('p1', ?, 'n', 'n')",
                {r.id}));
  ASSERT_TRUE(
      db_->Exec("INSERT INTO projects (name, registry_id, creation_time, update_time) "
                "VALUES ('cache', ?, 'n', 'n')",
                {r.id}));
  auto policies = store.PolicyReferences(r.id);
  EXPECT_EQ(policies->count, 1);
  EXPECT_EQ(policies->names, std::vector<std::string>{"p1"});
  auto projects = store.ProxyProjects(r.id);
  EXPECT_EQ(projects->count, 1);
  EXPECT_EQ(projects->names, std::vector<std::string>{"cache"});
  EXPECT_EQ(store.ProxyProjects(0)->count, 0);
}

}  // namespace
}  // namespace berth::metadata
