#include "adapters/native/native_adapter.h"

#include "adapters/common/native_adapter.h"

namespace berth::adapters {

Status RegisterNativeAdapter(AdapterRegistry& registry) {
  AdapterInfo info = StandardInfo("docker-registry", "Docker Registry (Distribution v2 API)");
  info.proxy_cache = true;
  AdapterRegistration registration;
  registration.info = info;
  registration.factory = [info](const Endpoint& endpoint,
                                const AdapterDeps& deps) -> Result<std::unique_ptr<Adapter>> {
    return std::make_unique<NativeAdapter>(info, endpoint, deps);
  };
  return registry.Register(std::move(registration));
}

}  // namespace berth::adapters
