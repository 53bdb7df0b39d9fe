// The ali-acr provider: Alibaba Cloud Container Registry (personal and Enterprise
// Edition). Credentials are an AccessKey ID/Secret; docker credentials are temporary ones
// from the CR OpenAPI GetAuthorizationToken.
#pragma once

#include "adapters/adapter.h"

namespace berth::adapters {

// Registers type "ali-acr"; CONFLICT when it is registered already.
Status RegisterAliAcrAdapter(AdapterRegistry& registry);

namespace aliacr {
// BAD_REQUEST naming access_key or access_secret when only one of them is given.
Status ValidateAliAcrCredential(const Endpoint& endpoint);
AdapterRegistration AliAcrRegistration();
}  // namespace aliacr

}  // namespace berth::adapters
