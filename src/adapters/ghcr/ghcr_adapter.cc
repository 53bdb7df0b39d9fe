// github-ghcr: ghcr.io with a GitHub user and a personal access token (Basic at the
// token realm). ghcr.io has no catalog, so listing is refused with what to do instead.
#include "adapters/ghcr/ghcr_adapter.h"

#include "adapters/common/native_adapter.h"

namespace berth::adapters {
namespace {

class GhcrAdapter : public NativeAdapter {
 public:
  using NativeAdapter::NativeAdapter;

  Result<std::vector<std::string>> ListRepositories() override {
    return Fail(ErrorCode::kBadRequest,
                "ghcr.io has no catalog: name the repositories explicitly in the rule's name "
                "filter");
  }
};

}  // namespace

Status RegisterGhcrAdapter(AdapterRegistry& registry) {
  AdapterInfo info = StandardInfo("github-ghcr", "GitHub Container Registry");
  info.endpoint_pattern = EndpointPattern{.endpoint_type = "EndpointPatternTypeFix",
                                          .endpoints = {{"ghcr.io", "https://ghcr.io"}}};
  info.proxy_cache = true;
  AdapterRegistration registration;
  registration.info = info;
  registration.factory = [info](const Endpoint& endpoint,
                                const AdapterDeps& deps) -> Result<std::unique_ptr<Adapter>> {
    return std::make_unique<GhcrAdapter>(info, endpoint, deps);
  };
  return registry.Register(std::move(registration));
}

}  // namespace berth::adapters
