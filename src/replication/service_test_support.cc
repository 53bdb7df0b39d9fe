#include "replication/service_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <span>

#include "common/digest.h"
#include "content/manifest.h"

namespace berth::replication::service_testing {

namespace fs = std::filesystem;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(gen());
  return out;
}

std::string DescriptorJson(std::string_view media_type, std::string_view digest, size_t size) {
  return nlohmann::json{{"mediaType", media_type}, {"digest", digest}, {"size", size}}.dump();
}

Image MakeImage(size_t layer_size, uint32_t seed) {
  Image image;
  image.config = R"({"architecture":"amd64","os":"linux","seed":)" + std::to_string(seed) + "}";
  image.layer = RandomBytes(layer_size, seed);
  image.manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":)" +
      DescriptorJson("application/vnd.oci.image.config.v1+json", Sha256Digest(image.config),
                     image.config.size()) +
      R"(,"layers":[)" +
      DescriptorJson("application/vnd.oci.image.layer.v1.tar", Sha256Digest(image.layer),
                     image.layer.size()) +
      "]}";
  image.digest = Sha256Digest(image.manifest);
  return image;
}

ServiceStack::ServiceStack(const fs::path& dir) : content_stack_(dir) {
  if (!content_stack_.ok()) return;
  db = &content_stack_.db();
  projects = &content_stack_.projects();
  artifacts = &content_stack_.artifacts();
  blobs = &content_stack_.blobs();
  content = &content_stack_.content();
  registries = std::make_unique<metadata::RegistryStore>(*db);
  endpoints::SecretBox::Key key;
  key.fill(7);
  box = std::make_unique<endpoints::SecretBox>(key);
  bool registered = adapters::RegisterBuiltinAdapters(adapter_registry).has_value();
  EXPECT_TRUE(registered);
  endpoint_service = std::make_unique<endpoints::EndpointService>(
      *registries, *box, adapter_registry, adapters::AdapterDeps{});
  ok_ = registered;
}

LocalStores ServiceStack::Local() const {
  return LocalStores{.content = content,
                     .blobs = blobs,
                     .artifacts = artifacts,
                     .projects = projects,
                     .labels = nullptr,
                     .owner_id = 1};
}

std::unique_ptr<remote::DistributionClient> AnonymousClient(const std::string& url) {
  return std::make_unique<remote::DistributionClient>(remote::ClientOptions{.base_url = url},
                                                      remote::StaticCredentials("", ""));
}

void PushBlob(remote::DistributionClient& remote, const std::string& repository,
              const std::string& blob) {
  size_t pos = 0;
  remote::ByteSource source = [&](std::span<char> buf) -> Result<size_t> {
    size_t n = std::min(buf.size(), blob.size() - pos);
    std::copy_n(blob.data() + pos, n, buf.data());
    pos += n;
    return n;
  };
  auto pushed =
      remote.PushBlob(repository, Sha256Digest(blob), static_cast<int64_t>(blob.size()), source);
  ASSERT_TRUE(pushed.has_value()) << pushed.error().message;
}

void PushImage(remote::DistributionClient& remote, const std::string& repository,
               const std::string& tag, const Image& image) {
  for (const auto* blob : {&image.config, &image.layer}) {
    PushBlob(remote, repository, *blob);
    if (::testing::Test::HasFatalFailure()) return;
  }
  auto put = remote.PutManifest(repository, tag, image.manifest, content::kOciManifestType);
  ASSERT_TRUE(put.has_value()) << put.error().message;
}

}  // namespace berth::replication::service_testing
