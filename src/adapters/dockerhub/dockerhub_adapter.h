// The docker-hub provider: hub.docker.com API plus the registry-1.docker.io data plane.
#pragma once

#include "adapters/adapter.h"

namespace berth::adapters {

// Registers type "docker-hub"; CONFLICT when it is registered already.
Status RegisterDockerHubAdapter(AdapterRegistry& registry);

}  // namespace berth::adapters
