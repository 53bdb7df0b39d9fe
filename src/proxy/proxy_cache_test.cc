// ProxyCache against a real CNCF `docker-registry` upstream registered as an endpoint.
#include "proxy/proxy_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "adapters/adapter.h"
#include "common/digest.h"
#include "content/manifest.h"
#include "endpoints/secret_box.h"
#include "metadata/migrate.h"
#include "metadata/proxy_cache_store.h"
#include "metadata/registry_store.h"
#include "metadata/sqlite_database.h"
#include "metadata/stores.h"
#include "remote/distribution_client.h"
#include "remote/test_servers.h"
#include "replication/service_test_support.h"
#include "storage/fs_blob_store.h"

namespace berth::proxy {
namespace {

namespace fs = std::filesystem;
using replication::RegistryEnd;

using replication::service_testing::DescriptorJson;
using replication::service_testing::Image;
using replication::service_testing::MakeImage;
using replication::service_testing::RandomBytes;

// Forwards to the real upstream end and counts the requests that reach it.
struct Counts {
  std::atomic<int> heads{0}, gets{0}, blob_heads{0}, blob_reads{0};
  std::atomic<int> active{0}, peak{0};  // upstream requests at once
  std::atomic<bool> corrupt{false};     // blob reads flip their first byte
};

// Every end the cache makes for the upstream counts into one Counts.
class CountingEnd : public RegistryEnd {
 public:
  CountingEnd(std::shared_ptr<RegistryEnd> inner, Counts& counts)
      : counts_(counts), inner_(std::move(inner)) {}

  std::string Describe() const override { return inner_->Describe(); }
  std::string HostKey() const override { return inner_->HostKey(); }
  Result<std::vector<std::string>> ListRepositories() override {
    return inner_->ListRepositories();
  }
  Result<std::vector<replication::ArtifactRef>> ListArtifacts(std::string_view r) override {
    return inner_->ListArtifacts(r);
  }
  Status PrepareForPush(const std::vector<std::string>& r) override {
    return inner_->PrepareForPush(r);
  }
  Result<std::optional<replication::ManifestInfo>> HeadManifest(std::string_view r,
                                                                std::string_view ref) override {
    ++counts_.heads;
    Busy busy(counts_);
    return inner_->HeadManifest(r, ref);
  }
  Result<replication::Manifest> GetManifest(std::string_view r, std::string_view ref) override {
    ++counts_.gets;
    Busy busy(counts_);
    return inner_->GetManifest(r, ref);
  }
  Status PutManifest(std::string_view r, std::string_view ref, std::string_view b,
                     std::string_view m) override {
    return inner_->PutManifest(r, ref, b, m);
  }
  Status DeleteManifest(std::string_view r, std::string_view d) override {
    return inner_->DeleteManifest(r, d);
  }
  Status DeleteTag(std::string_view r, std::string_view t) override {
    return inner_->DeleteTag(r, t);
  }
  Result<std::vector<replication::Descriptor>> Referrers(std::string_view r,
                                                         std::string_view d) override {
    return inner_->Referrers(r, d);
  }
  Result<std::optional<int64_t>> BlobSize(std::string_view r, std::string_view d) override {
    ++counts_.blob_heads;
    Busy busy(counts_);
    return inner_->BlobSize(r, d);
  }
  Status ReadBlob(std::string_view r, std::string_view d, int64_t offset,
                  const replication::ByteSink& sink,
                  const replication::CancelToken& cancel) override {
    ++counts_.blob_reads;
    Busy busy(counts_);
    if (!counts_.corrupt) return inner_->ReadBlob(r, d, offset, sink, cancel);
    bool first = offset == 0;
    replication::ByteSink flipping = [&](std::span<const char> data) -> Status {
      if (!first || data.empty()) return sink(data);
      first = false;
      std::string copy(data.begin(), data.end());
      copy[0] = static_cast<char>(copy[0] ^ 1);
      return sink(std::span<const char>(copy.data(), copy.size()));
    };
    return inner_->ReadBlob(r, d, offset, flipping, cancel);
  }
  Result<bool> MountBlob(std::string_view r, std::string_view d, std::string_view f) override {
    return inner_->MountBlob(r, d, f);
  }
  Status WriteBlob(std::string_view r, std::string_view d, int64_t size,
                   const replication::ByteSource& source,
                   const replication::CancelToken& cancel) override {
    return inner_->WriteBlob(r, d, size, source, cancel);
  }
  Result<replication::UploadProgress> BeginUpload(std::string_view r) override {
    return inner_->BeginUpload(r);
  }
  Result<replication::UploadProgress> ResumeUpload(std::string_view r,
                                                   const replication::UploadProgress& p) override {
    return inner_->ResumeUpload(r, p);
  }
  Result<replication::UploadProgress> AppendUpload(
      std::string_view r, const replication::UploadProgress& p, int64_t length,
      const replication::ByteSource& source, const replication::CancelToken& cancel) override {
    return inner_->AppendUpload(r, p, length, source, cancel);
  }
  Status CommitUpload(std::string_view r, const replication::UploadProgress& p,
                      std::string_view d) override {
    return inner_->CommitUpload(r, p, d);
  }

 private:
  struct Busy {
    explicit Busy(Counts& end) : end(end) {
      int now = ++end.active;
      int seen = end.peak;
      while (now > seen && !end.peak.compare_exchange_weak(seen, now)) {
      }
    }
    ~Busy() { --end.active; }
    Counts& end;
  };
  Counts& counts_;
  std::shared_ptr<RegistryEnd> inner_;
};

// Reads a body source to its end (the blocking way), as the server would send it.
Result<std::string> Drain(http::BodySource& source) {
  std::string out;
  std::vector<char> buf(64 << 10);
  for (;;) {
    auto n = source.Read(buf);
    if (!n) return Fail(n.error());
    if (*n == 0) return out;
    out.append(buf.data(), *n);
  }
}

class ProxyCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    registry_ = remote::testing::RegistryProcess::Start({}, &error);
    if (!registry_) GTEST_SKIP() << "docker-registry unavailable: " << error;
    stack_ = std::make_unique<replication::service_testing::ServiceStack>(dir_.path());
    ASSERT_TRUE(stack_->ok());
    auto created = stack_->endpoint_service->Create(
        endpoints::NewRegistry{.name = "hub", .type = "docker-registry", .url = registry_->url()});
    ASSERT_TRUE(created.has_value()) << created.error().message;

    metadata::Project project;
    project.name = "cache";
    project.owner_id = 1;
    project.registry_id = created->id;
    auto made = stack_->projects->Create(project);
    ASSERT_TRUE(made.has_value()) << made.error().message;
    project_ = *made;
    ASSERT_EQ(project_.registry_id, created->id);

    cache_store_ = std::make_unique<metadata::ProxyCacheStore>(*stack_->db);
    ProxyOptions options;
    options.backoff = std::chrono::milliseconds(20);
    options.cache_store = cache_store_.get();
    counter_ = std::make_shared<Counts>();
    options.decorate = [this](std::shared_ptr<RegistryEnd> end) -> std::shared_ptr<RegistryEnd> {
      return std::make_shared<CountingEnd>(std::move(end), *counter_);
    };
    cache_ = std::make_unique<ProxyCache>(*stack_->endpoint_service, stack_->Local(), options);
    remote_ = replication::service_testing::AnonymousClient(registry_->url());
  }

  void PushBlobUpstream(const std::string& repository, const std::string& blob) {
    replication::service_testing::PushBlob(*remote_, repository, blob);
  }

  void PushUpstream(const std::string& repository, const std::string& tag, const Image& image) {
    replication::service_testing::PushImage(*remote_, repository, tag, image);
  }

  // The digest the local repository serves for `reference`; "" when none.
  std::string LocalDigest(const std::string& repository, const std::string& reference) {
    auto repo = stack_->content->ResolveRepository(repository, false);
    if (!repo) return "";
    auto ref = ParseReference(reference);
    auto info = stack_->content->StatManifest(*repo, *ref);
    return info ? info->digest.str() : "";
  }

  bool LocalBlob(const std::string& repository, const std::string& digest) {
    auto repo = stack_->content->ResolveRepository(repository, false);
    return repo && stack_->content->StatBlob(*repo, *Digest::Parse(digest)).has_value();
  }

  remote::testing::TempDir dir_;
  std::unique_ptr<remote::testing::RegistryProcess> registry_;
  std::unique_ptr<replication::service_testing::ServiceStack> stack_;
  std::unique_ptr<metadata::ProxyCacheStore> cache_store_;
  metadata::Project project_;
  std::shared_ptr<Counts> counter_;
  std::unique_ptr<ProxyCache> cache_;
  std::unique_ptr<remote::DistributionClient> remote_;
};

TEST(UpstreamRepository, DropsTheProjectAndNamesDockerHubOfficialImages) {
  EXPECT_EQ(UpstreamRepository("cache", "cache/nginx", false), "nginx");
  EXPECT_EQ(UpstreamRepository("cache", "cache/nginx", true), "library/nginx");
  EXPECT_EQ(UpstreamRepository("cache", "cache/bitnami/redis", true), "bitnami/redis");
  EXPECT_EQ(UpstreamRepository("cache", "cache/a/b/c", false), "a/b/c");
}

TEST_F(ProxyCacheTest, ColdThenWarmPullOfATag) {
  Image image = MakeImage(5000, 1);
  PushUpstream("team/app", "v1", image);

  // Only the manifest comes with the tag; blobs follow when they are asked for.
  ASSERT_TRUE(cache_->EnsureManifest(project_, "cache/team/app", "v1").has_value());
  EXPECT_EQ(LocalDigest("cache/team/app", "v1"), image.digest);
  EXPECT_FALSE(LocalBlob("cache/team/app", Sha256Digest(image.layer)));
  EXPECT_EQ(counter_->blob_reads.load(), 0);
  for (const std::string* blob : {&image.config, &image.layer}) {
    ASSERT_TRUE(cache_->EnsureBlob(project_, "cache/team/app", Sha256Digest(*blob)).has_value());
    EXPECT_TRUE(LocalBlob("cache/team/app", Sha256Digest(*blob)));
  }
  EXPECT_EQ(counter_->blob_reads.load(), 2);

  // Warm: a tag costs one HEAD, nothing else; a cached digest and cached blobs cost nothing.
  const int heads = counter_->heads, gets = counter_->gets, blob_heads = counter_->blob_heads;
  ASSERT_TRUE(cache_->EnsureManifest(project_, "cache/team/app", "v1").has_value());
  EXPECT_EQ(counter_->heads.load(), heads + 1);
  ASSERT_TRUE(cache_->EnsureManifest(project_, "cache/team/app", image.digest).has_value());
  ASSERT_TRUE(
      cache_->EnsureBlob(project_, "cache/team/app", Sha256Digest(image.layer)).has_value());
  auto head = cache_->StatBlob(project_, "cache/team/app", Sha256Digest(image.layer));
  ASSERT_TRUE(head.has_value());
  EXPECT_FALSE(head->has_value());  // served from the local store
  EXPECT_EQ(counter_->heads.load(), heads + 1);
  EXPECT_EQ(counter_->gets.load(), gets);
  EXPECT_EQ(counter_->blob_heads.load(), blob_heads);
  EXPECT_EQ(counter_->blob_reads.load(), 2);
}

TEST_F(ProxyCacheTest, HeadOfAColdBlobAsksTheUpstreamAndDownloadsNothing) {
  Image image = MakeImage(7000, 11);
  PushUpstream("app", "v1", image);
  auto size = cache_->StatBlob(project_, "cache/app", Sha256Digest(image.layer));
  ASSERT_TRUE(size.has_value()) << size.error().message;
  ASSERT_TRUE(size->has_value());
  EXPECT_EQ(**size, 7000);
  EXPECT_EQ(counter_->blob_reads.load(), 0);
  EXPECT_FALSE(LocalBlob("cache/app", Sha256Digest(image.layer)));
  auto absent = cache_->StatBlob(project_, "cache/app", Sha256Digest("nothing"));
  ASSERT_FALSE(absent.has_value());
  EXPECT_EQ(absent.error().code, ErrorCode::kBlobUnknown);
}

TEST_F(ProxyCacheTest, ColdPullOfAnIndexStoresItWholeWithItsDigest) {
  Image amd = MakeImage(3000, 2), arm = MakeImage(4000, 3);
  PushUpstream("multi", amd.digest, amd);
  PushUpstream("multi", arm.digest, arm);
  std::string index =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
      DescriptorJson(content::kOciManifestType, amd.digest, amd.manifest.size()) + "," +
      DescriptorJson(content::kOciManifestType, arm.digest, arm.manifest.size()) + "]}";
  auto put =
      remote_->PutManifest("multi", "latest", index, "application/vnd.oci.image.index.v1+json");
  ASSERT_TRUE(put.has_value()) << put.error().message;

  ASSERT_TRUE(cache_->EnsureManifest(project_, "cache/multi", "latest").has_value());
  EXPECT_EQ(LocalDigest("cache/multi", "latest"), Sha256Digest(index));
  EXPECT_EQ(LocalDigest("cache/multi", arm.digest), "");  // a child comes when asked for
  const int gets = counter_->gets;
  ASSERT_TRUE(cache_->EnsureManifest(project_, "cache/multi", arm.digest).has_value());
  EXPECT_EQ(LocalDigest("cache/multi", arm.digest), arm.digest);
  EXPECT_EQ(counter_->gets.load(), gets + 1);
  ASSERT_TRUE(cache_->EnsureManifest(project_, "cache/multi", arm.digest).has_value());
  EXPECT_EQ(counter_->gets.load(), gets + 1);
}

TEST_F(ProxyCacheTest, TagMovedUpstreamIsRefreshed) {
  Image v1 = MakeImage(1000, 4), v2 = MakeImage(1000, 5);
  PushUpstream("app", "latest", v1);
  ASSERT_TRUE(cache_->EnsureManifest(project_, "cache/app", "latest").has_value());
  EXPECT_EQ(LocalDigest("cache/app", "latest"), v1.digest);

  PushUpstream("app", "latest", v2);
  ASSERT_TRUE(cache_->EnsureManifest(project_, "cache/app", "latest").has_value());
  EXPECT_EQ(LocalDigest("cache/app", "latest"), v2.digest);
  EXPECT_EQ(LocalDigest("cache/app", v1.digest), v1.digest);  // the old one stays cached
}

TEST_F(ProxyCacheTest, UpstreamDownServesCachedAndFailsUncachedClearly) {
  Image image = MakeImage(1000, 6), other = MakeImage(1000, 7);
  PushUpstream("app", "v1", image);
  PushUpstream("app", "v2", other);
  ASSERT_TRUE(cache_->EnsureManifest(project_, "cache/app", "v1").has_value());
  ASSERT_TRUE(cache_->EnsureBlob(project_, "cache/app", Sha256Digest(image.layer)).has_value());

  registry_.reset();
  EXPECT_TRUE(cache_->EnsureManifest(project_, "cache/app", "v1").has_value());
  EXPECT_TRUE(cache_->EnsureManifest(project_, "cache/app", image.digest).has_value());
  EXPECT_TRUE(cache_->EnsureBlob(project_, "cache/app", Sha256Digest(image.layer)).has_value());

  auto tag = cache_->EnsureManifest(project_, "cache/app", "v2");
  ASSERT_FALSE(tag.has_value());
  EXPECT_EQ(tag.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(tag.error().message.find("the upstream registry hub is unreachable"), std::string::npos)
      << tag.error().message;
  auto blob = cache_->EnsureBlob(project_, "cache/app", Sha256Digest(other.layer));
  ASSERT_FALSE(blob.has_value());
  EXPECT_EQ(blob.error().code, ErrorCode::kUnavailable) << blob.error().message;
}

TEST_F(ProxyCacheTest, UnknownUpstreamManifestIsManifestUnknown) {
  auto got = cache_->EnsureManifest(project_, "cache/nothing", "v1");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kManifestUnknown) << got.error().message;
}

TEST_F(ProxyCacheTest, ConcurrentCallersOfOneColdBlobShareOneDownload) {
  std::string layer = RandomBytes(8 << 20, 8);
  PushBlobUpstream("big", layer);
  const std::string digest = Sha256Digest(layer);

  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&] {
      if (cache_->EnsureBlob(project_, "cache/big", digest)) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(counter_->blob_reads.load(), 1);
  EXPECT_TRUE(LocalBlob("cache/big", digest));
  auto stored = stack_->blobs->ReadAll(*Digest::Parse(digest), 16 << 20);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(*stored, layer);
}

TEST_F(ProxyCacheTest, ClientsReadAColdBlobWhileItDownloads) {
  std::string layer = RandomBytes(24 << 20, 9);
  PushBlobUpstream("big", layer);
  const std::string digest = Sha256Digest(layer);

  constexpr int kClients = 8;
  std::vector<std::string> got(kClients);
  std::atomic<int> streamed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto opened = cache_->OpenBlob(project_, "cache/big", digest, true);
      ASSERT_TRUE(opened.has_value()) << opened.error().message;
      if (!opened->has_value()) {  // it finished before this client came: the store has it
        auto all = stack_->blobs->ReadAll(*Digest::Parse(digest), 32 << 20);
        ASSERT_TRUE(all.has_value());
        got[i] = *all;
        return;
      }
      ++streamed;
      EXPECT_EQ((*opened)->size, static_cast<int64_t>(layer.size()));
      auto body = Drain(*(*opened)->body);
      ASSERT_TRUE(body.has_value()) << body.error().message;
      got[i] = *body;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE(streamed.load(), 1);
  for (const std::string& body : got) EXPECT_TRUE(body == layer);
  EXPECT_EQ(counter_->blob_reads.load(), 1);
  // The download is committed and linked even though the clients read it from the flight.
  ASSERT_TRUE(cache_->EnsureBlob(project_, "cache/big", digest).has_value());
  EXPECT_TRUE(LocalBlob("cache/big", digest));
  EXPECT_EQ(counter_->blob_reads.load(), 1);
}

TEST_F(ProxyCacheTest, AWrongBlobFromUpstreamIsNeverServedWhole) {
  std::string layer = RandomBytes(3 << 20, 12);
  PushBlobUpstream("bad", layer);
  const std::string digest = Sha256Digest(layer);
  counter_->corrupt = true;
  auto opened = cache_->OpenBlob(project_, "cache/bad", digest, true);
  if (opened.has_value() && opened->has_value()) {
    auto body = Drain(*(*opened)->body);
    ASSERT_FALSE(body.has_value()) << "a blob that does not match its digest was sent whole";
    EXPECT_EQ(body.error().code, ErrorCode::kDigestInvalid) << body.error().message;
  } else {
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, ErrorCode::kDigestInvalid) << opened.error().message;
  }
  EXPECT_FALSE(LocalBlob("cache/bad", digest));
  EXPECT_FALSE(stack_->blobs->Stat(*Digest::Parse(digest)).has_value());

  counter_->corrupt = false;  // the next pull fetches it again, correctly
  ASSERT_TRUE(cache_->EnsureBlob(project_, "cache/bad", digest).has_value());
  EXPECT_TRUE(LocalBlob("cache/bad", digest));
}

TEST_F(ProxyCacheTest, OneDigestInTwoRepositoriesIsDownloadedOnceAndCheckedForEach) {
  std::string layer = RandomBytes(4 << 20, 10);
  PushBlobUpstream("one", layer);
  PushBlobUpstream("two", layer);
  const std::string digest = Sha256Digest(layer);

  std::thread first([&] { EXPECT_TRUE(cache_->EnsureBlob(project_, "cache/one", digest)); });
  std::thread second([&] { EXPECT_TRUE(cache_->EnsureBlob(project_, "cache/two", digest)); });
  first.join();
  second.join();
  EXPECT_EQ(counter_->blob_reads.load(), 1);
  EXPECT_TRUE(LocalBlob("cache/one", digest));
  EXPECT_TRUE(LocalBlob("cache/two", digest));

  // A repository whose upstream does not hold the digest never gets it from another's copy.
  auto other = cache_->EnsureBlob(project_, "cache/three", digest);
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code, ErrorCode::kBlobUnknown) << other.error().message;
  EXPECT_FALSE(LocalBlob("cache/three", digest));
}

TEST_F(ProxyCacheTest, MaxUpstreamConnectionsBoundsConcurrentUpstreamRequests) {
  std::vector<std::string> digests;
  for (uint32_t i = 0; i < 6; ++i) {
    std::string layer = RandomBytes(1 << 20, 20 + i);
    PushBlobUpstream("many", layer);
    digests.push_back(Sha256Digest(layer));
  }
  project_.max_upstream_conn = 1;
  std::vector<std::thread> threads;
  for (const std::string& digest : digests) {
    threads.emplace_back(
        [&, digest] { EXPECT_TRUE(cache_->EnsureBlob(project_, "cache/many", digest)); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter_->blob_reads.load(), 6);
  EXPECT_EQ(counter_->peak.load(), 1);
}

TEST_F(ProxyCacheTest, ProxySpeedLimitsTheDownload) {
  std::string layer = RandomBytes(300 << 10, 30);
  PushBlobUpstream("slow", layer);
  project_.proxy_speed_kb = 800;  // 100 KB/s, with a burst of 64 KiB or one second
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(cache_->EnsureBlob(project_, "cache/slow", Sha256Digest(layer)).has_value());
  const auto took = std::chrono::steady_clock::now() - start;
  // 300 KiB at 100 KB/s after a 100 KB burst: at least about two seconds.
  EXPECT_GE(took, std::chrono::milliseconds(1500));
}

TEST_F(ProxyCacheTest, ExpiryRemovesWhatWasNotUsedAndSparesReadersAndOtherProjects) {
  Image image = MakeImage(64 << 10, 40);
  PushUpstream("app", "v1", image);
  ASSERT_TRUE(cache_->EnsureManifest(project_, "cache/app", "v1").has_value());
  for (const std::string* blob : {&image.config, &image.layer}) {
    ASSERT_TRUE(cache_->EnsureBlob(project_, "cache/app", Sha256Digest(*blob)).has_value());
  }
  // The config is also in a normal project: its contents must stay.
  auto local = stack_->projects->Create(metadata::Project{.name = "local", .owner_id = 1});
  ASSERT_TRUE(local.has_value());
  auto local_repo = stack_->content->ResolveRepository("local/keep", true);
  ASSERT_TRUE(local_repo.has_value()) << local_repo.error().message;
  ASSERT_TRUE(stack_->content->LinkBlob(*local_repo, *Digest::Parse(Sha256Digest(image.config))));

  auto now = std::chrono::system_clock::now();
  auto nothing = cache_->Expire(now - std::chrono::hours(1));
  ASSERT_TRUE(nothing.has_value()) << nothing.error().message;
  EXPECT_EQ(nothing->artifacts + nothing->links + nothing->blobs, 0);

  // A client in the middle of reading the layer.
  auto reader = stack_->blobs->Open(*Digest::Parse(Sha256Digest(image.layer)));
  ASSERT_TRUE(reader.has_value());
  char first[100];
  ASSERT_TRUE((*reader)->Read(first).has_value());

  auto report = cache_->Expire(now + std::chrono::hours(1));
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->artifacts, 1);
  EXPECT_EQ(report->links, 3);  // manifest, config, layer
  EXPECT_EQ(report->blobs, 2);  // not the config, still linked by the normal project
  EXPECT_EQ(report->repositories, 1);
  EXPECT_EQ(LocalDigest("cache/app", "v1"), "");
  EXPECT_TRUE(stack_->blobs->Stat(*Digest::Parse(Sha256Digest(image.config))).has_value());
  EXPECT_FALSE(stack_->blobs->Stat(*Digest::Parse(Sha256Digest(image.layer))).has_value());

  auto rest = Drain(**reader);
  ASSERT_TRUE(rest.has_value()) << rest.error().message;
  EXPECT_TRUE(std::string(first, sizeof first) + *rest == image.layer);
  auto remaining = Drain(**stack_->blobs->Open(*Digest::Parse(Sha256Digest(image.config))));
  ASSERT_TRUE(remaining.has_value());
  EXPECT_EQ(*remaining, image.config);

  // Pulled again, it comes back from upstream.
  ASSERT_TRUE(cache_->EnsureManifest(project_, "cache/app", "v1").has_value());
  ASSERT_TRUE(cache_->EnsureBlob(project_, "cache/app", Sha256Digest(image.layer)).has_value());
  EXPECT_TRUE(LocalBlob("cache/app", Sha256Digest(image.layer)));
}

}  // namespace
}  // namespace berth::proxy
