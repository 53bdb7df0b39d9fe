#include "metadata/proxy_cache_store.h"

#include <gtest/gtest.h>

#include "metadata/migrate.h"
#include "metadata/sqlite_database.h"
#include "metadata/stores.h"
#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

std::string D(char c) { return "sha256:" + std::string(64, c); }

std::vector<std::string> Digests(const std::vector<CachedItem>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.repository + "@" + i.digest.substr(7, 1));
  return out;
}

class ProxyCacheStoreTest : public testing::MigratedDatabaseTest {
 protected:
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    artifacts_ = std::make_unique<ArtifactStore>(*db_);
    store_ = std::make_unique<ProxyCacheStore>(*db_);
    auto cache = ProjectStore(*db_).Create(Project{.name = "cache", .registry_id = 1});
    auto local = ProjectStore(*db_).Create(Project{.name = "local"});
    ASSERT_TRUE(cache.has_value() && local.has_value());
    cache_repo_ = artifacts_->EnsureRepository(cache->id, "cache/app")->id;
    local_repo_ = artifacts_->EnsureRepository(local->id, "local/app")->id;
  }

  // An artifact with manifest `m` naming blob `b`, linked as a push would, at `when`.
  void Put(int64_t repo, char m, char b, const std::string& when) {
    ASSERT_TRUE(artifacts_->LinkBlob(repo, D(b), 10));
    ASSERT_TRUE(artifacts_->LinkBlob(repo, D(m), 5));
    Artifact a{.repository_id = repo, .digest = D(m), .size = 5, .push_time = when};
    ASSERT_TRUE(artifacts_->PutManifest(a, {{D(b), 10, false}}, "").has_value());
    ASSERT_TRUE(
        db_->Exec("UPDATE blob_links SET creation_time = ? WHERE repository_id = ?", {when, repo}));
  }

  std::unique_ptr<ArtifactStore> artifacts_;
  std::unique_ptr<ProxyCacheStore> store_;
  int64_t cache_repo_ = 0, local_repo_ = 0;
};

TEST_F(ProxyCacheStoreTest, OnlyProxyArtifactsUnusedSinceTheCutoffExpire) {
  Put(cache_repo_, 'a', '1', "2026-01-01T00:00:00.000Z");
  Put(local_repo_, 'b', '2', "2026-01-01T00:00:00.000Z");  // a normal project: never
  Put(cache_repo_, 'c', '3', "2026-01-01T00:00:00.000Z");
  ASSERT_TRUE(db_->Exec("UPDATE artifacts SET pull_time = ? WHERE digest = ?",
                        {"2026-06-01T00:00:00.000Z", D('c')}));  // pulled since
  auto unused = store_->ArtifactsUnusedSince("2026-03-01T00:00:00.000Z");
  ASSERT_TRUE(unused.has_value());
  EXPECT_EQ(Digests(*unused), std::vector<std::string>{"cache/app@a"});

  // Pulled between the listing and the deletion: kept.
  ASSERT_TRUE(db_->Exec("UPDATE artifacts SET pull_time = ? WHERE digest = ?",
                        {"2026-06-01T00:00:00.000Z", D('a')}));
  auto kept = store_->DeleteArtifactUnusedSince(cache_repo_, D('a'), "2026-03-01T00:00:00.000Z");
  ASSERT_TRUE(kept.has_value());
  EXPECT_FALSE(*kept);
  auto gone = store_->DeleteArtifactUnusedSince(cache_repo_, D('a'), "2026-07-01T00:00:00.000Z");
  ASSERT_TRUE(gone.has_value());
  EXPECT_TRUE(*gone);
  EXPECT_FALSE(artifacts_->GetArtifact(cache_repo_, D('a'))->has_value());
}

TEST_F(ProxyCacheStoreTest, LinksNoArtifactNamesAreUnlinkedThenEmptyRepositoriesGo) {
  Put(cache_repo_, 'a', '1', "2026-01-01T00:00:00.000Z");
  Put(local_repo_, 'b', '1', "2026-01-01T00:00:00.000Z");
  const std::string cutoff = "2026-03-01T00:00:00.000Z";
  auto links = store_->LinksUnusedSince(cutoff);
  ASSERT_TRUE(links.has_value());
  EXPECT_TRUE(links->empty());  // the artifact still names both

  ASSERT_TRUE(*store_->DeleteArtifactUnusedSince(cache_repo_, D('a'), cutoff));
  links = store_->LinksUnusedSince(cutoff);
  ASSERT_TRUE(links.has_value());
  EXPECT_EQ(Digests(*links), (std::vector<std::string>{"cache/app@1", "cache/app@a"}));
  for (const auto& l : *links) {
    auto unlinked = store_->UnlinkUnreferenced(l.repository_id, l.digest);
    ASSERT_TRUE(unlinked.has_value());
    EXPECT_TRUE(*unlinked);
  }
  EXPECT_TRUE(*store_->IsLinkedAnywhere(D('1')));  // the normal project still has it
  EXPECT_FALSE(*store_->IsLinkedAnywhere(D('a')));
  // Only repositories older than the cutoff: one made just now may be about to be filled.
  auto young = store_->DeleteEmptyRepositories(cutoff);
  ASSERT_TRUE(young.has_value());
  EXPECT_EQ(*young, 0);
  auto removed = store_->DeleteEmptyRepositories("9999-01-01T00:00:00.000Z");
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(artifacts_->GetRepository("cache/app")->has_value());
  EXPECT_TRUE(artifacts_->GetRepository("local/app")->has_value());
}

TEST_F(ProxyCacheStoreTest, RecentLinksStay) {
  Put(cache_repo_, 'a', '1', "2026-05-01T00:00:00.000Z");
  ASSERT_TRUE(db_->Exec("DELETE FROM artifacts"));
  auto links = store_->LinksUnusedSince("2026-03-01T00:00:00.000Z");
  ASSERT_TRUE(links.has_value());
  EXPECT_TRUE(links->empty());
}

}  // namespace
}  // namespace berth::metadata
