#include "metadata/stores.h"

#include <gtest/gtest.h>

#include <regex>

#include "metadata/migrate.h"
#include "metadata/sqlite_database.h"
#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

using Strings = std::vector<std::string>;

std::string D(char c) { return "sha256:" + std::string(64, c); }

class StoresTest : public testing::MigratedDatabaseTest {
 protected:
  int64_t NewProject(const std::string& name, bool is_public = false) {
    auto p = projects().Create(Project{.name = name, .is_public = is_public});
    EXPECT_TRUE(p) << p.error().message;
    return p ? p->id : 0;
  }
  int64_t NewRepo(int64_t project_id, const std::string& name) {
    auto r = artifacts().EnsureRepository(project_id, name);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->id : 0;
  }
  Artifact Put(int64_t repo, const std::string& digest, const std::string& tag,
               std::string subject = "", std::string type = "",
               std::vector<ManifestReference> refs = {}) {
    auto a =
        artifacts().PutManifest(Artifact{.repository_id = repo,
                                         .digest = digest,
                                         .media_type = "application/vnd.oci.image.manifest.v1+json",
                                         .artifact_type = std::move(type),
                                         .size = 100,
                                         .subject = std::move(subject)},
                                refs, tag);
    EXPECT_TRUE(a) << a.error().message;
    return a ? *a : Artifact{};
  }

  ProjectStore projects() { return ProjectStore(*db_); }
  ArtifactStore artifacts() { return ArtifactStore(*db_); }
  UserStore users() { return UserStore(*db_); }
};

// ---- projects ----

TEST_F(StoresTest, ProjectCreateGetConflict) {
  auto p = projects().Create(Project{.name = "library", .is_public = true, .owner_id = 1});
  ASSERT_TRUE(p);
  EXPECT_GT(p->id, 0);
  EXPECT_TRUE(p->is_public);
  EXPECT_TRUE(
      std::regex_match(p->creation_time, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << p->creation_time;
  auto dup = projects().Create(Project{.name = "library"});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  EXPECT_EQ((*projects().GetByName("library"))->id, p->id);
  EXPECT_EQ((*projects().Get(p->id))->name, "library");
  EXPECT_EQ(*projects().Get(999), std::nullopt);
  EXPECT_EQ(*projects().GetByName("nope"), std::nullopt);
}

TEST_F(StoresTest, ProjectListPaginationAndFilters) {
  for (int i = 0; i < 25; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "proj%02d", i);
    NewProject(name, i % 5 == 0);
  }
  NewProject("a_b");
  NewProject("axb");
  struct Case {
    Page page;
    std::string like;
    std::optional<bool> is_public;
    int64_t total;
    size_t items;
    std::string first;
  };
  const Case cases[] = {
      {{1, 10}, "", std::nullopt, 27, 10, "proj00"},
      {{3, 10}, "", std::nullopt, 27, 7, "proj20"},
      {{4, 10}, "", std::nullopt, 27, 0, ""},
      {{1, 0}, "", std::nullopt, 27, 27, "proj00"},  // page_size 0: everything
      {{1, 10}, "proj1", std::nullopt, 10, 10, "proj10"},
      {{1, 10}, "j2", std::nullopt, 5, 5, "proj20"},
      {{1, 10}, "", true, 5, 5, "proj00"},
      {{1, 10}, "proj0", false, 8, 8, "proj01"},
      {{1, 10}, "a_b", std::nullopt, 1, 1, "a_b"},  // '_' is literal
      {{1, 10}, "%", std::nullopt, 0, 0, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.like + " page " + std::to_string(c.page.page));
    auto r = projects().List(c.page, c.like, c.is_public);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->total, c.total);
    ASSERT_EQ(r->items.size(), c.items);
    if (c.items) {
      EXPECT_EQ(r->items[0].name, c.first);
    }
  }
}

TEST_F(StoresTest, ProjectUpdateAndDelete) {
  int64_t id = NewProject("one");
  NewProject("two");
  auto p = **projects().Get(id);
  p.is_public = true;
  EXPECT_EQ(p.proxy_speed_kb, -1);
  EXPECT_EQ(p.max_upstream_conn, -1);
  p.registry_id = 7;
  p.proxy_speed_kb = 2048;
  p.max_upstream_conn = 3;
  ASSERT_TRUE(projects().Update(p));
  auto got = **projects().Get(id);
  EXPECT_TRUE(got.is_public);
  EXPECT_EQ(got.registry_id, 7);
  EXPECT_EQ(got.proxy_speed_kb, 2048);
  EXPECT_EQ(got.max_upstream_conn, 3);
  p.name = "two";
  EXPECT_EQ(projects().Update(p).error().code, ErrorCode::kConflict);
  p.id = 999;
  p.name = "x";
  EXPECT_EQ(projects().Update(p).error().code, ErrorCode::kNotFound);

  int64_t repo = NewRepo(id, "one/app");
  EXPECT_EQ(*projects().RepositoryCount(id), 1);
  EXPECT_EQ(projects().Delete(id).error().code, ErrorCode::kPrecondition);
  ASSERT_TRUE(artifacts().DeleteRepository(repo));
  ASSERT_TRUE(projects().Delete(id));
  EXPECT_EQ(*projects().Get(id), std::nullopt);
  EXPECT_EQ(projects().Delete(id).error().code, ErrorCode::kNotFound);
}

// ---- repositories, catalog, blob links ----

TEST_F(StoresTest, RepositoriesAndCatalog) {
  int64_t lib = NewProject("library");
  int64_t other = NewProject("other");
  int64_t id = NewRepo(lib, "library/nginx");
  EXPECT_EQ(NewRepo(lib, "library/nginx"), id);  // idempotent
  NewRepo(lib, "library/alpine");
  NewRepo(lib, "library/Zeta");
  NewRepo(other, "other/a-b");
  NewRepo(other, "other/a");
  NewRepo(other, "other/a/b");
  struct Case {
    std::string last;
    int64_t n;
    Strings want;
  };
  const Case cases[] = {
      {"",
       -1,
       {"library/Zeta", "library/alpine", "library/nginx", "other/a", "other/a-b",
        "other/a/b"}},  // byte order: 'Z' < 'a', '-' < '/'
      {"", 2, {"library/Zeta", "library/alpine"}},
      {"library/alpine", 2, {"library/nginx", "other/a"}},
      {"other/a", -1, {"other/a-b", "other/a/b"}},
      {"zzz", 5, {}},
      {"", 0, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.last + "/" + std::to_string(c.n));
    EXPECT_EQ(*artifacts().Catalog(c.last, c.n), c.want);
  }
  auto page = artifacts().ListRepositories(lib, Page{1, 2});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 3);
  ASSERT_EQ(page->items.size(), 2u);
  // Newest first, as Harbor lists them.
  EXPECT_EQ(page->items[0].name, "library/Zeta");
  EXPECT_EQ(page->items[1].name, "library/alpine");
  auto filtered = artifacts().ListRepositories(lib, Page{1, 10}, "ngi");
  EXPECT_EQ(filtered->total, 1);
  EXPECT_EQ(filtered->items[0].name, "library/nginx");

  ASSERT_TRUE(artifacts().IncrementPullCount(id));
  ASSERT_TRUE(artifacts().IncrementPullCount(id));
  EXPECT_EQ((*artifacts().GetRepository("library/nginx"))->pull_count, 2);
  EXPECT_EQ(*artifacts().GetRepository("library/none"), std::nullopt);
  EXPECT_EQ(artifacts().EnsureRepository(999, "ghost/repo").error().code, ErrorCode::kNotFound);
}

TEST_F(StoresTest, BlobLinks) {
  int64_t p = NewProject("p");
  int64_t a = NewRepo(p, "p/a");
  int64_t b = NewRepo(p, "p/b");
  EXPECT_EQ(*artifacts().LinkedBlobSize(a, D('1')), std::nullopt);
  EXPECT_FALSE(*artifacts().IsBlobLinkedAnywhere(D('1')));
  ASSERT_TRUE(artifacts().LinkBlob(a, D('1'), 42));
  ASSERT_TRUE(artifacts().LinkBlob(a, D('1'), 42));  // idempotent
  EXPECT_EQ(*artifacts().LinkedBlobSize(a, D('1')), 42);
  EXPECT_EQ(*artifacts().LinkedBlobSize(b, D('1')), std::nullopt);
  EXPECT_TRUE(*artifacts().IsBlobLinkedAnywhere(D('1')));
  ASSERT_TRUE(artifacts().UnlinkBlob(a, D('1')));
  EXPECT_FALSE(*artifacts().IsBlobLinkedAnywhere(D('1')));
  EXPECT_EQ(artifacts().LinkBlob(999, D('2'), 1).error().code, ErrorCode::kNotFound);
}

TEST_F(StoresTest, RepositoryDescription) {
  int64_t id = NewRepo(NewProject("p"), "p/app");
  ASSERT_TRUE(artifacts().SetRepositoryDescription(id, "the app, built nightly"));
  EXPECT_EQ((*artifacts().GetRepository("p/app"))->description, "the app, built nightly");
  EXPECT_EQ(artifacts().SetRepositoryDescription(999, "x").error().code, ErrorCode::kNotFound);
}

TEST_F(StoresTest, StorageConsumptionCountsEachDigestOnce) {
  EXPECT_EQ(*artifacts().StorageConsumption(), 0);
  int64_t p = NewProject("p");
  int64_t a = NewRepo(p, "p/a");
  int64_t b = NewRepo(p, "p/b");
  ASSERT_TRUE(artifacts().LinkBlob(a, D('1'), 1000));
  ASSERT_TRUE(artifacts().LinkBlob(b, D('1'), 1000));  // shared: counted once
  ASSERT_TRUE(artifacts().LinkBlob(b, D('2'), 20));
  Put(a, D('9'), "v1");  // a manifest of 100 bytes, in two repositories
  Put(b, D('9'), "v1");
  EXPECT_EQ(*artifacts().StorageConsumption(), 1120);
  int64_t other = NewRepo(NewProject("q"), "q/c");
  ASSERT_TRUE(artifacts().LinkBlob(other, D('1'), 1000));
  ASSERT_TRUE(artifacts().LinkBlob(other, D('3'), 5));
  EXPECT_EQ(*artifacts().StorageConsumption(), 1125);
  EXPECT_EQ(*artifacts().StorageConsumption(p), 1120);
  EXPECT_EQ(*artifacts().StorageConsumption(NewProject("empty")), 0);
}

// ---- manifests and tags ----

TEST_F(StoresTest, PutManifestKeepsExistingRowAndMovesTags) {
  int64_t repo = NewRepo(NewProject("p"), "p/app");
  Artifact first = Put(repo, D('a'), "latest", "", "", {{D('c'), 10, false}, {D('l'), 20, false}});
  EXPECT_EQ(first.tags, Strings{"latest"});
  Artifact again = Put(repo, D('a'), "v1");
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.push_time, first.push_time);
  EXPECT_EQ(again.tags, (Strings{"latest", "v1"}));

  Artifact second = Put(repo, D('b'), "latest");  // moves "latest"
  EXPECT_EQ(second.tags, Strings{"latest"});
  EXPECT_EQ((*artifacts().GetArtifactByTag(repo, "latest"))->digest, D('b'));
  EXPECT_EQ((*artifacts().GetArtifact(repo, D('a')))->tags, Strings{"v1"});
  EXPECT_EQ(*artifacts().GetArtifactByTag(repo, "missing"), std::nullopt);
  EXPECT_EQ(*artifacts().GetArtifact(repo, D('z')), std::nullopt);

  auto untagged = Put(repo, D('c'), "");
  EXPECT_TRUE(untagged.tags.empty());

  auto bad = artifacts().PutManifest(Artifact{.repository_id = 999, .digest = D('x')}, {}, "t");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kNameUnknown);
}

TEST_F(StoresTest, ListArtifactsFillsTagsAndPaginates) {
  int64_t repo = NewRepo(NewProject("p"), "p/app");
  for (char c : std::string("abcde")) Put(repo, D(c), std::string("t-") + c);
  Put(repo, D('a'), "extra");
  auto all = artifacts().ListArtifacts(repo, Page{1, 10});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->total, 5);
  ASSERT_EQ(all->items.size(), 5u);
  for (const auto& a : all->items) {
    if (a.digest == D('a')) {
      EXPECT_EQ(a.tags, (Strings{"extra", "t-a"}));
    } else {
      EXPECT_EQ(a.tags.size(), 1u);
    }
  }
  auto page2 = artifacts().ListArtifacts(repo, Page{2, 2});
  EXPECT_EQ(page2->total, 5);
  EXPECT_EQ(page2->items.size(), 2u);
  auto page3 = artifacts().ListArtifacts(repo, Page{3, 2});
  EXPECT_EQ(page3->items.size(), 1u);
}

TEST_F(StoresTest, AllArtifactsWithTagsInDigestOrder) {
  int64_t repo = NewRepo(NewProject("p"), "p/app");
  int64_t other = NewRepo(NewProject("q"), "q/app");
  Put(repo, D('c'), "v3");
  Put(repo, D('a'), "v1");
  Put(repo, D('a'), "latest");
  Put(repo, D('b'), "");  // untagged
  Put(other, D('a'), "elsewhere");
  auto all = artifacts().AllArtifactsWithTags(repo);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].digest, D('a'));
  EXPECT_EQ((*all)[0].tags, (Strings{"latest", "v1"}));
  EXPECT_EQ((*all)[0].repository_id, repo);
  EXPECT_EQ((*all)[0].size, 100);
  EXPECT_EQ((*all)[1].digest, D('b'));
  EXPECT_TRUE((*all)[1].tags.empty());
  EXPECT_EQ((*all)[2].digest, D('c'));
  EXPECT_EQ((*all)[2].tags, (Strings{"v3"}));
  EXPECT_TRUE(artifacts().AllArtifactsWithTags(999)->empty());
}

TEST_F(StoresTest, ListAndDeleteTags) {
  int64_t repo = NewRepo(NewProject("p"), "p/app");
  for (const char* tag : {"v2", "v10", "latest", "V1", "1.0"}) Put(repo, D('a'), tag);
  struct Case {
    std::string last;
    int64_t n;
    Strings want;
  };
  const Case cases[] = {
      {"", -1, {"1.0", "V1", "latest", "v10", "v2"}},
      {"", 2, {"1.0", "V1"}},
      {"V1", 2, {"latest", "v10"}},
      {"v10", -1, {"v2"}},
      {"v2", -1, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.last);
    EXPECT_EQ(*artifacts().ListTags(repo, c.last, c.n), c.want);
  }
  EXPECT_TRUE(*artifacts().DeleteTag(repo, "latest"));
  EXPECT_FALSE(*artifacts().DeleteTag(repo, "latest"));
  EXPECT_TRUE(artifacts().GetArtifact(repo, D('a'))->has_value());  // artifact stays
}

TEST_F(StoresTest, DeleteArtifactRemovesItsTags) {
  int64_t repo = NewRepo(NewProject("p"), "p/app");
  Put(repo, D('a'), "latest");
  Put(repo, D('a'), "v1");
  Put(repo, D('b'), "other");
  ASSERT_TRUE(artifacts().DeleteArtifact(repo, D('a')));
  EXPECT_EQ(*artifacts().ListTags(repo, "", -1), Strings{"other"});
  EXPECT_EQ(*artifacts().GetArtifact(repo, D('a')), std::nullopt);
  EXPECT_EQ(artifacts().DeleteArtifact(repo, D('a')).error().code, ErrorCode::kManifestUnknown);
  // The same digest can be pushed again.
  EXPECT_EQ(Put(repo, D('a'), "back").tags, Strings{"back"});
}

TEST_F(StoresTest, IndexReferencesAndReferrers) {
  int64_t p = NewProject("p");
  int64_t repo = NewRepo(p, "p/app");
  int64_t other = NewRepo(p, "p/other");
  Put(repo, D('1'), "");
  Put(repo, D('i'), "multi", "", "", {{D('1'), 500, true}, {D('c'), 10, false}});
  EXPECT_TRUE(*artifacts().IsReferencedByIndex(repo, D('1')));
  EXPECT_FALSE(*artifacts().IsReferencedByIndex(repo, D('c')));  // a blob, not a manifest
  EXPECT_FALSE(*artifacts().IsReferencedByIndex(other, D('1')));
  ASSERT_TRUE(artifacts().DeleteArtifact(repo, D('i')));
  EXPECT_FALSE(*artifacts().IsReferencedByIndex(repo, D('1')));

  Put(repo, D('s'), "", D('1'), "application/vnd.example.sig");
  Put(repo, D('b'), "", D('1'), "application/spdx+json");
  Put(repo, D('u'), "", D('9'), "application/spdx+json");
  Put(other, D('o'), "", D('1'), "application/spdx+json");
  struct Case {
    std::string type;
    Strings want;
  };
  const Case cases[] = {
      {"", {D('s'), D('b')}},
      {"application/spdx+json", {D('b')}},
      {"application/none", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.type);
    auto list = artifacts().Referrers(repo, D('1'), c.type);
    ASSERT_TRUE(list);
    Strings got;
    for (const auto& a : *list) got.push_back(a.digest);
    std::sort(got.begin(), got.end());
    Strings want = c.want;
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
  }
}

TEST_F(StoresTest, DeleteRepositoryCascades) {
  int64_t p = NewProject("p");
  int64_t repo = NewRepo(p, "p/app");
  int64_t keep = NewRepo(p, "p/keep");
  ASSERT_TRUE(artifacts().LinkBlob(repo, D('l'), 5));
  ASSERT_TRUE(artifacts().LinkBlob(keep, D('k'), 5));
  Put(repo, D('a'), "latest", "", "", {{D('l'), 5, false}});
  ASSERT_TRUE(artifacts().DeleteRepository(repo));
  EXPECT_EQ(*artifacts().GetRepository("p/app"), std::nullopt);
  EXPECT_EQ(*artifacts().Catalog("", -1), Strings{"p/keep"});
  EXPECT_FALSE(*artifacts().IsBlobLinkedAnywhere(D('l')));
  EXPECT_TRUE(*artifacts().IsBlobLinkedAnywhere(D('k')));
  for (const char* table : {"artifacts", "tags", "artifact_references"}) {
    EXPECT_EQ((*db_->QueryOne(std::string("SELECT COUNT(*) FROM ") + table))->Int(0), 0) << table;
  }
  EXPECT_EQ(artifacts().DeleteRepository(repo).error().code, ErrorCode::kNotFound);
}

// ---- users and members ----

TEST_F(StoresTest, Users) {
  auto admin = users().Create(
      User{.username = "admin", .email = "a@x", .password_hash = "h", .sysadmin = true});
  ASSERT_TRUE(admin);
  EXPECT_TRUE(admin->sysadmin);
  EXPECT_EQ(users().Create(User{.username = "admin"}).error().code, ErrorCode::kConflict);
  auto bob = *users().Create(User{.username = "bob"});
  users().Create(User{.username = "bobby"}).value();
  EXPECT_EQ((*users().GetByName("bob"))->id, bob.id);
  EXPECT_EQ((*users().Get(admin->id))->password_hash, "h");
  EXPECT_EQ(*users().Get(999), std::nullopt);

  auto list = users().List(Page{1, 2});
  EXPECT_EQ(list->total, 3);
  EXPECT_EQ(list->items.size(), 2u);
  EXPECT_EQ(users().List(Page{1, 10}, "bob")->total, 2);

  bob.realname = "Bob B";
  bob.sysadmin = true;
  ASSERT_TRUE(users().Update(bob));
  EXPECT_EQ((*users().Get(bob.id))->realname, "Bob B");
  bob.username = "admin";
  EXPECT_EQ(users().Update(bob).error().code, ErrorCode::kConflict);
  ASSERT_TRUE(users().Delete(bob.id));
  EXPECT_EQ(users().Delete(bob.id).error().code, ErrorCode::kNotFound);
}

TEST_F(StoresTest, ProjectMembers) {
  int64_t p = NewProject("p");
  int64_t alice = users().Create(User{.username = "alice"})->id;
  int64_t bob = users().Create(User{.username = "bob"})->id;
  ASSERT_TRUE(users().SetMember(p, bob, Role::kGuest));
  ASSERT_TRUE(users().SetMember(p, alice, Role::kDeveloper));
  ASSERT_TRUE(users().SetMember(p, bob, Role::kMaintainer));  // upsert
  EXPECT_EQ(*users().MemberRole(p, bob), Role::kMaintainer);
  auto members = users().ListMembers(p);
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[0].username, "alice");
  EXPECT_EQ((*members)[0].role, Role::kDeveloper);
  EXPECT_EQ(users().SetMember(p, 999, Role::kGuest).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(users().RemoveMember(p, alice));
  EXPECT_EQ(*users().MemberRole(p, alice), std::nullopt);
  EXPECT_EQ(users().RemoveMember(p, alice).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(users().Delete(bob));  // membership goes with the user
  EXPECT_TRUE(users().ListMembers(p)->empty());
}

TEST_F(StoresTest, Uploads) {
  UploadStore uploads(*db_);
  ASSERT_TRUE(uploads.Create(Upload{.id = "abc", .repository = "p/app"}));
  EXPECT_EQ(uploads.Create(Upload{.id = "abc", .repository = "p/app"}).error().code,
            ErrorCode::kConflict);
  auto got = uploads.Get("abc");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->repository, "p/app");
  EXPECT_FALSE((*got)->created.empty());
  ASSERT_TRUE(uploads.Delete("abc"));
  EXPECT_EQ(*uploads.Get("abc"), std::nullopt);
}

// The manifest-pull path (repository, tag, blob link lookups); prints requests/s.
TEST_F(StoresTest, HotPathThroughput) {
  int64_t repo = NewRepo(NewProject("p"), "p/app");
  Put(repo, D('a'), "latest");
  ASSERT_TRUE(artifacts().LinkBlob(repo, D('l'), 5));
  constexpr int kIterations = 5000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kIterations; ++i) {
    ASSERT_TRUE(artifacts().GetRepository("p/app")->has_value());
    ASSERT_TRUE(artifacts().GetArtifactByTag(repo, "latest")->has_value());
    ASSERT_TRUE(artifacts().LinkedBlobSize(repo, D('l'))->has_value());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("hot path: %.0f lookups of 3-4 queries per second\n", kIterations / secs);
}

}  // namespace
}  // namespace berth::metadata
