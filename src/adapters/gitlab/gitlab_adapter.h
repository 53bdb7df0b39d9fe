// The gitlab provider: a GitLab container registry, listed through the GitLab REST API v4.
#pragma once

#include "adapters/adapter.h"

namespace berth::adapters {

// Registers type "gitlab"; CONFLICT when it is registered already.
Status RegisterGitlabAdapter(AdapterRegistry& registry);

}  // namespace berth::adapters
