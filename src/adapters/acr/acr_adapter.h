// The azure-acr provider: Azure Container Registry (admin user, service principal or AAD token).
#pragma once

#include "adapters/adapter.h"

namespace berth::adapters {

// Registers type "azure-acr"; CONFLICT when it is registered already.
Status RegisterAcrAdapter(AdapterRegistry& registry);

}  // namespace berth::adapters
