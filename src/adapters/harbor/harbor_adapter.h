// The harbor provider: a remote Harbor (or Berth), listed and prepared through /api/v2.0.
#pragma once

#include "adapters/adapter.h"

namespace berth::adapters {

// Registers type "harbor"; CONFLICT when it is registered already.
Status RegisterHarborAdapter(AdapterRegistry& registry);

}  // namespace berth::adapters
