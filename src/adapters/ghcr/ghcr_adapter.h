// The github-ghcr provider: ghcr.io with a user and a personal access token.
#pragma once

#include "adapters/adapter.h"

namespace berth::adapters {

// Registers type "github-ghcr"; CONFLICT when it is registered already.
Status RegisterGhcrAdapter(AdapterRegistry& registry);

}  // namespace berth::adapters
