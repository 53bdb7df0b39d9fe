#include "adapters/adapter_conformance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "common/digest.h"

namespace berth::adapters {
namespace {

remote::ByteSource FromString(const std::string& data) {
  auto offset = std::make_shared<size_t>(0);
  return [&data, offset](std::span<char> buf) -> Result<size_t> {
    size_t n = std::min(buf.size(), data.size() - *offset);
    std::memcpy(buf.data(), data.data() + *offset, n);
    *offset += n;
    return n;
  };
}

std::string Describe(const Error& error) {
  return std::string(error.wire()) + ": " + error.message;
}

}  // namespace

Status PushTinyImage(remote::DistributionClient& client, const std::string& repository,
                     const std::string& tag) {
  const std::string config =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  const std::string layer = "berth conformance layer " + repository;
  const std::string config_digest = Sha256Digest(config);
  const std::string layer_digest = Sha256Digest(layer);
  BERTH_TRY(client.PushBlob(repository, config_digest, static_cast<int64_t>(config.size()),
                            FromString(config)));
  BERTH_TRY(client.PushBlob(repository, layer_digest, static_cast<int64_t>(layer.size()),
                            FromString(layer)));
  const std::string manifest =
      std::string(
          R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)") +
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      config_digest + R"(","size":)" + std::to_string(config.size()) +
      R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" +
      layer_digest + R"(","size":)" + std::to_string(layer.size()) + "}]}";
  auto pushed =
      client.PutManifest(repository, tag, manifest, "application/vnd.oci.image.manifest.v1+json");
  if (!pushed) return Fail(std::move(pushed).error());
  return Ok();
}

void RunAdapterConformance(const ConformanceTarget& target) {
  ASSERT_NE(target.registry, nullptr);
  const std::string type = target.endpoint.type;
  SCOPED_TRACE("adapter " + type + " at " + target.endpoint.url);

  // Info(): the registered shape.
  auto adapter = target.registry->Create(target.endpoint, target.deps);
  ASSERT_TRUE(adapter.has_value()) << Describe(adapter.error());
  auto info = (*adapter)->Info();
  ASSERT_TRUE(info.has_value()) << Describe(info.error());
  EXPECT_EQ(info->type, type);
  EXPECT_FALSE(info->description.empty());
  EXPECT_EQ(info->supported_triggers, (std::vector<std::string>{"manual", "scheduled"}));
  std::vector<std::string> filter_types;
  for (const auto& filter : info->supported_resource_filters) filter_types.push_back(filter.type);
  EXPECT_GE(filter_types.size(), 3u);
  if (filter_types.size() >= 2) {
    EXPECT_EQ(filter_types[0], "name");
    EXPECT_EQ(filter_types[1], "tag");
  }
  EXPECT_EQ(filter_types.back(), "resource");
  EXPECT_EQ(info->supported_resource_filters.back().style, "radio");

  // HealthCheck with good credentials.
  auto healthy = (*adapter)->HealthCheck();
  EXPECT_TRUE(healthy.has_value()) << Describe(healthy.error());

  // Bad credentials: a clear error, not Ok.
  if (!target.bad_secret.empty()) {
    Endpoint bad = target.endpoint;
    bad.access_secret = target.bad_secret;
    auto bad_adapter = target.registry->Create(bad, target.deps);
    if (bad_adapter) {
      auto status = (*bad_adapter)->HealthCheck();
      ASSERT_FALSE(status.has_value()) << "bad credentials passed the health check";
      EXPECT_FALSE(status.error().message.empty());
      EXPECT_NE(status.error().code, ErrorCode::kInternal) << Describe(status.error());
    }
  }

  // Something that is not a registry of this provider.
  if (!target.not_registry_endpoint.url.empty()) {
    auto other = target.registry->Create(target.not_registry_endpoint, target.not_registry_deps);
    ASSERT_TRUE(other.has_value()) << Describe(other.error());
    auto status = (*other)->HealthCheck();
    ASSERT_FALSE(status.has_value()) << "a non-registry URL passed the health check";
    EXPECT_FALSE(status.error().message.empty());
  }

  // Push (after PrepareForPush) and find the repository in the listing.
  if (!target.push_repository.empty()) {
    auto prepared = (*adapter)->PrepareForPush({target.push_repository});
    ASSERT_TRUE(prepared.has_value()) << Describe(prepared.error());
    auto pushed = PushTinyImage((*adapter)->Registry(), target.push_repository, "v1");
    ASSERT_TRUE(pushed.has_value()) << Describe(pushed.error());
    auto tags = (*adapter)->Registry().ListTags(target.push_repository);
    ASSERT_TRUE(tags.has_value()) << Describe(tags.error());
    EXPECT_NE(std::find(tags->begin(), tags->end(), "v1"), tags->end());
  }
  auto repositories = (*adapter)->ListRepositories();
  if (!target.can_list) {
    ASSERT_FALSE(repositories.has_value());
    EXPECT_EQ(repositories.error().code, ErrorCode::kBadRequest);
  } else {
    ASSERT_TRUE(repositories.has_value()) << Describe(repositories.error());
    if (!target.push_repository.empty()) {
      EXPECT_NE(std::find(repositories->begin(), repositories->end(), target.push_repository),
                repositories->end())
          << "pushed repository missing from ListRepositories";
    }
  }
}

}  // namespace berth::adapters
