// The docker-registry provider: any registry speaking the Docker Registry v2 API.
#pragma once

#include "adapters/adapter.h"

namespace berth::adapters {

// Registers type "docker-registry"; CONFLICT when it is registered already.
Status RegisterNativeAdapter(AdapterRegistry& registry);

}  // namespace berth::adapters
