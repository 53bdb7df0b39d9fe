// The built-in providers. One include and one Register call per provider, one per line.
#include "adapters/acr/acr_adapter.h"
#include "adapters/adapter.h"
#include "adapters/aliacr/aliacr_adapter.h"
#include "adapters/artifactory/artifactory_adapter.h"
#include "adapters/dockerhub/dockerhub_adapter.h"
#include "adapters/ecr/ecr_adapter.h"
#include "adapters/gcr/gcr_adapter.h"
#include "adapters/ghcr/ghcr_adapter.h"
#include "adapters/gitlab/gitlab_adapter.h"
#include "adapters/harbor/harbor_adapter.h"
#include "adapters/native/native_adapter.h"
#include "adapters/quay/quay_adapter.h"
#include "adapters/swr/swr_adapter.h"

namespace berth::adapters {

Status RegisterBuiltinAdapters(AdapterRegistry& registry) {
  BERTH_TRY(RegisterAcrAdapter(registry));
  BERTH_TRY(RegisterArtifactoryAdapter(registry));
  BERTH_TRY(RegisterDockerHubAdapter(registry));
  BERTH_TRY(RegisterGhcrAdapter(registry));
  BERTH_TRY(RegisterGitlabAdapter(registry));
  BERTH_TRY(RegisterHarborAdapter(registry));
  BERTH_TRY(RegisterNativeAdapter(registry));
  BERTH_TRY(RegisterQuayAdapter(registry));
  BERTH_TRY(RegisterEcrAdapter(registry));
  BERTH_TRY(RegisterGcrAdapter(registry));
  BERTH_TRY(RegisterAliAcrAdapter(registry));
  BERTH_TRY(RegisterSwrAdapter(registry));
  return Ok();
}

}  // namespace berth::adapters
