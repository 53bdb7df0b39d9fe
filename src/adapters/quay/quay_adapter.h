// The quay provider: Quay with a JSON credential (robot/CLI password, optional OAuth2 token).
#pragma once

#include "adapters/adapter.h"

namespace berth::adapters {

// Registers type "quay"; CONFLICT when it is registered already.
Status RegisterQuayAdapter(AdapterRegistry& registry);

}  // namespace berth::adapters
