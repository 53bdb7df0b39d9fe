// The huawei-SWR provider: Huawei Cloud SoftWare Repository for Container. Basic
// credentials of the SWR long-term login (user "<region>@<AK>", password the login key)
// serve both the registry and the dockyard management API (namespaces, repositories).
#pragma once

#include "adapters/adapter.h"

namespace berth::adapters {

// Registers type "huawei-SWR"; CONFLICT when it is registered already.
Status RegisterSwrAdapter(AdapterRegistry& registry);

namespace swr {
// BAD_REQUEST naming access_key or access_secret when only one of them is given.
Status ValidateSwrCredential(const Endpoint& endpoint);
AdapterRegistration SwrRegistration();
}  // namespace swr

}  // namespace berth::adapters
