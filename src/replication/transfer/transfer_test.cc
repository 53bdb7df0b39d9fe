// The copy engine between two independent local Berth stacks (LocalEnd on both sides).
#include "replication/transfer/transfer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "replication/transfer/test_support.h"

namespace berth::replication {
namespace {

using testing::FaultyEnd;
using testing::MemoryJournal;
using testing::RandomBytes;
using testing::Stack;

constexpr char kSrc[] = "library/app";
constexpr char kDst[] = "mirror/app";

TransferOptions FastOptions() {
  TransferOptions o;
  o.backoff = std::chrono::milliseconds(5);
  o.log = [](std::string_view line) { (void)line; };
  return o;
}

CancelToken NewToken(std::shared_ptr<std::atomic<bool>>& flag) {
  flag = std::make_shared<std::atomic<bool>>(false);
  return flag;
}

class TransferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(src_.ok());
    ASSERT_TRUE(dst_.ok());
    ASSERT_TRUE(dst_.end().PrepareForPush({kDst}).has_value());
  }

  Stack src_;
  Stack dst_;
};

// Pushes an image by digest (an index child) and returns {digest, size}.
std::pair<std::string, int64_t> PushChild(Stack& s, const std::string& repo, uint32_t seed) {
  std::string config = R"({"architecture":"arch)" + std::to_string(seed) + "\"}";
  std::string layer = RandomBytes(100 << 10, seed);
  std::string c = s.PushBlob(repo, config);
  std::string l = s.PushBlob(repo, layer);
  std::string manifest =
      testing::ImageManifest(c, config.size(), {{l, static_cast<int64_t>(layer.size())}});
  std::string digest = Sha256Digest(manifest);
  s.PushManifest(repo, digest, manifest, "application/vnd.oci.image.manifest.v1+json");
  return {digest, static_cast<int64_t>(manifest.size())};
}

// v1 (3 layers), v2 (2 layers, one shared with v1), "multi" (an index of two images)
// and a signature referring to v1.
struct Fixture {
  std::string v1, v2, multi, sig;
  std::vector<std::string> children;
};

Fixture PushImages(Stack& s) {
  Fixture f;
  std::string shared = RandomBytes(300 << 10, 1);
  f.v1 = s.PushImage(kSrc, "v1", {shared, RandomBytes(1 << 20, 2), RandomBytes(77, 3)});
  f.v2 = s.PushImage(kSrc, "v2", {shared, RandomBytes(200 << 10, 4)});
  auto c1 = PushChild(s, kSrc, 11);
  auto c2 = PushChild(s, kSrc, 12);
  f.children = {c1.first, c2.first};
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", "application/vnd.oci.image.index.v1+json"},
                          {"manifests", nlohmann::json::array()}};
  for (const auto& [d, size] : {c1, c2}) {
    index["manifests"].push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                  {"digest", d},
                                  {"size", size},
                                  {"platform", {{"os", "linux"}, {"architecture", "amd64"}}}});
  }
  f.multi = s.PushManifest(kSrc, "multi", index.dump(), "application/vnd.oci.image.index.v1+json");
  // A signature: an artifact manifest whose subject is v1, pushed by digest only.
  std::string empty = "{}";
  std::string cfg = s.PushBlob(kSrc, empty);
  std::string sig_layer = "signature-bytes";
  std::string l = s.PushBlob(kSrc, sig_layer);
  auto v1_bytes = s.ManifestBytes(kSrc, "v1");
  nlohmann::json sig = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"artifactType", "application/vnd.example.signature"},
      {"config",
       {{"mediaType", "application/vnd.oci.empty.v1+json"}, {"digest", cfg}, {"size", 2}}},
      {"layers",
       {{{"mediaType", "application/vnd.example.sig"}, {"digest", l}, {"size", sig_layer.size()}}}},
      {"subject",
       {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
        {"digest", f.v1},
        {"size", v1_bytes.size()}}}};
  std::string sig_text = sig.dump();
  f.sig = s.PushManifest(kSrc, Sha256Digest(sig_text), sig_text,
                         "application/vnd.oci.image.manifest.v1+json");
  return f;
}

std::vector<ArtifactRef> Tagged(RegistryEnd& end, const std::string& repo) {
  auto listed = end.ListArtifacts(repo);
  EXPECT_TRUE(listed.has_value());
  std::vector<ArtifactRef> out;
  for (auto& a : *listed) {
    if (!a.tags.empty()) out.push_back(a);
  }
  return out;
}

TEST_F(TransferTest, ListArtifactsGroupsTagsAndIncludesUntagged) {
  Fixture f = PushImages(src_);
  ASSERT_TRUE(src_.end()
                  .PutManifest(kSrc, "latest", src_.ManifestBytes(kSrc, "v2"),
                               "application/vnd.oci.image.manifest.v1+json")
                  .has_value());
  auto listed = src_.end().ListArtifacts(kSrc);
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  EXPECT_EQ(listed->size(), 6u);  // v1, v2, multi, two children, the signature
  for (const auto& a : *listed) {
    if (a.digest == f.v2) EXPECT_EQ(a.tags, (std::vector<std::string>{"latest", "v2"}));
    if (a.digest == f.sig) EXPECT_TRUE(a.tags.empty());
  }
  auto repos = src_.end().ListRepositories();
  ASSERT_TRUE(repos.has_value());
  EXPECT_EQ(*repos, std::vector<std::string>{kSrc});
  auto missing = src_.end().ListArtifacts("library/none");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNameUnknown);
}

TEST_F(TransferTest, ListArtifactsCarriesLabels) {
  Fixture f = PushImages(src_);
  metadata::Label label;
  label.name = "prod";
  auto created = src_.labels().Create(label);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  auto repo = src_.artifacts().GetRepository(kSrc);
  ASSERT_TRUE(repo.has_value() && repo->has_value());
  auto v1 = src_.artifacts().GetArtifact((*repo)->id, f.v1);
  ASSERT_TRUE(v1.has_value() && v1->has_value());
  ASSERT_TRUE(src_.labels().Attach((*v1)->id, created->id).has_value());
  EXPECT_TRUE(src_.end().SupportsLabels());
  auto listed = src_.end().ListArtifacts(kSrc);
  ASSERT_TRUE(listed.has_value());
  for (const auto& a : *listed) {
    if (a.digest == f.v1) {
      EXPECT_EQ(a.labels, std::vector<std::string>{"prod"});
    } else {
      EXPECT_TRUE(a.labels.empty());
    }
  }
}

TEST_F(TransferTest, CopiesImagesIndexesAndReferrersThenSkips) {
  Fixture f = PushImages(src_);
  CopyRequest request{kSrc, kDst, Tagged(src_.end(), kSrc)};
  ASSERT_EQ(request.artifacts.size(), 3u);
  std::vector<std::string> lines;
  std::mutex mu;
  TransferOptions options = FastOptions();
  options.log = [&](std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  };
  std::atomic<int> done{0};
  options.on_artifact = [&] { ++done; };
  CopyReport report;
  auto st = CopyRepository(src_.end(), dst_.end(), request, options, report);
  ASSERT_TRUE(st.has_value()) << st.error().message;
  EXPECT_EQ(report.copied, 3);
  EXPECT_EQ(report.failed, 0);
  EXPECT_EQ(done.load(), 3);
  EXPECT_GT(report.bytes, (1 << 20) + (300 << 10));
  // The shared layer went once.
  EXPECT_LT(report.bytes, (1 << 20) + 2 * (300 << 10) + (400 << 10));
  for (const char* ref : {"v1", "v2", "multi"}) {
    EXPECT_EQ(dst_.ManifestBytes(kDst, ref), src_.ManifestBytes(kSrc, ref)) << ref;
  }
  for (const auto& child : f.children) {
    EXPECT_EQ(dst_.ManifestBytes(kDst, child), src_.ManifestBytes(kSrc, child));
  }
  EXPECT_EQ(dst_.ManifestBytes(kDst, f.sig), src_.ManifestBytes(kSrc, f.sig));
  auto referrers = dst_.end().Referrers(kDst, f.v1);
  ASSERT_TRUE(referrers.has_value());
  ASSERT_EQ(referrers->size(), 1u);
  EXPECT_EQ((*referrers)[0].digest, f.sig);
  bool mentions_copy = false;
  for (const auto& l : lines) mentions_copy |= l.find("copying the blob") != std::string::npos;
  EXPECT_TRUE(mentions_copy);

  CopyReport again;
  st = CopyRepository(src_.end(), dst_.end(), request, options, again);
  ASSERT_TRUE(st.has_value()) << st.error().message;
  EXPECT_EQ(again.skipped, 3);
  EXPECT_EQ(again.copied, 0);
  EXPECT_EQ(again.bytes, 0);
}

TEST_F(TransferTest, OverrideOffLeavesAConflictingTagAlone) {
  PushImages(src_);
  std::string other = dst_.PushImage(kDst, "v1", {RandomBytes(1000, 99)});
  CopyRequest request{kSrc, kDst, Tagged(src_.end(), kSrc)};
  TransferOptions options = FastOptions();
  options.override_tags = false;
  CopyReport report;
  ASSERT_TRUE(CopyRepository(src_.end(), dst_.end(), request, options, report).has_value());
  EXPECT_EQ(report.conflicts, 1);
  EXPECT_EQ(report.copied, 2);
  auto head = dst_.end().HeadManifest(kDst, "v1");
  ASSERT_TRUE(head.has_value() && head->has_value());
  EXPECT_EQ((*head)->digest, other);

  options.override_tags = true;
  CopyReport forced;
  ASSERT_TRUE(CopyRepository(src_.end(), dst_.end(), request, options, forced).has_value());
  EXPECT_EQ(forced.copied, 1);
  EXPECT_EQ(forced.skipped, 2);
  EXPECT_EQ(dst_.ManifestBytes(kDst, "v1"), src_.ManifestBytes(kSrc, "v1"));
}

TEST_F(TransferTest, DeletesReplicatedArtifactsAndTags) {
  Fixture f = PushImages(src_);
  CopyRequest request{kSrc, kDst, Tagged(src_.end(), kSrc)};
  CopyReport report;
  ASSERT_TRUE(CopyRepository(src_.end(), dst_.end(), request, FastOptions(), report).has_value());

  ArtifactRef v2{f.v2, "", {"v2"}, {}};
  ASSERT_TRUE(DeleteArtifacts(dst_.end(), kDst, {v2}, false, FastOptions()).has_value());
  auto gone = dst_.end().HeadManifest(kDst, f.v2);
  ASSERT_TRUE(gone.has_value());
  EXPECT_FALSE(gone->has_value());

  ArtifactRef multi{f.multi, "", {"multi"}, {}};
  ASSERT_TRUE(DeleteArtifacts(dst_.end(), kDst, {multi}, true, FastOptions()).has_value());
  auto tag = dst_.end().HeadManifest(kDst, "multi");
  ASSERT_TRUE(tag.has_value());
  EXPECT_FALSE(tag->has_value());
  auto kept = dst_.end().HeadManifest(kDst, f.multi);
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(kept->has_value());

  // Absent artifacts are fine.
  ASSERT_TRUE(DeleteArtifacts(dst_.end(), kDst, {v2}, false, FastOptions()).has_value());
}

struct FaultCase {
  const char* name;
  ErrorCode code;
  const char* detail;
  bool chunked;
};

class FaultTest : public TransferTest, public ::testing::WithParamInterface<FaultCase> {};

TEST_P(FaultTest, CopyEndsCorrectDespiteFaults) {
  const FaultCase& c = GetParam();
  Fixture f = PushImages(src_);
  std::string big = RandomBytes(5 << 20, 42);
  std::string big_image = src_.PushImage(kSrc, "big", {big});
  FaultyEnd src(src_.end()), dst(dst_.end());
  dst.counters = src.counters;
  src.fail_every = 5;
  dst.fail_every = 4;
  src.fault = dst.fault = MakeError(c.code, "injected", c.detail);
  MemoryJournal journal;
  TransferOptions options = FastOptions();
  options.copy_by_chunk = c.chunked;
  options.chunk_size = 1 << 20;
  options.journal = &journal;
  options.retries = 12;
  std::mutex mu;
  std::vector<std::string> lines;
  options.log = [&](std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  };
  CopyRequest request{kSrc, kDst, Tagged(src_.end(), kSrc)};
  CopyReport report;
  auto st = CopyRepository(src, dst, request, options, report);
  if (!st) {
    for (const auto& l : lines) {
      if (l.find("fail") != std::string::npos && l.find("will retry") == std::string::npos) {
        ADD_FAILURE() << l;
      }
    }
  }
  ASSERT_TRUE(st.has_value()) << st.error().message;
  EXPECT_GT(src.counters->faults.load(), 0);
  EXPECT_EQ(report.copied, 4);
  for (const char* ref : {"v1", "v2", "multi", "big"}) {
    EXPECT_EQ(dst_.ManifestBytes(kDst, ref), src_.ManifestBytes(kSrc, ref)) << ref;
  }
  auto size = dst_.end().BlobSize(kDst, Sha256Digest(big));
  ASSERT_TRUE(size.has_value() && size->has_value());
  EXPECT_EQ(**size, static_cast<int64_t>(big.size()));
  EXPECT_TRUE(journal.entries().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultTest,
    ::testing::Values(FaultCase{"unavailable", ErrorCode::kUnavailable, "", false},
                      FaultCase{"unavailable_chunked", ErrorCode::kUnavailable, "", true},
                      FaultCase{"too_many_requests", ErrorCode::kTooManyRequests, "retry-after=0",
                                true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(TransferTest, RetryAfterIsHonoured) {
  src_.PushImage(kSrc, "v1", {RandomBytes(1000, 5)});
  FaultyEnd dst(dst_.end());
  dst.fail_every = 1;  // the first write fails; afterwards `fail_every` is cleared below
  dst.fault = MakeError(ErrorCode::kTooManyRequests, "slow down", "retry-after=1");
  TransferOptions options = FastOptions();
  std::atomic<int> retries{0};
  options.log = [&](std::string_view line) {
    if (line.find("will retry") != std::string_view::npos && ++retries == 1) dst.fail_every = 0;
  };
  CopyRequest request{kSrc, kDst, Tagged(src_.end(), kSrc)};
  CopyReport report;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(CopyRepository(src_.end(), dst, request, options, report).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_EQ(report.copied, 1);
}

// Serves one blob with its last byte flipped.
class CorruptingEnd : public FaultyEnd {
 public:
  using FaultyEnd::FaultyEnd;
  std::string digest;
  int64_t size = 0;
  Status ReadBlob(std::string_view r, std::string_view d, int64_t offset, const ByteSink& sink,
                  const CancelToken& cancel) override {
    if (d != digest) return FaultyEnd::ReadBlob(r, d, offset, sink, cancel);
    int64_t pos = offset;
    ByteSink flip = [&](std::span<const char> data) -> Status {
      std::string copy(data.begin(), data.end());
      int64_t end = pos + static_cast<int64_t>(copy.size());
      if (end == size) copy.back() ^= 1;
      pos = end;
      return sink(copy);
    };
    return FaultyEnd::ReadBlob(r, d, offset, flip, cancel);
  }
};

TEST_F(TransferTest, CorruptSourceBytesAreNeverCommitted) {
  std::string layer = RandomBytes(3 << 20, 8);
  src_.PushImage(kSrc, "v1", {layer});
  for (bool chunked : {false, true}) {
    CorruptingEnd src(src_.end());
    src.digest = Sha256Digest(layer);
    src.size = static_cast<int64_t>(layer.size());
    TransferOptions options = FastOptions();
    options.retries = 1;
    options.copy_by_chunk = chunked;
    options.chunk_size = 1 << 20;
    MemoryJournal journal;
    options.journal = &journal;
    CopyRequest request{kSrc, kDst, Tagged(src_.end(), kSrc)};
    CopyReport report;
    auto st = CopyRepository(src, dst_.end(), request, options, report);
    ASSERT_FALSE(st.has_value());
    EXPECT_EQ(st.error().code, ErrorCode::kDigestInvalid) << st.error().message;
    EXPECT_EQ(report.failed, 1);
    auto size = dst_.end().BlobSize(kDst, src.digest);
    ASSERT_TRUE(size.has_value());
    EXPECT_FALSE(size->has_value()) << "chunked=" << chunked;
    auto manifest = dst_.end().HeadManifest(kDst, "v1");
    ASSERT_TRUE(manifest.has_value());
    EXPECT_FALSE(manifest->has_value());
  }
}

}  // namespace
}  // namespace berth::replication
