// NativeAdapter: the Docker Registry v2 adapter every provider builds on. It owns a
// DistributionClient for the endpoint and implements the provider-neutral behaviour;
// providers derive from it and override what their platform does differently.
//
// Thread safety: the methods may be called from several threads at once (the client is
// thread-safe; derived classes guard their own caches). Calls block.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/adapter.h"
#include "remote/distribution_client.h"

namespace berth::adapters {

// Client options for `base_url` with the endpoint's TLS settings and the process network.
remote::ClientOptions MakeClientOptions(const Endpoint& endpoint, const AdapterDeps& deps,
                                        std::string base_url);

// AdapterInfo with the filters every provider has: name and tag (input) and the
// resource radio with `resources` ("image", optionally "artifact"); manual and scheduled
// triggers; no patterns.
AdapterInfo StandardInfo(std::string type, std::string description,
                         std::vector<std::string> resources = {"image"});

class NativeAdapter : public Adapter {
 public:
  // Talks to `registry_url` (default: endpoint.url) with `credentials` (default: the
  // endpoint's access key and secret).
  NativeAdapter(AdapterInfo info, Endpoint endpoint, AdapterDeps deps,
                std::string registry_url = {},
                std::shared_ptr<remote::CredentialProvider> credentials = nullptr);

  // The native rule: Ping must reach a registry; with credentials it must authenticate.
  // Errors carry the client's message (DNS, TLS, refused, 401, "not a registry").
  Status HealthCheck() override;
  Result<AdapterInfo> Info() override { return info_; }
  remote::DistributionClient& Registry() override { return *client_; }
  // The /v2/_catalog listing.
  Result<std::vector<std::string>> ListRepositories() override;
  // Nothing to create.
  Status PrepareForPush(const std::vector<std::string>& repositories) override;

 protected:
  const Endpoint& endpoint() const { return endpoint_; }
  const AdapterDeps& deps() const { return deps_; }
  const AdapterInfo& info() const { return info_; }
  bool HasCredentials() const {
    return !endpoint_.access_key.empty() || !endpoint_.access_secret.empty();
  }

  // A provider API request through the client's TLS, proxy and timeout settings (no
  // registry auth). Transport failures come back as the client's errors.
  Result<remote::HttpResponse> Api(std::string method, std::string url,
                                   std::vector<std::pair<std::string, std::string>> headers = {},
                                   std::string body = {});
  // GET `url` with `headers`; the JSON body of a 2xx answer, else ApiError(`what`).
  Result<nlohmann::json> GetJson(const std::string& url,
                                 const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::string_view what);

 private:
  AdapterInfo info_;
  Endpoint endpoint_;
  AdapterDeps deps_;
  std::unique_ptr<remote::DistributionClient> client_;
};

}  // namespace berth::adapters
