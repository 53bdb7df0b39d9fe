// The jfrog-artifactory provider: Docker repositories of a JFrog Artifactory.
#pragma once

#include "adapters/adapter.h"

namespace berth::adapters {

// Registers type "jfrog-artifactory"; CONFLICT when it is registered already.
Status RegisterArtifactoryAdapter(AdapterRegistry& registry);

}  // namespace berth::adapters
