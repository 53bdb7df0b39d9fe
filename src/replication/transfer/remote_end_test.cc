// Push Berth → docker-registry and pull it back through RemoteEnd (native adapter).
#include "replication/transfer/remote_end.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/native/native_adapter.h"
#include "remote/test_servers.h"
#include "replication/transfer/test_support.h"
#include "replication/transfer/transfer.h"

namespace berth::replication {
namespace {

using testing::FaultyEnd;
using testing::MemoryJournal;
using testing::RandomBytes;
using testing::Stack;

class RemoteEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    registry_ = remote::testing::RegistryProcess::Start({}, &error);
    ASSERT_TRUE(registry_) << error;
    ASSERT_TRUE(adapters::RegisterNativeAdapter(adapters_).has_value());
    remote_ = NewRemote();
    ASSERT_TRUE(remote_);
    ASSERT_TRUE(src_.ok() && dst_.ok());
  }

  std::unique_ptr<RegistryEnd> NewRemote() {
    adapters::Endpoint endpoint;
    endpoint.name = "cncf";
    endpoint.type = "docker-registry";
    endpoint.url = registry_->url();
    adapters::AdapterDeps deps;
    deps.network.retry.base_delay = std::chrono::milliseconds(10);
    auto adapter = adapters_.Create(endpoint, deps);
    EXPECT_TRUE(adapter.has_value()) << adapter.error().message;
    if (!adapter) return nullptr;
    return MakeRemoteEnd(std::move(*adapter), "docker-registry " + registry_->url(),
                         "127.0.0.1:" + std::to_string(registry_->port()));
  }

  TransferOptions Options() {
    TransferOptions o;
    o.backoff = std::chrono::milliseconds(10);
    return o;
  }

  std::unique_ptr<remote::testing::RegistryProcess> registry_;
  adapters::AdapterRegistry adapters_;
  std::unique_ptr<RegistryEnd> remote_;
  Stack src_;
  Stack dst_;
};

std::string PushIndex(Stack& s, const std::string& repo, const std::string& tag) {
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", "application/vnd.oci.image.index.v1+json"},
                          {"manifests", nlohmann::json::array()}};
  for (uint32_t seed : {21u, 22u}) {
    std::string config = R"({"architecture":"arch)" + std::to_string(seed) + "\"}";
    std::string layer = RandomBytes(64 << 10, seed);
    std::string c = s.PushBlob(repo, config);
    std::string l = s.PushBlob(repo, layer);
    std::string m =
        testing::ImageManifest(c, config.size(), {{l, static_cast<int64_t>(layer.size())}});
    std::string d =
        s.PushManifest(repo, Sha256Digest(m), m, "application/vnd.oci.image.manifest.v1+json");
    index["manifests"].push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                  {"digest", d},
                                  {"size", m.size()}});
  }
  return s.PushManifest(repo, tag, index.dump(), "application/vnd.oci.image.index.v1+json");
}

std::vector<ArtifactRef> TaggedOnly(RegistryEnd& end, const std::string& repo) {
  auto listed = end.ListArtifacts(repo);
  EXPECT_TRUE(listed.has_value()) << listed.error().message;
  std::vector<ArtifactRef> out;
  for (auto& a : *listed) {
    if (!a.tags.empty()) out.push_back(a);
  }
  return out;
}

TEST_F(RemoteEndTest, PushToDockerRegistryAndPullBack) {
  const std::string repo = "library/app";
  std::string shared = RandomBytes(200 << 10, 1);
  std::string v1 = src_.PushImage(repo, "v1", {shared, RandomBytes(12 << 20, 2)});
  ASSERT_TRUE(src_.end()
                  .PutManifest(repo, "latest", src_.ManifestBytes(repo, "v1"),
                               "application/vnd.oci.image.manifest.v1+json")
                  .has_value());
  src_.PushImage(repo, "v2", {shared, RandomBytes(300 << 10, 3)});
  PushIndex(src_, repo, "multi");

  // Push, with chunks for the 12 MiB layer.
  ASSERT_TRUE(remote_->PrepareForPush({"mirror/app"}).has_value());
  TransferOptions options = Options();
  options.copy_by_chunk = true;
  options.chunk_size = 4 << 20;
  HostLimiter hosts(2);
  options.hosts = &hosts;
  CopyRequest push{repo, "mirror/app", TaggedOnly(src_.end(), repo)};
  ASSERT_EQ(push.artifacts.size(), 3u);
  CopyReport report;
  auto st = CopyRepository(src_.end(), *remote_, push, options, report);
  ASSERT_TRUE(st.has_value()) << st.error().message;
  EXPECT_EQ(report.copied, 3);
  for (const char* tag : {"v1", "latest", "v2", "multi"}) {
    auto got = remote_->GetManifest("mirror/app", tag);
    ASSERT_TRUE(got.has_value()) << tag << ": " << got.error().message;
    EXPECT_EQ(got->bytes, src_.ManifestBytes(repo, tag)) << tag;
  }

  // Listing groups tags by digest; a second push has nothing to do.
  auto listed = remote_->ListArtifacts("mirror/app");
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  ASSERT_EQ(listed->size(), 3u);
  for (const auto& a : *listed) {
    if (a.digest == v1) EXPECT_EQ(a.tags, (std::vector<std::string>{"latest", "v1"}));
  }
  auto repos = remote_->ListRepositories();
  ASSERT_TRUE(repos.has_value());
  EXPECT_NE(std::find(repos->begin(), repos->end(), "mirror/app"), repos->end());
  CopyReport again;
  ASSERT_TRUE(CopyRepository(src_.end(), *remote_, push, options, again).has_value());
  EXPECT_EQ(again.skipped, 3);
  EXPECT_EQ(again.bytes, 0);

  // A second repository on the same registry mounts instead of uploading.
  CopyRequest other{repo, "mirror/other", push.artifacts};
  CopyReport mounted;
  ASSERT_TRUE(CopyRepository(src_.end(), *remote_, other, Options(), mounted).has_value());
  EXPECT_EQ(mounted.copied, 3);
  EXPECT_EQ(mounted.bytes, 0);

  // Pull it back into another Berth.
  ASSERT_TRUE(dst_.end().PrepareForPush({"pulled/app"}).has_value());
  CopyRequest pull{"mirror/app", "pulled/app", *listed};
  CopyReport pulled;
  st = CopyRepository(*remote_, dst_.end(), pull, Options(), pulled);
  ASSERT_TRUE(st.has_value()) << st.error().message;
  EXPECT_EQ(pulled.copied, 3);
  for (const char* tag : {"v1", "latest", "v2", "multi"}) {
    EXPECT_EQ(dst_.ManifestBytes("pulled/app", tag), src_.ManifestBytes(repo, tag)) << tag;
  }

  // Replicated deletion: the manifest goes; tag-only deletion is reported, not failed.
  ArtifactRef v2_ref;
  for (const auto& a : *listed) {
    if (a.tags == std::vector<std::string>{"v2"}) v2_ref = a;
  }
  ASSERT_TRUE(DeleteArtifacts(*remote_, "mirror/app", {v2_ref}, false, Options()).has_value());
  auto head = remote_->HeadManifest("mirror/app", "v2");
  ASSERT_TRUE(head.has_value()) << head.error().message;
  EXPECT_FALSE(head->has_value());
  ASSERT_TRUE(DeleteArtifacts(*remote_, "mirror/app", {ArtifactRef{v1, "", {"latest"}, {}}}, true,
                              Options())
                  .has_value());
}

TEST_F(RemoteEndTest, ChunkedPushResumesAfterAStop) {
  const std::string repo = "library/big";
  const int64_t size = 24 << 20;
  std::string layer = RandomBytes(size, 7);
  std::string digest = Sha256Digest(layer);
  src_.PushImage(repo, "v1", {layer});
  MemoryJournal journal;
  CopyRequest request{repo, "mirror/big", TaggedOnly(src_.end(), repo)};
  // The stop lands between two chunks: docker-registry cannot resume a session whose
  // PATCH broke off mid-body (it answers BLOB_UPLOAD_INVALID and the blob starts over).
  class StopAfterHalf : public FaultyEnd {
   public:
    using FaultyEnd::FaultyEnd;
    std::shared_ptr<std::atomic<bool>> flag = std::make_shared<std::atomic<bool>>(false);
    int64_t half = 0;
    Result<UploadProgress> AppendUpload(std::string_view r, const UploadProgress& p, int64_t length,
                                        const ByteSource& source,
                                        const CancelToken& cancel) override {
      auto next = FaultyEnd::AppendUpload(r, p, length, source, cancel);
      if (next && next->offset >= half) flag->store(true);
      return next;
    }
  };
  {
    StopAfterHalf dst(*remote_);
    dst.half = size / 2;
    auto flag = dst.flag;
    TransferOptions options = Options();
    options.copy_by_chunk = true;
    options.chunk_size = 2 << 20;
    options.journal = &journal;
    options.cancel = flag;
    CopyReport report;
    auto st = CopyRepository(src_.end(), dst, request, options, report);
    ASSERT_FALSE(st.has_value());
    EXPECT_EQ(st.error().code, ErrorCode::kCancelled);
  }
  auto saved = journal.Load(digest);
  ASSERT_TRUE(saved.has_value());
  EXPECT_GT(saved->offset, 0);

  // A fresh client, as after a restart.
  auto fresh = NewRemote();
  {
    auto resumed = fresh->ResumeUpload("mirror/big", *saved);
    ASSERT_TRUE(resumed.has_value()) << resumed.error().message << " " << saved->session;
    EXPECT_GT(resumed->offset, 0);
  }
  FaultyEnd dst(*fresh);
  TransferOptions options = Options();
  options.copy_by_chunk = true;
  options.chunk_size = 2 << 20;
  options.journal = &journal;
  bool resumed_logged = false;
  options.log = [&](std::string_view line) {
    resumed_logged |= line.find("resuming blob") != std::string_view::npos;
  };
  CopyReport report;
  auto st = CopyRepository(src_.end(), dst, request, options, report);
  ASSERT_TRUE(st.has_value()) << st.error().message;
  EXPECT_TRUE(resumed_logged);
  EXPECT_LT(dst.counters->consumed_bytes.load(), size * 6 / 10);
  auto got = fresh->GetManifest("mirror/big", "v1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->bytes, src_.ManifestBytes(repo, "v1"));
  auto blob = fresh->BlobSize("mirror/big", digest);
  ASSERT_TRUE(blob.has_value() && blob->has_value());
  EXPECT_EQ(**blob, size);
}

}  // namespace
}  // namespace berth::replication
