// Test-only support shared by the service tests that run Berth against a real CNCF
// `docker-registry` peer (replication and proxy cache): OCI test images, the stack of
// stores and endpoint service those services stand on, and pushes to the peer.
// Built into berth_replication_test_support; not linked into berth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "adapters/adapter.h"
#include "content/content_service.h"
#include "content/content_test_stack.h"
#include "endpoints/endpoint_service.h"
#include "endpoints/secret_box.h"
#include "metadata/database.h"
#include "metadata/registry_store.h"
#include "metadata/stores.h"
#include "remote/distribution_client.h"
#include "replication/transfer/local_end.h"
#include "storage/fs_blob_store.h"

namespace berth::replication::service_testing {

// `n` pseudo-random bytes, the same for the same seed.
std::string RandomBytes(size_t n, uint32_t seed);

// An OCI descriptor as JSON text.
std::string DescriptorJson(std::string_view media_type, std::string_view digest, size_t size);

// An OCI image: config, one layer, and the manifest naming them.
struct Image {
  std::string config;
  std::string layer;
  std::string manifest;
  std::string digest;
};

Image MakeImage(size_t layer_size, uint32_t seed);

// Berth's content stack (database, stores, blob store, content service) and endpoint
// service (with the built-in adapters) over a data directory. Failures are reported to the
// running test; ok() says whether every part came up. The content parts are non-owning
// views of the stack (null when it did not come up).
struct ServiceStack {
  explicit ServiceStack(const std::filesystem::path& dir);
  bool ok() const { return ok_; }
  // The local stores as the replication engine sees them.
  LocalStores Local() const;

 private:
  // First, so that it outlives everything built over it.
  content::testing::ContentStack content_stack_;
  bool ok_ = false;

 public:
  metadata::Database* db = nullptr;
  metadata::ProjectStore* projects = nullptr;
  metadata::ArtifactStore* artifacts = nullptr;
  storage::FsBlobStore* blobs = nullptr;
  content::ContentService* content = nullptr;
  std::unique_ptr<metadata::RegistryStore> registries;
  std::unique_ptr<endpoints::SecretBox> box;
  adapters::AdapterRegistry adapter_registry;
  std::unique_ptr<endpoints::EndpointService> endpoint_service;
};

// A Distribution API client for the anonymous registry at `url`.
std::unique_ptr<remote::DistributionClient> AnonymousClient(const std::string& url);

// Pushes one blob, then a whole image (blobs and manifest under `tag`), to a remote
// registry; failures are fatal to the running test.
void PushBlob(remote::DistributionClient& remote, const std::string& repository,
              const std::string& blob);
void PushImage(remote::DistributionClient& remote, const std::string& repository,
               const std::string& tag, const Image& image);

}  // namespace berth::replication::service_testing
