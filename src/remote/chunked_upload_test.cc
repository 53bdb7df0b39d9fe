// Chunked, resumable uploads and referrers against a real `docker-registry` (which has no
// referrers API, so the fallback tag is read).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "remote/distribution_client.h"
#include "remote/test_servers.h"

namespace berth::remote {
namespace {

using testing::RegistryProcess;

ClientOptions Options(const std::string& url) {
  ClientOptions options;
  options.base_url = url;
  options.network.connect_timeout = std::chrono::seconds(3);
  options.network.timeout = std::chrono::seconds(10);
  options.network.idle_timeout = std::chrono::seconds(10);
  return options;
}

// Reads data[from, from + length) in pieces of whatever size curl asks for.
ByteSource SourceOf(const std::string& data, int64_t from) {
  auto offset = std::make_shared<size_t>(static_cast<size_t>(from));
  return [&data, offset](std::span<char> buf) -> Result<size_t> {
    size_t n = std::min(buf.size(), data.size() - *offset);
    std::copy_n(data.data() + *offset, n, buf.data());
    *offset += n;
    return n;
  };
}

std::string Pattern(size_t size, int seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 131 + seed) % 251);
  return out;
}

nlohmann::json Descriptor(const std::string& media_type, const std::string& bytes) {
  return {{"mediaType", media_type}, {"digest", Sha256Digest(bytes)}, {"size", bytes.size()}};
}

class RegistryTest : public testing::SharedRegistryTest {};

TEST_F(RegistryTest, ChunkedUploadResumesInANewClient) {
  constexpr int64_t kChunk = 1 << 20;
  const std::string data = Pattern(3 * kChunk + 12345, 1);
  const std::string digest = Sha256Digest(data);
  UploadState saved;
  {
    DistributionClient first(Options(registry_->url()), nullptr);
    auto state = first.StartUpload("chunked/app");
    ASSERT_TRUE(state) << state.error().message;
    EXPECT_EQ(state->offset, 0);
    EXPECT_TRUE(state->location.starts_with(registry_->url())) << state->location;
    for (int i = 0; i < 2; ++i) {
      auto next = first.UploadChunk(*state, kChunk, SourceOf(data, state->offset));
      ASSERT_TRUE(next) << next.error().message;
      EXPECT_EQ(next->offset, state->offset + kChunk);
      state = next;
    }
    saved = *state;
  }

  // A new client (as after a restart) asks where the session stands and continues there.
  DistributionClient second(Options(registry_->url()), nullptr);
  auto status = second.UploadStatus(saved);
  ASSERT_TRUE(status) << status.error().message;
  ASSERT_EQ(status->offset, 2 * kChunk);
  int64_t rest = static_cast<int64_t>(data.size()) - status->offset;
  auto last = second.UploadChunk(*status, rest, SourceOf(data, status->offset));
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(last->offset, static_cast<int64_t>(data.size()));
  auto finished = second.FinishUpload(*last, digest);
  ASSERT_TRUE(finished) << finished.error().message;

  std::string received;
  auto got = second.GetBlob("chunked/app", digest, [&](std::span<const char> bytes) -> Status {
    received.append(bytes.data(), bytes.size());
    return Ok();
  });
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(received.size(), data.size());
  EXPECT_TRUE(received == data);

  // The session is closed now.
  auto gone = second.UploadStatus(*last);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kBlobUploadUnknown) << gone.error().message;
}

TEST_F(RegistryTest, FinishWithAWrongDigestFails) {
  DistributionClient client(Options(registry_->url()), nullptr);
  const std::string data = Pattern(1000, 2);
  auto state = client.StartUpload("chunked/bad");
  ASSERT_TRUE(state) << state.error().message;
  auto chunk = client.UploadChunk(*state, 1000, SourceOf(data, 0));
  ASSERT_TRUE(chunk) << chunk.error().message;
  auto finished = client.FinishUpload(*chunk, Sha256Digest("something else"));
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().code, ErrorCode::kDigestInvalid) << finished.error().message;
}

TEST_F(RegistryTest, ReferrersThroughTheFallbackTag) {
  DistributionClient client(Options(registry_->url()), nullptr);
  const std::string repo = "signed/app";
  auto push = [&](const std::string& bytes) {
    return client.PushBlob(repo, Sha256Digest(bytes), static_cast<int64_t>(bytes.size()),
                           SourceOf(bytes, 0));
  };
  const std::string config = R"({"architecture":"amd64","os":"linux"})";
  const std::string layer = Pattern(5000, 3);
  ASSERT_TRUE(push(config));
  ASSERT_TRUE(push(layer));
  nlohmann::json image = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config", Descriptor("application/vnd.oci.image.config.v1+json", config)},
      {"layers", {Descriptor("application/vnd.oci.image.layer.v1.tar", layer)}}};
  const std::string image_bytes = image.dump();
  const std::string image_type = "application/vnd.oci.image.manifest.v1+json";
  auto subject = client.PutManifest(repo, "v1", image_bytes, image_type);
  ASSERT_TRUE(subject) << subject.error().message;

  // Nothing refers to it yet.
  auto none = client.Referrers(repo, *subject);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());

  const std::string signature_config = R"({"signature":"by someone"})";
  ASSERT_TRUE(push(signature_config));
  nlohmann::json signature = image;
  signature["config"] = Descriptor("application/vnd.oci.image.config.v1+json", signature_config);
  signature["artifactType"] = "application/vnd.example.signature";
  signature["subject"] = Descriptor(image_type, image_bytes);
  const std::string signature_bytes = signature.dump();
  auto signature_digest =
      client.PutManifest(repo, Sha256Digest(signature_bytes), signature_bytes, image_type);
  ASSERT_TRUE(signature_digest) << signature_digest.error().message;

  nlohmann::json entry = Descriptor(image_type, signature_bytes);
  entry["artifactType"] = "application/vnd.example.signature";
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", "application/vnd.oci.image.index.v1+json"},
                          {"manifests", {entry}}};
  std::string tag = *subject;
  tag[tag.find(':')] = '-';
  auto tagged =
      client.PutManifest(repo, tag, index.dump(), "application/vnd.oci.image.index.v1+json");
  ASSERT_TRUE(tagged) << tagged.error().message;

  auto referrers = client.Referrers(repo, *subject);
  ASSERT_TRUE(referrers) << referrers.error().message;
  ASSERT_EQ(referrers->size(), 1u);
  EXPECT_EQ((*referrers)[0].digest, *signature_digest);
  EXPECT_EQ((*referrers)[0].media_type, image_type);
  EXPECT_EQ((*referrers)[0].size, static_cast<int64_t>(signature_bytes.size()));
  EXPECT_EQ((*referrers)[0].artifact_type, "application/vnd.example.signature");

  auto unknown_repo = client.Referrers("no/such", *subject);
  ASSERT_TRUE(unknown_repo) << unknown_repo.error().message;
  EXPECT_TRUE(unknown_repo->empty());
}

}  // namespace
}  // namespace berth::remote
